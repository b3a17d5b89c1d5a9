/**
 * A member's threshold shares in the store (node/validator/store/shares.ts): sealed at rest
 * under the storage key, one per content, confirmed on chain through the same calls as DEKs,
 * and never readable as a DEK.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { DekStore } from "../../../node/validator/store/index.js";
import { hex32, rejectsWith, tempDir } from "./store/helpers.js";

const share = (index: number) => ({ index, value: new Uint8Array(randomBytes(32)) });
const KID = `0x${"ab".repeat(8)}` as const;
const TX = `0x${"cd".repeat(32)}` as const;

describe("threshold shares in the store", () => {
  it("round trip through close and reopen; the file never holds the share in clear", async () => {
    const directory = tempDir();
    const storageKey = randomBytes(32);
    const store = DekStore.open({ directory, storageKey });
    const id = hex32("t1");
    const mine = share(3);
    assert.equal(await store.putShare(id, mine, KID), true);
    assert.equal(await store.putShare(id, { index: 3, value: mine.value.slice() }, KID), false, "the same share again changes nothing");
    store.close();
    const file = readFileSync(join(directory, "store.sqlite"));
    assert.equal(file.includes(Buffer.from(mine.value)), false);
    const reopened = DekStore.open({ directory, storageKey });
    const held = reopened.getShare(id)!;
    assert.deepEqual([held.share.index, Buffer.from(held.share.value), held.kid], [3, Buffer.from(mine.value), KID]);
    assert.equal(reopened.getDek(id), undefined, "a share is never a DEK");
    assert.equal(reopened.hasDek(id), false);
    reopened.close();
  });

  it("a different share for the same content is refused and changes nothing", async () => {
    const store = DekStore.open({ directory: tempDir(), storageKey: randomBytes(32) });
    const id = hex32("t2");
    const first = share(1);
    await store.putShare(id, first, KID);
    await rejectsWith(store.putShare(id, share(1), KID), "STORE_SHARE_CONFLICT");
    await rejectsWith(store.putShare(id, { index: 2, value: first.value }, KID), "STORE_SHARE_CONFLICT");
    await rejectsWith(store.putShare(hex32("t3"), { index: 0, value: first.value }, KID), "STORE_INVALID_ARGUMENT");
    assert.deepEqual(Buffer.from(store.getShare(id)!.share.value), Buffer.from(first.value));
    store.close();
  });

  it("held shares are confirmed as DEKs are: listed until confirmed, marked by content id with DEKs in one call", async () => {
    const store = DekStore.open({ directory: tempDir(), storageKey: randomBytes(32) });
    const [a, b, dekId] = [hex32("s1"), hex32("s2"), hex32("d1")];
    await store.putShare(a, share(1), KID);
    await store.putShare(b, share(2), KID);
    await store.putDek(dekId, new Uint8Array(32).fill(1), { policyId: 1n, mode: "stake", source: "replicated" });
    assert.deepEqual((await store.listUnconfirmedShares()).map((s) => s.contentId).sort(), [a, b].sort());
    await store.markConfirmationSubmitted([a, dekId], TX);
    assert.deepEqual(store.getShareInfo(a)?.confirmation, { state: "submitted", txHash: TX });
    await store.markConfirmed([a, dekId], 42n);
    assert.deepEqual((await store.listUnconfirmedShares()).map((s) => s.contentId), [b]);
    assert.equal(store.getShareInfo(a)?.confirmation.state, "confirmed");
    assert.equal(store.getDekInfo(dekId)?.confirmation.state, "confirmed");
    await rejectsWith(store.markConfirmed([b, hex32("unknown")], 43n), "STORE_NOT_FOUND");
    assert.equal(store.getShareInfo(b)?.confirmation.state, "pending", "a refused batch changes nothing");
    store.close();
  });
});
