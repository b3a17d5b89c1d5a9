/**
 * Writing a dekmesh header: fresh ephemeral P-256 key, DEK per spec §4, the KAS locator
 * naming the validator and its KID, and the policy bound as dekmeshPolicy.ts describes.
 * The ephemeral private key lives only inside this function (it signs the ECDSA binding,
 * then is dropped), so nobody — the publisher included — can later re-sign another policy.
 */
import { bytesEqual } from "../keys/bytes.js";
import { kasKeyId } from "../keys/kid.js";
import { assertValidP256PublicKey, P256PrivateKey } from "../keys/p256.js";
import type { WritableTagBits } from "./constants.js";
import { dekFromSharedSecret } from "./dek.js";
import { buildDekmeshPolicy, policyContentLength, type PolicyBinding } from "./dekmeshPolicy.js";
import { TdfError } from "./errors.js";
import { encodeHeader, type NanoTdfHeader } from "./header.js";
import { locatorFromUrl, type ResourceLocator } from "./locator.js";
import { bindingLength } from "./policy.js";

export interface NanoTdfHeaderOptions {
  /** The validator's KAS public key (33-byte compressed P-256). */
  kasPublicKey: Uint8Array;
  /** Its KID; computed from the key when omitted, and must match it when given. */
  kid?: Uint8Array;
  /** The validator's rewrap endpoint, e.g. "https://validator-1.dekmesh.example:8443". */
  locator: string | ResourceLocator;
  /** The PolicyRegistry id the content is registered under. */
  policyId: bigint;
  /** "encrypted" (default, 138 bytes overhead typical) or "ecdsa" (publicly checkable, +56). */
  binding?: PolicyBinding;
  /** GCM tag size for policy and payload: 128 (default) or 96. */
  tagBits?: WritableTagBits;
  /** Whether a creator signature will follow the payload. */
  hasSignature?: boolean;
}

export function createNanoTdfHeader(options: NanoTdfHeaderOptions): { header: NanoTdfHeader; dek: Uint8Array } {
  try {
    assertValidP256PublicKey(options.kasPublicKey);
  } catch (cause) {
    throw new TdfError("TDF_INVALID_ARGUMENT", "KAS public key is not a compressed P-256 point", { cause });
  }
  const kid = kasKeyId(options.kasPublicKey);
  if (options.kid !== undefined && !bytesEqual(options.kid, kid)) {
    throw new TdfError("TDF_INVALID_ARGUMENT", "kid is not the KID of the KAS public key");
  }
  const kas = typeof options.locator === "string" ? locatorFromUrl(options.locator, kid) : { ...options.locator, identifier: kid };
  const tagBits = options.tagBits ?? 128;
  if (tagBits !== 96 && tagBits !== 128) throw new TdfError("TDF_INVALID_ARGUMENT", "tagBits must be 96 or 128", { details: { tagBits } });
  const tagLength = tagBits / 8;
  const binding = options.binding ?? "encrypted";
  if (binding !== "encrypted" && binding !== "ecdsa") throw new TdfError("TDF_INVALID_ARGUMENT", "unknown binding", { details: { binding } });

  const ephemeralKey = P256PrivateKey.generate();
  const dek = dekFromSharedSecret(ephemeralKey.ecdh(options.kasPublicKey));
  const base = {
    kas,
    curve: "secp256r1",
    useEcdsaBinding: binding === "ecdsa",
    hasSignature: options.hasSignature ?? false,
    signatureCurve: "secp256r1",
    tagLength,
    ephemeralPublicKey: ephemeralKey.publicKey,
  } as const;
  // The bytes before the policy content depend only on its length, so encode once with a
  // placeholder of the right size to learn them, then again with the real policy.
  const placeholder = encodeHeader({
    ...base,
    policy: {
      type: binding === "encrypted" ? "embedded-encrypted" : "embedded-plaintext",
      body: new Uint8Array(policyContentLength(binding, tagLength)),
      binding: new Uint8Array(bindingLength("secp256r1", binding === "ecdsa")),
    },
  });
  const policy = buildDekmeshPolicy({
    binding,
    policyId: options.policyId,
    dek,
    ephemeralKey,
    headerPrefix: placeholder.bytes.subarray(0, placeholder.policyContentOffset),
    tagLength,
  });
  return { header: encodeHeader({ ...base, policy }), dek };
}
