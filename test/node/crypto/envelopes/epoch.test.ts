/** Epoch keys: one ECDH per epoch, then every DEK of the epoch under AES-256-GCM bound to (content, request, epoch). */
import assert from "node:assert/strict";
import { createHmac, randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import {
  agreeEpochKeys,
  epochRequestDigest,
  macEpochRequest,
  unwrapUnderEpoch,
  verifyEpochRequestMac,
  wrapUnderEpoch,
  type EpochKeys,
} from "../../../../node/crypto/envelopes/index.js";
import { P256PrivateKey } from "../../../../node/crypto/keys/index.js";
import { assertCode, hex } from "../tdf/helpers.js";

const reader = P256PrivateKey.generate();
const validator = P256PrivateKey.generate();
const epochId = randomBytes(32);
const EPOCH = 5_900_000n;

function agree(ownKey: P256PrivateKey, overrides: Partial<Parameters<typeof agreeEpochKeys>[0]> = {}): EpochKeys {
  return agreeEpochKeys({ ownKey, readerPublicKey: reader.publicKey, validatorPublicKey: validator.publicKey, epochId, epoch: EPOCH, ...overrides });
}

describe("epoch keys", () => {
  it("reader and validator derive the same keys from one ECDH", () => {
    const a = agree(reader);
    const b = agree(validator);
    assert.equal(hex(a.wrapKey), hex(b.wrapKey));
    assert.equal(hex(a.macKey), hex(b.macKey));
    assert.notEqual(hex(a.wrapKey), hex(a.macKey));
  });

  it("another epoch id, epoch number or key pair gives unrelated keys", () => {
    const base = hex(agree(reader).wrapKey);
    assert.notEqual(hex(agree(reader, { epochId: randomBytes(32) }).wrapKey), base);
    assert.notEqual(hex(agree(reader, { epoch: EPOCH + 1n }).wrapKey), base);
    const other = P256PrivateKey.generate();
    assert.notEqual(hex(agree(reader, { validatorPublicKey: other.publicKey }).wrapKey), base);
  });

  it("many DEKs wrap and unwrap under one epoch, each bound to its content and request", () => {
    const readerKeys = agree(reader);
    const validatorKeys = agree(validator);
    for (let counter = 0n; counter < 200n; counter++) {
      const contentId = randomBytes(32);
      const dek = randomBytes(32);
      const requestDigest = epochRequestDigest({ epochId, contentId, counter });
      const wrapped = wrapUnderEpoch(validatorKeys, { dek, contentId, requestDigest });
      assert.equal(wrapped.length, 48);
      assert.equal(hex(unwrapUnderEpoch(readerKeys, { wrapped, contentId, requestDigest })), hex(dek));
    }
  });

  it("the request MAC is HMAC-SHA256 under the MAC key and verifies only for its request", () => {
    const keys = agree(reader);
    const digest = epochRequestDigest({ epochId, contentId: randomBytes(32), counter: 7n });
    const mac = macEpochRequest(keys, digest);
    assert.equal(hex(mac), createHmac("sha256", keys.macKey).update(digest).digest("hex"));
    assert.equal(verifyEpochRequestMac(agree(validator), digest, mac), true);
    assert.equal(verifyEpochRequestMac(agree(validator), epochRequestDigest({ epochId, contentId: randomBytes(32), counter: 7n }), mac), false);
    assert.equal(verifyEpochRequestMac(agree(validator, { epoch: EPOCH + 1n }), digest, mac), false);
    assert.equal(verifyEpochRequestMac(agree(validator), digest, mac.subarray(0, 16)), false);
  });

  it("request digests differ in every field", () => {
    const contentId = randomBytes(32);
    const digests = [
      epochRequestDigest({ epochId, contentId, counter: 1n }),
      epochRequestDigest({ epochId, contentId, counter: 2n }),
      epochRequestDigest({ epochId: randomBytes(32), contentId, counter: 1n }),
      epochRequestDigest({ epochId, contentId: randomBytes(32), counter: 1n }),
    ].map(hex);
    assert.equal(new Set(digests).size, 4);
  });

  it("error: an answer opened for another content, request or epoch; any changed byte", () => {
    const keys = agree(validator);
    const contentId = randomBytes(32);
    const requestDigest = epochRequestDigest({ epochId, contentId, counter: 1n });
    const wrapped = wrapUnderEpoch(keys, { dek: randomBytes(32), contentId, requestDigest });
    assertCode(() => unwrapUnderEpoch(keys, { wrapped, contentId: randomBytes(32), requestDigest }), "ENVELOPE_DECRYPT_FAILED");
    assertCode(() => unwrapUnderEpoch(keys, { wrapped, contentId, requestDigest: randomBytes(32) }), "ENVELOPE_DECRYPT_FAILED");
    assertCode(() => unwrapUnderEpoch({ ...keys, epoch: EPOCH + 1n }, { wrapped, contentId, requestDigest }), "ENVELOPE_DECRYPT_FAILED");
    for (let i = 0; i < wrapped.length; i++) {
      const tampered = wrapped.slice();
      tampered[i]! ^= 0x01;
      assertCode(() => unwrapUnderEpoch(keys, { wrapped: tampered, contentId, requestDigest }), "ENVELOPE_DECRYPT_FAILED");
    }
    assertCode(() => unwrapUnderEpoch(keys, { wrapped: wrapped.subarray(1), contentId, requestDigest }), "ENVELOPE_MALFORMED");
  });

  it("error: malformed inputs", () => {
    assertCode(() => agree(reader, { epochId: randomBytes(31) }), "ENVELOPE_INVALID_ARGUMENT");
    assertCode(() => agree(reader, { readerPublicKey: randomBytes(33) }), "ENVELOPE_INVALID_ARGUMENT");
    assertCode(() => agree(P256PrivateKey.generate()), "ENVELOPE_INVALID_ARGUMENT");
    assertCode(() => epochRequestDigest({ epochId, contentId: randomBytes(32), counter: 1n << 64n }), "ENVELOPE_INVALID_ARGUMENT");
    assertCode(() => epochRequestDigest({ epochId, contentId: randomBytes(32), counter: -1n }), "ENVELOPE_INVALID_ARGUMENT");
    assertCode(() => wrapUnderEpoch(agree(reader), { dek: randomBytes(16), contentId: randomBytes(32), requestDigest: randomBytes(32) }), "ENVELOPE_INVALID_ARGUMENT");
  });
});
