/**
 * KAS key identifiers. KID = the first 8 bytes of SHA-256(compressed P-256 public key).
 * The ValidatorRegistry contract computes exactly the same (`bytes8(sha256(kasPublicKey))`),
 * and NanoTDF headers carry it as the resource locator's 8-byte identifier, so a validator
 * finds the private key for a header without trying every key it ever had.
 */
import { createHash } from "node:crypto";
import { bytesToHex } from "viem";

export const KID_LENGTH = 8;

export function kasKeyId(compressedPublicKey: Uint8Array): Uint8Array {
  const digest = createHash("sha256").update(compressedPublicKey).digest();
  return new Uint8Array(digest.subarray(0, KID_LENGTH));
}

/** The KID as 0x-prefixed hex, the form `bytes8` values take in viem and the indexer. */
export function kidToHex(kid: Uint8Array): `0x${string}` {
  return bytesToHex(kid);
}
