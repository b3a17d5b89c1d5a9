/** Rewrap envelope: validator wraps a DEK for a client; only that client, for that request, unwraps it. */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { unwrapRewrap, wrapForClient } from "../../../../node/crypto/envelopes/index.js";
import { REWRAP_ENVELOPE_LENGTH } from "../../../../node/protocol/rewrap/constants.js";
import { P256PrivateKey } from "../../../../node/crypto/keys/index.js";
import { assertCode, hex } from "../tdf/helpers.js";

const client = P256PrivateKey.generate();
const dek = randomBytes(32);
const requestDigest = randomBytes(32);

describe("rewrap envelope", () => {
  it("round-trips and uses a fresh session key every time", () => {
    const a = wrapForClient({ dek, clientPublicKey: client.publicKey, requestDigest });
    const b = wrapForClient({ dek, clientPublicKey: client.publicKey, requestDigest });
    assert.equal(a.length, REWRAP_ENVELOPE_LENGTH);
    assert.notEqual(hex(a), hex(b));
    assert.equal(hex(unwrapRewrap({ envelope: a, clientPrivateKey: client, requestDigest })), hex(dek));
    // One native context per thread makes the pairs (node/crypto/keys/p256.ts): each wrap still gets its own.
    const ephemeralKeys = Array.from({ length: 200 }, () => hex(wrapForClient({ dek, clientPublicKey: client.publicKey, requestDigest }).subarray(1, 34)));
    assert.equal(new Set(ephemeralKeys).size, 200);
  });

  it("error: another client's key", () => {
    const envelope = wrapForClient({ dek, clientPublicKey: client.publicKey, requestDigest });
    assertCode(() => unwrapRewrap({ envelope, clientPrivateKey: P256PrivateKey.generate(), requestDigest }), "ENVELOPE_DECRYPT_FAILED");
  });

  it("error: replayed as the answer to another request", () => {
    const envelope = wrapForClient({ dek, clientPublicKey: client.publicKey, requestDigest });
    assertCode(() => unwrapRewrap({ envelope, clientPrivateKey: client, requestDigest: randomBytes(32) }), "ENVELOPE_DECRYPT_FAILED");
  });

  it("error: every single-byte change and truncation", () => {
    const envelope = wrapForClient({ dek, clientPublicKey: client.publicKey, requestDigest });
    for (let i = 0; i < envelope.length; i++) {
      const tampered = envelope.slice();
      tampered[i]! ^= 0x01;
      assert.throws(() => unwrapRewrap({ envelope: tampered, clientPrivateKey: client, requestDigest }), (e: unknown) => (e as { code?: string }).code?.startsWith("ENVELOPE_") === true);
    }
    assertCode(() => unwrapRewrap({ envelope: envelope.subarray(1), clientPrivateKey: client, requestDigest }), "ENVELOPE_MALFORMED");
  });

  it("error: bad arguments", () => {
    assertCode(() => wrapForClient({ dek, clientPublicKey: new Uint8Array(65), requestDigest }), "ENVELOPE_INVALID_ARGUMENT");
    assertCode(() => wrapForClient({ dek, clientPublicKey: client.publicKey, requestDigest: new Uint8Array(31) }), "ENVELOPE_INVALID_ARGUMENT");
    assertCode(() => wrapForClient({ dek: new Uint8Array(16), clientPublicKey: client.publicKey, requestDigest }), "ENVELOPE_INVALID_ARGUMENT");
    const notOnCurve = Uint8Array.from([2, ...new Uint8Array(32).fill(0xff)]);
    assertCode(() => wrapForClient({ dek, clientPublicKey: notOnCurve, requestDigest }), "ENVELOPE_INVALID_ARGUMENT");
    // A refused key leaves the shared context usable.
    const envelope = wrapForClient({ dek, clientPublicKey: client.publicKey, requestDigest });
    assert.equal(hex(unwrapRewrap({ envelope, clientPrivateKey: client, requestDigest })), hex(dek));
  });
});
