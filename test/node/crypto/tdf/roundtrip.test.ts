/** Encryption and decryption agree, one-shot and streamed, across sizes and segment boundaries. */
import assert from "node:assert/strict";
import { createDecipheriv, createHash, randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import fc from "fast-check";
import { P256PrivateKey } from "../../../../node/crypto/keys/index.js";
import {
  DEFAULT_SEGMENT_SIZE,
  MAX_PAYLOAD_LENGTH,
  decodeNanoTdf,
  decryptNanoTdf,
  decryptStream,
  encryptNanoTdf,
  encryptStream,
  maxSegmentPlaintext,
  readHeaderPolicy,
  type PolicyBinding,
} from "../../../../node/crypto/tdf/index.js";
import { assertCode, chunked, collect, hex, TEST_KAS_KEY, TEST_LOCATOR } from "./helpers.js";

const kasPublicKey = TEST_KAS_KEY.publicKey;
const SIGNER = P256PrivateKey.generate();

const caseArb = fc
  .record({
    segmentSize: fc.integer({ min: 1, max: 48 }),
    binding: fc.constantFrom<PolicyBinding>("encrypted", "ecdsa"),
    tagBits: fc.constantFrom<96 | 128>(96, 128),
    policyId: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    host: fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,60}(:[0-9]{1,5})?$/),
    https: fc.boolean(),
    signed: fc.boolean(),
    chunk: fc.integer({ min: 1, max: 64 }),
    offset: fc.constantFrom(-1, 0, 1),
    multiple: fc.integer({ min: 0, max: 4 }),
    extra: fc.integer({ min: 0, max: 200 }),
  })
  .chain((c) =>
    fc.record({
      c: fc.constant(c),
      // Sizes cluster on segment boundaries (k·S − 1, k·S, k·S + 1) plus some random ones.
      plaintext: fc.oneof(
        fc.constant(Math.max(0, c.multiple * c.segmentSize + c.offset)).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })),
        fc.uint8Array({ maxLength: c.extra }),
      ),
    }),
  );

describe("round trips", () => {
  it("property: one-shot and streaming agree with each other at every boundary", async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async ({ c, plaintext }) => {
        const options = {
          kasPublicKey,
          locator: `${c.https ? "https" : "http"}://${c.host}`,
          policyId: c.policyId,
          binding: c.binding,
          tagBits: c.tagBits,
          segmentSize: c.segmentSize,
          ...(c.signed ? { signer: SIGNER } : {}),
        };
        const oneShot = encryptNanoTdf({ ...options, plaintext });
        const expectedSegments = Math.max(1, Math.ceil(plaintext.length / c.segmentSize));
        const file = decodeNanoTdf(oneShot.bytes);
        assert.equal(file.segments.length, expectedSegments);
        assert.equal(file.layout.kind, expectedSegments === 1 ? "single" : "segmented");
        assert.deepEqual(readHeaderPolicy(file.header, oneShot.dek), { policyId: c.policyId, binding: c.binding });

        const decrypted = decryptNanoTdf({ bytes: oneShot.bytes, kasPrivateKey: TEST_KAS_KEY, expectedPolicyId: c.policyId, ...(c.signed ? { expectedSigner: SIGNER.publicKey } : {}) });
        assert.equal(hex(decrypted), hex(plaintext));
        const streamedBack = await collect(decryptStream(chunked(oneShot.bytes, c.chunk), { kasPrivateKey: TEST_KAS_KEY, expectedPolicyId: c.policyId }));
        assert.equal(hex(streamedBack), hex(plaintext));

        const streamed = encryptStream(chunked(plaintext, c.chunk), options);
        const streamedBytes = await collect(streamed.ciphertext);
        assert.equal(streamedBytes.length, oneShot.bytes.length);
        assert.equal(hex(decryptNanoTdf({ bytes: streamedBytes, dek: streamed.dek, expectedPolicyId: c.policyId })), hex(plaintext));
      }),
      { numRuns: 200, seed: 0x5eed },
    );
  });

  it("a single-segment file is a standard NanoTDF: IV 1, 9-zero-byte nonce padding, no AAD", () => {
    const plaintext = randomBytes(1000);
    const { bytes, dek } = encryptNanoTdf({ plaintext, kasPublicKey, locator: TEST_LOCATOR, policyId: 1n });
    const [segment] = decodeNanoTdf(bytes).segments;
    assert.equal(segment!.iv, 1);
    const nonce = Buffer.concat([Buffer.alloc(9), Buffer.from([0, 0, 1])]);
    const decipher = createDecipheriv("aes-256-gcm", dek, nonce, { authTagLength: 16 });
    decipher.setAuthTag(segment!.tag);
    assert.equal(hex(Buffer.concat([decipher.update(segment!.ciphertext), decipher.final()])), hex(plaintext));
  });

  it("typical file overhead is at most 150 bytes (138 with the encrypted binding)", () => {
    const plaintext = randomBytes(4096);
    const encrypted = encryptNanoTdf({ plaintext, kasPublicKey, locator: TEST_LOCATOR, policyId: 123_456n });
    assert.equal(encrypted.bytes.length - plaintext.length, 138);
    const ecdsa = encryptNanoTdf({ plaintext, kasPublicKey, locator: TEST_LOCATOR, policyId: 123_456n, binding: "ecdsa" });
    assert.equal(ecdsa.bytes.length - plaintext.length, 186);
  });

  it("default segment size boundary: S − 1 and S stay single, S + 1 splits", () => {
    const big = randomBytes(DEFAULT_SEGMENT_SIZE + 1);
    for (const [size, segments] of [[DEFAULT_SEGMENT_SIZE - 1, 1], [DEFAULT_SEGMENT_SIZE, 1], [DEFAULT_SEGMENT_SIZE + 1, 2]] as const) {
      const plaintext = big.subarray(0, size);
      const { bytes } = encryptNanoTdf({ plaintext, kasPublicKey, locator: TEST_LOCATOR, policyId: 2n });
      assert.equal(decodeNanoTdf(bytes).segments.length, segments);
      assert.ok(Buffer.from(decryptNanoTdf({ bytes, kasPrivateKey: TEST_KAS_KEY })).equals(plaintext));
    }
  });

  it("2^24 − 1 and 2^24 bytes with the largest segment: the length field reaches 2^24 − 1 exactly", () => {
    const maxSegment = maxSegmentPlaintext(16);
    const big = randomBytes(2 ** 24);
    for (const [size, segments] of [[maxSegment, 1], [2 ** 24 - 1, 2], [2 ** 24, 2]] as const) {
      const plaintext = big.subarray(0, size);
      const { bytes, header } = encryptNanoTdf({ plaintext, kasPublicKey, locator: TEST_LOCATOR, policyId: 3n, segmentSize: maxSegment });
      const file = decodeNanoTdf(bytes);
      assert.equal(file.segments.length, segments);
      const firstLength = (bytes[header.bytes.length]! << 16) | (bytes[header.bytes.length + 1]! << 8) | bytes[header.bytes.length + 2]!;
      assert.equal(firstLength, MAX_PAYLOAD_LENGTH);
      assert.ok(Buffer.from(decryptNanoTdf({ bytes, kasPrivateKey: TEST_KAS_KEY })).equals(plaintext));
    }
    assertCode(() => encryptNanoTdf({ plaintext: big.subarray(0, 1), kasPublicKey, locator: TEST_LOCATOR, policyId: 3n, segmentSize: maxSegment + 1 }), "TDF_INVALID_ARGUMENT");
  });

  it("a real 20 MiB file streams through encryption and decryption with the default segment size", async () => {
    const size = 20 * 1024 * 1024 + 12_345;
    const source = randomBytes(size);
    const encrypted = encryptStream(chunked(source, 64 * 1024), { kasPublicKey, locator: TEST_LOCATOR, policyId: 4n });
    const ciphertext = await collect(encrypted.ciphertext);
    assert.equal(decodeNanoTdf(ciphertext).segments.length, Math.ceil(size / DEFAULT_SEGMENT_SIZE));
    let seenHeader = false;
    const hash = createHash("sha256");
    for await (const piece of decryptStream(chunked(ciphertext, 100_000), {
      getDek: async (header) => {
        seenHeader = true;
        assert.equal(hex(header.bytes), hex(encrypted.header.bytes));
        return encrypted.dek;
      },
      expectedPolicyId: 4n,
    })) {
      hash.update(piece);
    }
    assert.ok(seenHeader);
    assert.equal(hash.digest("hex"), createHash("sha256").update(source).digest("hex"));
  });

  it("Web Streams in and out", async () => {
    const plaintext = randomBytes(5000);
    const source = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const piece of chunked(plaintext, 777)) controller.enqueue(piece);
        controller.close();
      },
    });
    const encrypted = encryptStream(source, { kasPublicKey, locator: TEST_LOCATOR, policyId: 5n, segmentSize: 1024 });
    const decrypted = await collect(decryptStream(encrypted.readable(), { dek: encrypted.dek }));
    assert.equal(hex(decrypted), hex(plaintext));
  });

  it("error: invalid encryption options", () => {
    const plaintext = new Uint8Array(1);
    assertCode(() => encryptNanoTdf({ plaintext, kasPublicKey: new Uint8Array(33), locator: TEST_LOCATOR, policyId: 1n }), "TDF_INVALID_ARGUMENT");
    assertCode(() => encryptNanoTdf({ plaintext, kasPublicKey, kid: new Uint8Array(8), locator: TEST_LOCATOR, policyId: 1n }), "TDF_INVALID_ARGUMENT");
    assertCode(() => encryptNanoTdf({ plaintext, kasPublicKey, locator: TEST_LOCATOR, policyId: -1n }), "TDF_INVALID_ARGUMENT");
    assertCode(() => encryptNanoTdf({ plaintext, kasPublicKey, locator: TEST_LOCATOR, policyId: 1n << 64n }), "TDF_INVALID_ARGUMENT");
    assertCode(() => encryptNanoTdf({ plaintext, kasPublicKey, locator: TEST_LOCATOR, policyId: 1n, tagBits: 64 as 96 }), "TDF_INVALID_ARGUMENT");
    assertCode(() => encryptNanoTdf({ plaintext, kasPublicKey, locator: TEST_LOCATOR, policyId: 1n, segmentSize: 0 }), "TDF_INVALID_ARGUMENT");
  });
});
