/**
 * The optional creator signature (spec §3.3.3): the creator's compressed public key ‖ raw
 * r‖s ECDSA-P256-SHA256 signature over every byte before it (header and all segments) —
 * what the spec's example 6.1 verifies as. Whole-buffer callers sign and verify natively;
 * streams only have the running SHA-256 digest, which needs @noble's prehash-free ECDSA
 * (slower, but once per file).
 */
import { createHash, type Hash } from "node:crypto";
import { p256 } from "@noble/curves/nist.js";
import { concatBytes } from "../keys/bytes.js";
import { verifyP256Signature, type P256PrivateKey } from "../keys/p256.js";
import { COMPRESSED_KEY_LENGTH, ECDSA_SIGNATURE_LENGTH, type EccCurve } from "./constants.js";
import { TdfError } from "./errors.js";
import type { NanoTdfHeader } from "./header.js";

export interface CreatorSignature {
  publicKey: Uint8Array;
  signature: Uint8Array;
}

export function signatureSectionLength(header: NanoTdfHeader): number {
  if (!header.hasSignature) return 0;
  return COMPRESSED_KEY_LENGTH[header.signatureCurve] + ECDSA_SIGNATURE_LENGTH[header.signatureCurve];
}

export function splitSignature(section: Uint8Array, curve: EccCurve): CreatorSignature {
  const keyLength = COMPRESSED_KEY_LENGTH[curve];
  return { publicKey: section.slice(0, keyLength), signature: section.slice(keyLength) };
}

export function signedContentHasher(): Hash {
  return createHash("sha256");
}

/** What the signature covers: the bytes themselves, or their SHA-256 digest. */
export type SignedContent = { data: Uint8Array } | { digest: Uint8Array };

export function createCreatorSignature(signer: P256PrivateKey, content: SignedContent): Uint8Array {
  const signature =
    "data" in content ? signer.sign(content.data) : p256.sign(content.digest, signer.exportPrivateKey(), { prehash: false });
  return concatBytes(signer.publicKey, signature);
}

/** Throws unless the signature is a valid P-256 signature over `digest` (by `expectedSigner`, if given). */
export function verifyCreatorSignature(
  curve: EccCurve,
  signature: CreatorSignature,
  content: SignedContent,
  expectedSigner?: Uint8Array,
): void {
  if (curve !== "secp256r1") {
    throw new TdfError("TDF_UNSUPPORTED_CURVE", "creator signatures are only verified on P-256", { details: { curve } });
  }
  let valid = false;
  if ("data" in content) {
    valid = verifyP256Signature(signature.publicKey, content.data, signature.signature);
  } else {
    try {
      valid = p256.verify(signature.signature, content.digest, signature.publicKey, { prehash: false, lowS: false });
    } catch {
      valid = false;
    }
  }
  if (!valid) throw new TdfError("TDF_SIGNATURE_INVALID", "creator signature does not verify");
  if (expectedSigner !== undefined && Buffer.compare(Buffer.from(expectedSigner), Buffer.from(signature.publicKey)) !== 0) {
    throw new TdfError("TDF_SIGNATURE_INVALID", "signed by another creator");
  }
}
