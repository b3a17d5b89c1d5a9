import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { kidToHex, P256PrivateKey } from "../../../../node/crypto/keys/index.js";
import { DekStore } from "../../../../node/validator/store/index.js";
import { assertBytes, rejectsWith, tempDir } from "./helpers.js";

describe("KAS keys", () => {
  it("rotation keeps old keys; the newest added is current; all survive a restart", async () => {
    const directory = tempDir();
    const storageKey = randomBytes(32);
    const [k1, k2, k3] = [P256PrivateKey.generate(), P256PrivateKey.generate(), P256PrivateKey.generate()];
    let store = DekStore.open({ directory, storageKey, now: () => 100 });
    assert.equal(store.currentKasKey(), undefined);
    await store.addKasKey(k1);
    await store.addKasKey(k2, { addedAt: 200 });
    await store.addKasKey(k3, { current: false, addedAt: 300 });
    store.close();

    store = DekStore.open({ directory, storageKey });
    assertBytes(store.currentKasKey()!.publicKey, k2.publicKey);
    for (const key of [k1, k2, k3]) assertBytes(store.getKasKey(key.kid)!.exportPrivateKey(), key.exportPrivateKey());
    assertBytes(store.getKasKey(kidToHex(k1.kid))!.publicKey, k1.publicKey);
    assert.deepEqual(store.listKasKeys().map((k) => [k.kid, k.current, k.addedAt, k.retiredAt]), [
      [kidToHex(k1.kid), false, 100, 200],
      [kidToHex(k2.kid), true, 200, undefined],
      [kidToHex(k3.kid), false, 300, 300],
    ]);
    const ring = store.kasKeyRing();
    assert.equal(ring.size, 3);
    assertBytes(ring.current.kid, k2.kid);
    store.close();
  });

  it("removing a retired key forgets it; the current key cannot be removed", async () => {
    const store = DekStore.open({ directory: tempDir(), storageKey: randomBytes(32) });
    const [old, current] = [P256PrivateKey.generate(), P256PrivateKey.generate()];
    await store.addKasKey(old);
    await store.addKasKey(current);
    await rejectsWith(store.removeKasKey(current.kid), "STORE_KAS_KEY_CURRENT");
    assert.equal(await store.removeKasKey(old.kid), true);
    assert.equal(await store.removeKasKey(old.kid), false);
    assert.equal(store.getKasKey(old.kid), undefined);
    await store.addKasKey(current); // idempotent
    assert.equal(store.listKasKeys().length, 1);
    await rejectsWith(store.removeKasKey("0x01"), "STORE_INVALID_ARGUMENT");
    store.close();
  });
});
