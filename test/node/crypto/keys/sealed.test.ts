/** The at-rest record format: round trips, AAD binding, tamper detection, recovery from the mnemonic. */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { inspect } from "node:util";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  OperatorRoot,
  P256PrivateKey,
  SealedRecordError,
  verifyP256Signature,
  openDek,
  openKasKey,
  openRecord,
  sealDek,
  SealingKey,
  sealKasKey,
  sealRecord,
} from "../../../../node/crypto/keys/index.js";
import { assertCode, hex } from "../tdf/helpers.js";

const MNEMONIC = "test test test test test test test test test test test junk";
const storageKey = OperatorRoot.fromMnemonic(MNEMONIC).nodeKeys(0).storageKey;

describe("sealed records", () => {
  it("round-trips any plaintext and id", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 40 }), fc.constantFrom("dek", "kasKey", "nodeSecret"), (plaintext, id, type) => {
        const sealed = sealRecord({ storageKey, type, id, plaintext });
        assert.equal(hex(openRecord({ storageKey, type, id, sealed })), hex(plaintext));
      }),
      { numRuns: 200 },
    );
  });

  it("a node's DEK store opens with keys re-derived from the mnemonic alone", () => {
    const contentId = randomBytes(32);
    const dek = randomBytes(32);
    const backup = sealDek(storageKey, contentId, dek);
    const recovered = OperatorRoot.fromMnemonic(MNEMONIC).nodeKeys(0).storageKey;
    assert.equal(hex(openDek(recovered, contentId, backup)), hex(dek));
  });

  it("rotated KAS keys are sealed and come back as the same key", () => {
    const key = P256PrivateKey.generate();
    const opened = openKasKey(storageKey, key.kid, sealKasKey(storageKey, key));
    assert.equal(hex(opened.publicKey), hex(key.publicKey));
  });

  it("a KAS key whose scalar starts with a zero byte is sealed as 32 bytes, comes back, and signs", () => {
    // About one key in 256; OpenSSL exports such a scalar without its leading zero.
    const scalar = new Uint8Array(32).fill(0x11);
    scalar[0] = 0;
    const key = P256PrivateKey.fromBytes(scalar);
    assert.equal(hex(key.exportPrivateKey()), hex(scalar));
    const opened = openKasKey(storageKey, key.kid, sealKasKey(storageKey, key));
    assert.equal(hex(opened.exportPrivateKey()), hex(scalar));
    const message = randomBytes(32);
    assert.ok(verifyP256Signature(key.publicKey, message, opened.sign(message)));
  });

  it("sealing twice gives different bytes (random nonce)", () => {
    const id = randomBytes(32);
    assert.notEqual(hex(sealDek(storageKey, id, new Uint8Array(32))), hex(sealDek(storageKey, id, new Uint8Array(32))));
  });

  it("error: record moved to another content id or type", () => {
    const sealed = sealDek(storageKey, new Uint8Array(32).fill(1), randomBytes(32));
    assertCode(() => openDek(storageKey, new Uint8Array(32).fill(2), sealed), "SEALED_AUTH_FAILED");
    assertCode(() => openRecord({ storageKey, type: "nodeSecret", id: new Uint8Array(32).fill(1), sealed }), "SEALED_AUTH_FAILED");
  });

  it("error: another node's storage key", () => {
    const other = OperatorRoot.fromMnemonic(MNEMONIC).nodeKeys(1).storageKey;
    const id = randomBytes(32);
    assertCode(() => openDek(other, id, sealDek(storageKey, id, randomBytes(32))), "SEALED_WRONG_KEY");
  });

  it("error: every single-byte change and every truncation", () => {
    const id = randomBytes(32);
    const sealed = sealDek(storageKey, id, randomBytes(32));
    for (let i = 0; i < sealed.length; i++) {
      const tampered = sealed.slice();
      tampered[i]! ^= 0x01;
      assert.throws(() => openDek(storageKey, id, tampered), SealedRecordError);
    }
    for (let n = 0; n < sealed.length; n++) assert.throws(() => openDek(storageKey, id, sealed.subarray(0, n)), SealedRecordError);
    assertCode(() => openDek(storageKey, id, sealed.subarray(0, 10)), "SEALED_MALFORMED");
  });

  it("subkeys derived once (SealingKey) seal and open exactly like the raw storage key", () => {
    const sealingKey = SealingKey.derive(storageKey);
    const id = randomBytes(32);
    const dek = randomBytes(32);
    assert.equal(hex(openDek(storageKey, id, sealDek(sealingKey, id, dek))), hex(dek));
    assert.equal(hex(openDek(sealingKey, id, sealDek(storageKey, id, dek))), hex(dek));
    const other = SealingKey.derive(OperatorRoot.fromMnemonic(MNEMONIC).nodeKeys(1).storageKey);
    assertCode(() => openDek(other, id, sealDek(sealingKey, id, dek)), "SEALED_WRONG_KEY");
    assertCode(() => SealingKey.derive(new Uint8Array(31)), "SEALED_INVALID_ARGUMENT");
    // Logging it shows the key id only.
    const secret = Buffer.from(sealingKey.encryptionKey).toString("hex");
    for (const shown of [inspect(sealingKey), JSON.stringify(sealingKey), inspect({ nested: sealingKey })]) {
      assert.ok(!shown.includes(secret), shown);
      assert.ok(shown.includes(hex(sealingKey.keyId)), shown);
    }
  });

  it("error: unknown version and bad storage key length", () => {
    const id = randomBytes(32);
    const sealed = sealDek(storageKey, id, randomBytes(32));
    sealed[0] = 2;
    assertCode(() => openDek(storageKey, id, sealed), "SEALED_UNSUPPORTED_VERSION");
    assertCode(() => sealDek(new Uint8Array(16), id, randomBytes(32)), "SEALED_INVALID_ARGUMENT");
  });
});
