/**
 * Integrity: every single-byte change and every truncation of a file is refused, segments
 * cannot be reordered, duplicated, dropped or spliced, and a header copied under another
 * policy id is rejected by the validator's check.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { DekmeshError } from "../../../../node/protocol/errors.js";
import { P256PrivateKey } from "../../../../node/crypto/keys/index.js";
import {
  createNanoTdfHeader,
  decodeHeader,
  decodeNanoTdf,
  decryptNanoTdf,
  decryptStream,
  deriveDekForKas,
  encodeHeader,
  encryptNanoTdf,
  upstreamGmacBinding,
  verifyHeaderPolicy,
  verifyRegisteredHeader,
  type PolicyBinding,
} from "../../../../node/crypto/tdf/index.js";
import { assertCode, assertRejectsCode, chunked, collect, TEST_KAS_KEY, TEST_LOCATOR } from "./helpers.js";

const kasPublicKey = TEST_KAS_KEY.publicKey;
const POLICY_ID = 77n;

function open(bytes: Uint8Array): Uint8Array {
  return decryptNanoTdf({ bytes, kasPrivateKey: TEST_KAS_KEY, expectedPolicyId: POLICY_ID });
}

function assertRefused(bytes: Uint8Array, what: string): void {
  assert.throws(() => open(bytes), (error: unknown) => {
    assert.ok(error instanceof DekmeshError, `${what}: expected a DekmeshError, got ${String(error)}`);
    return true;
  }, what);
}

const ALL_DELTAS = Array.from({ length: 255 }, (_, d) => d + 1);
const BIT_DELTAS = [0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0xff];

const variants: { name: string; binding: PolicyBinding; size: number; segmentSize?: number; signed: boolean; exhaustiveHeader?: boolean }[] = [
  { name: "encrypted binding, single segment", binding: "encrypted", size: 40, signed: false, exhaustiveHeader: true },
  { name: "ECDSA binding, single segment, signed", binding: "ecdsa", size: 40, signed: true },
  { name: "encrypted binding, three segments", binding: "encrypted", size: 40, segmentSize: 16, signed: false },
  { name: "ECDSA binding, three segments, signed", binding: "ecdsa", size: 40, segmentSize: 16, signed: true },
];

describe("tamper detection", () => {
  for (const variant of variants) {
    describe(variant.name, () => {
      const plaintext = randomBytes(variant.size);
      const { bytes } = encryptNanoTdf({
        plaintext,
        kasPublicKey,
        locator: TEST_LOCATOR,
        policyId: POLICY_ID,
        binding: variant.binding,
        ...(variant.segmentSize !== undefined ? { segmentSize: variant.segmentSize } : {}),
        ...(variant.signed ? { signer: P256PrivateKey.generate() } : {}),
      });

      it("opens untouched", () => assert.ok(Buffer.from(open(bytes)).equals(plaintext)));

      it("every single-byte change anywhere is refused", () => {
        const headerLength = decodeHeader(bytes).bytes.length;
        for (let i = 0; i < bytes.length; i++) {
          // Every possible value of every header byte for the default format; elsewhere every
          // single-bit flip and the complement (the GCM tag and the bindings treat all alike).
          const deltas = variant.exhaustiveHeader && i < headerLength ? ALL_DELTAS : BIT_DELTAS;
          for (const delta of deltas) {
            const tampered = bytes.slice();
            tampered[i]! ^= delta;
            assertRefused(tampered, `byte ${i} ^ ${delta}`);
          }
        }
      });

      it("every truncation is refused", () => {
        for (let n = 0; n < bytes.length; n++) assertRefused(bytes.subarray(0, n), `truncated to ${n}`);
      });

      it("appended bytes are refused", () => {
        assertRefused(Uint8Array.from([...bytes, 0]), "one extra byte");
        assertRefused(Uint8Array.from([...bytes, 0, 0, 19, ...new Uint8Array(19)]), "an extra segment");
      });
    });
  }

  describe("segment attacks", () => {
    const segmentSize = 16;
    const plaintext = randomBytes(16 * 4);
    const encrypt = () => encryptNanoTdf({ plaintext, kasPublicKey, locator: TEST_LOCATOR, policyId: POLICY_ID, segmentSize });
    const { bytes, header } = encrypt();
    const headerLength = header.bytes.length;
    const segmentLength = 3 + 3 + segmentSize + 16;
    const segment = (file: Uint8Array, i: number) => file.subarray(headerLength + i * segmentLength, headerLength + (i + 1) * segmentLength);
    const assemble = (file: Uint8Array, order: number[]) => Buffer.concat([file.subarray(0, headerLength), ...order.map((i) => segment(file, i))]);

    it("reordering", () => assertCode(() => open(assemble(bytes, [1, 0, 2, 3])), "TDF_INVALID_SEGMENT"));
    it("duplication", () => assertCode(() => open(assemble(bytes, [0, 1, 1, 2, 3])), "TDF_INVALID_SEGMENT"));
    it("dropping the last segment (truncation at a boundary)", () => assertCode(() => open(assemble(bytes, [0, 1, 2])), "TDF_DECRYPT_FAILED"));
    it("dropping a middle segment", () => assertCode(() => open(assemble(bytes, [0, 1, 3])), "TDF_INVALID_SEGMENT"));
    it("cutting down to the first segment, which then looks like a plain NanoTDF", () => {
      assertCode(() => open(assemble(bytes, [0])), "TDF_DECRYPT_FAILED");
    });
    it("splicing a segment from another file", () => {
      const other = encrypt().bytes;
      const spliced = Buffer.concat([bytes.subarray(0, headerLength), segment(bytes, 0), segment(other, 1), segment(bytes, 2), segment(bytes, 3)]);
      assertCode(() => open(spliced), "TDF_DECRYPT_FAILED");
    });
    it("segments are bound to the exact header, even with the policy check off", () => {
      const moved = encodeHeader({ ...header, kas: { ...header.kas, body: "validator-2.dekmesh.example:8443" } });
      const file = Buffer.concat([moved.bytes, bytes.subarray(headerLength)]);
      assertCode(() => decryptNanoTdf({ bytes: file, kasPrivateKey: TEST_KAS_KEY, checkPolicyBinding: false }), "TDF_DECRYPT_FAILED");
    });
    it("the stream decoder refuses the same attacks", async () => {
      for (const order of [[1, 0, 2, 3], [0, 1, 2], [0], [0, 0, 1, 2, 3]]) {
        await assert.rejects(collect(decryptStream(chunked(assemble(bytes, order), 7), { kasPrivateKey: TEST_KAS_KEY })), DekmeshError);
      }
    });
    it("the stream decoder releases no plaintext of a tampered segment", async () => {
      const tampered = bytes.slice();
      tampered[headerLength + 2 * segmentLength + 10]! ^= 1;
      const released: Uint8Array[] = [];
      await assertRejectsCode(async () => {
        for await (const piece of decryptStream(chunked(tampered, 5), { dek: deriveDekForKas(header, TEST_KAS_KEY) })) released.push(piece);
      }, "TDF_DECRYPT_FAILED");
      assert.ok(Buffer.concat(released).equals(plaintext.subarray(0, 2 * segmentSize)));
    });
  });

  describe("policy swap attack", () => {
    for (const binding of ["encrypted", "ecdsa"] as const) {
      it(`${binding}: a header copied under another policy id is rejected`, () => {
        const { header, dek } = createNanoTdfHeader({ kasPublicKey, locator: TEST_LOCATOR, policyId: 1n, binding });
        // The validator derives the DEK from the registered header and checks the registered id.
        const derived = deriveDekForKas(decodeHeader(header.bytes, { exact: true }), TEST_KAS_KEY);
        assert.deepEqual(verifyHeaderPolicy(header, derived, 1n), { policyId: 1n, binding });
        assertCode(() => verifyHeaderPolicy(header, derived, 2n), "TDF_POLICY_MISMATCH");
        assert.ok(Buffer.from(derived).equals(dek));
        // The same, as one call on the registered bytes.
        assert.ok(Buffer.from(verifyRegisteredHeader({ headerBytes: header.bytes, kasPrivateKey: TEST_KAS_KEY, policyId: 1n }).dek).equals(dek));
        assertCode(() => verifyRegisteredHeader({ headerBytes: header.bytes, kasPrivateKey: TEST_KAS_KEY, policyId: 2n }), "TDF_POLICY_MISMATCH");
        assertCode(() => verifyRegisteredHeader({ headerBytes: Uint8Array.from([...header.bytes, 0]), kasPrivateKey: TEST_KAS_KEY, policyId: 1n }), "TDF_TRAILING_DATA");
      });

      it(`${binding}: editing the policy id inside the header breaks the binding`, () => {
        const { header } = createNanoTdfHeader({ kasPublicKey, locator: TEST_LOCATOR, policyId: 1n, binding });
        const dek = deriveDekForKas(header, TEST_KAS_KEY);
        const policy = header.policy as { type: "embedded-encrypted" | "embedded-plaintext"; body: Uint8Array; binding: Uint8Array };
        const body = policy.body.slice();
        // Turn policy id 1 into 2: the id's last byte is body[8] (plaintext form) or its keystream-XORed ciphertext.
        body[8]! ^= 0x03;
        // An attacker can recompute upstream's unkeyed "GMAC" — it must not help.
        const binding2 = binding === "encrypted" ? upstreamGmacBinding(body) : policy.binding;
        const forged = encodeHeader({ ...header, policy: { ...policy, body, binding: binding2 } });
        assertCode(() => verifyHeaderPolicy(forged, dek, 2n), "TDF_POLICY_BINDING_FAILED");
      });

      it(`${binding}: a re-made header with a new ephemeral key passes for the new id but cannot open the content`, () => {
        const original = encryptNanoTdf({ plaintext: randomBytes(64), kasPublicKey, locator: TEST_LOCATOR, policyId: 1n, binding });
        const remade = createNanoTdfHeader({ kasPublicKey, locator: TEST_LOCATOR, policyId: 2n, binding });
        const file = Buffer.concat([remade.header.bytes, original.bytes.subarray(original.header.bytes.length)]);
        assertCode(() => decryptNanoTdf({ bytes: file, kasPrivateKey: TEST_KAS_KEY, expectedPolicyId: 2n }), "TDF_DECRYPT_FAILED");
      });
    }

    it("unbound policies are refused: remote, and plaintext behind the unkeyed GMAC slot", () => {
      const { header, dek } = createNanoTdfHeader({ kasPublicKey, locator: TEST_LOCATOR, policyId: 1n });
      const remote = encodeHeader({ ...header, policy: { type: "remote", locator: { protocol: "https", body: "policy.example/1" }, binding: new Uint8Array(8) } });
      assertCode(() => verifyHeaderPolicy(remote, dek, 1n), "TDF_POLICY_UNBOUND");
      const body = Uint8Array.from([1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
      const plain = encodeHeader({ ...header, policy: { type: "embedded-plaintext", body, binding: upstreamGmacBinding(body) } });
      assertCode(() => verifyHeaderPolicy(plain, dek, 1n), "TDF_POLICY_UNBOUND");
    });

    it("a header encrypted to another KAS key is named as such", () => {
      const { header } = createNanoTdfHeader({ kasPublicKey: P256PrivateKey.generate().publicKey, locator: TEST_LOCATOR, policyId: 1n });
      assertCode(() => deriveDekForKas(header, TEST_KAS_KEY), "TDF_UNKNOWN_KID");
      assert.equal(decodeNanoTdf(encryptNanoTdf({ plaintext: new Uint8Array(1), kasPublicKey, locator: TEST_LOCATOR, policyId: 1n }).bytes).segments.length, 1);
    });
  });
});
