/**
 * Known-answer tests: the two example NanoTDFs of the OpenTDF spec README (§6) parse to the
 * documented fields, their ECDSA policy bindings and creator signature verify, and the DEK
 * this library derives from the documented recipient key decrypts the documented payload.
 */
import assert from "node:assert/strict";
import { createDecipheriv, createPrivateKey } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { P256PrivateKey } from "../../../../node/crypto/keys/index.js";
import {
  NANOTDF_SALT,
  decodeNanoTdf,
  deriveDekForKas,
  encodeHeader,
  encodeLocator,
  policyBindingBytes,
  verifyEcdsaPolicyBinding,
  verifyNanoTdfSignature,
} from "../../../../node/crypto/tdf/index.js";
import { hex } from "./helpers.js";

interface Example {
  name: string;
  plaintext: string;
  nanotdf_base64: string;
  recipient_private_key_pkcs8_base64: string;
  recipient_public_key_compressed_base64: string;
  expected_hex: Record<string, string>;
}
const vectors = JSON.parse(
  readFileSync(new URL("../vectors/opentdf-nanotdf-examples.json", import.meta.url), "utf8"),
) as { examples: Example[] };

function recipientKey(example: Example): P256PrivateKey {
  const jwk = createPrivateKey({
    key: Buffer.from(example.recipient_private_key_pkcs8_base64, "base64"),
    format: "der",
    type: "pkcs8",
  }).export({ format: "jwk" });
  return P256PrivateKey.fromBytes(Buffer.from(jwk.d!, "base64url"));
}

describe("OpenTDF spec examples", () => {
  it("salt is SHA-256 of L1L as the spec prints it", () => {
    assert.equal(hex(NANOTDF_SALT), "3de3ca1e50cf62d8b6aba603a96fca6761387a7ac86c3d3afe85ae2d1812edfc");
  });

  for (const example of vectors.examples) {
    describe(example.name, () => {
      const bytes = new Uint8Array(Buffer.from(example.nanotdf_base64, "base64"));
      const expected = example.expected_hex;
      const file = decodeNanoTdf(bytes);
      const { header } = file;

      it("parses every documented field", () => {
        assert.equal(hex(header.bytes.subarray(0, 3)), expected.magic_and_version);
        assert.equal(hex(encodeLocator(header.kas)), expected.kas);
        assert.equal(hex(header.bytes.subarray(3 + expected.kas!.length / 2, 4 + expected.kas!.length / 2)), expected.ecc_mode);
        assert.equal(hex(header.bytes.subarray(4 + expected.kas!.length / 2, 5 + expected.kas!.length / 2)), expected.symmetric_and_payload_config);
        assert.equal(header.curve, "secp256r1");
        assert.equal(header.useEcdsaBinding, true);
        assert.equal(header.policy.type, "remote");
        assert.equal(hex(policyBindingBytes(header)), expected.policy_body);
        assert.equal(hex(header.policy.binding), expected.policy_binding);
        assert.equal(hex(header.ephemeralPublicKey), expected.ephemeral_key);
        assert.equal(file.segments.length, 1);
        const [segment] = file.segments;
        assert.equal(segment!.iv.toString(16).padStart(6, "0"), expected.payload_iv);
        assert.equal(hex(segment!.ciphertext), expected.payload_ciphertext);
        assert.equal(hex(segment!.tag), expected.payload_tag);
        if (expected.signature !== undefined) {
          assert.equal(header.hasSignature, true);
          assert.equal(hex(file.signature!.publicKey), expected.signature_public_key);
          assert.equal(hex(file.signature!.signature), expected.signature);
        } else {
          assert.equal(header.hasSignature, false);
          assert.equal(file.signature, undefined);
        }
      });

      if (expected.signature !== undefined) {
        it("carries a creator signature over header and payload that verifies", () => {
          verifyNanoTdfSignature(bytes, Buffer.from(expected.signature_public_key!, "hex"));
          const tampered = bytes.slice();
          tampered[header.bytes.length + 5]! ^= 1;
          assert.throws(() => verifyNanoTdfSignature(tampered));
        });
      }

      it("re-encodes the header byte for byte", () => {
        assert.equal(hex(encodeHeader(header).bytes), hex(header.bytes));
      });

      it("has an ECDSA policy binding that verifies, and fails for another policy body", () => {
        assert.equal(verifyEcdsaPolicyBinding(header), true);
        const swapped = encodeHeader({ ...header, policy: { ...header.policy, locator: { protocol: "https", body: "evil.example/policy" } } as typeof header.policy });
        assert.equal(verifyEcdsaPolicyBinding(swapped), false);
      });

      it("derives the DEK that decrypts the documented payload", () => {
        const kas = recipientKey(example);
        assert.equal(Buffer.from(kas.publicKey).toString("base64"), example.recipient_public_key_compressed_base64);
        const dek = deriveDekForKas(header, kas);
        const segment = file.segments[0]!;
        // These examples predate the 9-zero-byte nonce padding: the legacy C++ SDK fed the
        // 3-byte IV to GCM as is. The DEK is what this test pins down.
        const iv = Buffer.from(expected.payload_iv!, "hex");
        const decipher = createDecipheriv("aes-256-gcm", dek, iv, { authTagLength: segment.tag.length });
        decipher.setAuthTag(segment.tag);
        const plaintext = Buffer.concat([decipher.update(segment.ciphertext), decipher.final()]);
        assert.equal(plaintext.toString("utf8"), example.plaintext);
      });
    });
  }
});
