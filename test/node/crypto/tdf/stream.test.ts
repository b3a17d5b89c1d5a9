/** Streaming behaviour beyond round trips: ordering of checks, errors, cancellation. */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { P256PrivateKey } from "../../../../node/crypto/keys/index.js";
import { decryptStream, encryptNanoTdf, encryptStream } from "../../../../node/crypto/tdf/index.js";
import { assertRejectsCode, chunked, collect, hex, TEST_KAS_KEY, TEST_LOCATOR } from "./helpers.js";

const kasPublicKey = TEST_KAS_KEY.publicKey;

describe("streams", () => {
  it("decodes a source delivered one byte at a time", async () => {
    const plaintext = randomBytes(300);
    const { bytes, dek } = encryptNanoTdf({ plaintext, kasPublicKey, locator: TEST_LOCATOR, policyId: 1n, segmentSize: 64 });
    assert.equal(hex(await collect(decryptStream(chunked(bytes, 1), { dek }))), hex(plaintext));
  });

  it("asks for the DEK once, with the header, before releasing anything", async () => {
    const { bytes, dek, header } = encryptNanoTdf({ plaintext: randomBytes(100), kasPublicKey, locator: TEST_LOCATOR, policyId: 1n, segmentSize: 10 });
    const calls: string[] = [];
    for await (const piece of decryptStream(chunked(bytes, 13), {
      getDek: (seen) => {
        calls.push(hex(seen.bytes));
        return dek;
      },
    })) {
      assert.equal(calls.length, 1);
      assert.ok(piece.length > 0);
    }
    assert.deepEqual(calls, [hex(header.bytes)]);
  });

  it("error: a header bound to another policy releases nothing", async () => {
    const { bytes } = encryptNanoTdf({ plaintext: randomBytes(100), kasPublicKey, locator: TEST_LOCATOR, policyId: 1n });
    let released = 0;
    await assertRejectsCode(async () => {
      for await (const piece of decryptStream([bytes], { kasPrivateKey: TEST_KAS_KEY, expectedPolicyId: 2n })) released += piece.length;
    }, "TDF_POLICY_MISMATCH");
    assert.equal(released, 0);
  });

  it("error: creator signature by someone else ends the stream", async () => {
    const signer = P256PrivateKey.generate();
    const encrypted = encryptStream([randomBytes(50)], { kasPublicKey, locator: TEST_LOCATOR, policyId: 1n, signer, segmentSize: 16 });
    const bytes = await collect(encrypted.ciphertext);
    assert.equal((await collect(decryptStream([bytes], { dek: encrypted.dek, expectedSigner: signer.publicKey }))).length, 50);
    await assertRejectsCode(() => collect(decryptStream([bytes], { dek: encrypted.dek, expectedSigner: P256PrivateKey.generate().publicKey })), "TDF_SIGNATURE_INVALID");
    const unsigned = encryptNanoTdf({ plaintext: randomBytes(5), kasPublicKey, locator: TEST_LOCATOR, policyId: 1n });
    await assertRejectsCode(() => collect(decryptStream([unsigned.bytes], { dek: unsigned.dek, expectedSigner: signer.publicKey })), "TDF_SIGNATURE_INVALID");
  });

  it("error: a DEK callback that returns something else than 32 bytes", async () => {
    const { bytes } = encryptNanoTdf({ plaintext: randomBytes(10), kasPublicKey, locator: TEST_LOCATOR, policyId: 1n });
    await assertRejectsCode(() => collect(decryptStream([bytes], { getDek: () => new Uint8Array(16) })), "TDF_INVALID_ARGUMENT");
  });

  it("error: an empty source", async () => {
    await assertRejectsCode(() => collect(decryptStream([], { kasPrivateKey: TEST_KAS_KEY })), "TDF_TRUNCATED");
  });

  it("a failing source fails the stream with its own error", async () => {
    async function* failing() {
      yield randomBytes(10);
      throw new Error("disk gone");
    }
    const encrypted = encryptStream(failing(), { kasPublicKey, locator: TEST_LOCATOR, policyId: 1n });
    await assert.rejects(collect(encrypted.ciphertext), /disk gone/);
  });

  it("a consumer that stops early closes the source", async () => {
    let closed = false;
    async function* source() {
      try {
        for (let i = 0; i < 100; i++) yield randomBytes(1000);
      } finally {
        closed = true;
      }
    }
    const encrypted = encryptStream(source(), { kasPublicKey, locator: TEST_LOCATOR, policyId: 1n, segmentSize: 1000 });
    let pieces = 0;
    for await (const _piece of encrypted.ciphertext) if (++pieces === 3) break;
    assert.equal(closed, true);
  });
});
