/**
 * The dekmesh policy body and its binding to the DEK.
 *
 * Body (version 1, big endian):
 *   version      1  0x01
 *   policyId     8  uint64, the PolicyRegistry's id
 *   headerDigest 8  only in the plaintext form: SHA-256(header bytes before the policy content)[0..8]
 *
 * Two bindings are written:
 *
 * "encrypted" (default, policy type 0x02): the 9-byte body is AES-256-GCM encrypted under the
 *   DEK with IV 000000 (reserved for the policy; payload IVs start at 1) and with the header
 *   bytes that precede it plus the ephemeral public key as AAD. This binds because producing a ciphertext that opens under
 *   a DEK requires that DEK: to swap the policy id of an existing header one must either know
 *   the DEK — and then one can read the content anyway, so the swap gains nothing — or change
 *   the ephemeral key, which changes the DEK and leaves the payload undecryptable. The AAD
 *   extends the same guarantee to the locator, curve, cipher and policy-type bytes, and to
 *   the ephemeral key's parity byte — ECDH only sees x, so 02↔03 would otherwise go unnoticed. The
 *   8-byte "GMAC" slot carries what upstream OpenTDF computes there (the last 8 bytes of
 *   SHA-256 of the policy ciphertext) so OpenTDF tooling reads the header, but nothing
 *   relies on it: it is an unkeyed hash anyone can recompute.
 *   Overhead: 9 + tag + 8 bytes of policy section.
 *
 * "ecdsa" (policy type 0x01): the 17-byte body is in the clear and the binding is the spec's
 *   ECDSA-P256-SHA256 signature over it by the ephemeral key, so anyone holding the header —
 *   the chain, the indexer, an auditor — can check the policy id without any key. Swapping
 *   the policy needs the ephemeral private key, which the publisher discards; a new ephemeral
 *   key gives a new DEK. The header digest inside the signed body covers the header bytes
 *   before the policy. Costs 64 bytes of signature: over the 150-byte budget, hence optional.
 */
import { createHash } from "node:crypto";
import { aesGcmOpen, aesGcmSeal } from "../keys/aesGcm.js";
import { bytesEqual, concatBytes, readU64, u64be } from "../keys/bytes.js";
import { verifyP256Signature, type P256PrivateKey } from "../keys/p256.js";
import { GMAC_BINDING_LENGTH, NONCE_PADDING_LENGTH, PAYLOAD_IV_LENGTH } from "./constants.js";
import { checkDek } from "./dek.js";
import { TdfError } from "./errors.js";
import type { NanoTdfHeader } from "./header.js";
import { encodeLocator } from "./locator.js";
import type { NanoTdfPolicy } from "./policy.js";

export const DEKMESH_POLICY_VERSION = 1;
export type PolicyBinding = "encrypted" | "ecdsa";
const MAX_UINT64 = (1n << 64n) - 1n;
const HEADER_DIGEST_LENGTH = 8;
/** Encrypted-form body length before the tag. */
export const ENCRYPTED_POLICY_BODY_LENGTH = 1 + 8;
/** Plaintext-form body length. */
export const PLAINTEXT_POLICY_BODY_LENGTH = 1 + 8 + HEADER_DIGEST_LENGTH;
/** GCM nonce of the encrypted policy: IV 000000 padded to 12 bytes. */
const POLICY_NONCE = new Uint8Array(NONCE_PADDING_LENGTH + PAYLOAD_IV_LENGTH);

export interface BoundPolicy {
  policyId: bigint;
  binding: PolicyBinding;
}

function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(data).digest());
}

/** Upstream's "GMAC" value: last 8 bytes of SHA-256(policy content). Public, unkeyed. */
export function upstreamGmacBinding(content: Uint8Array): Uint8Array {
  return sha256(content).subarray(32 - GMAC_BINDING_LENGTH);
}

export function assertPolicyId(policyId: bigint): void {
  if (typeof policyId !== "bigint" || policyId < 0n || policyId > MAX_UINT64) {
    throw new TdfError("TDF_INVALID_ARGUMENT", "policy id must be a uint64 bigint");
  }
}

/** Length of the embedded policy content a binding mode produces (needed before building it). */
export function policyContentLength(binding: PolicyBinding, tagLength: number): number {
  return binding === "encrypted" ? ENCRYPTED_POLICY_BODY_LENGTH + tagLength : PLAINTEXT_POLICY_BODY_LENGTH;
}

/**
 * Builds the policy section. `headerPrefix` is the header up to the policy content (it is
 * fixed once the policy length is known, which `policyContentLength` gives in advance).
 */
export function buildDekmeshPolicy(params: {
  binding: PolicyBinding;
  policyId: bigint;
  dek: Uint8Array;
  ephemeralKey: P256PrivateKey;
  headerPrefix: Uint8Array;
  tagLength: number;
}): NanoTdfPolicy {
  const aad = concatBytes(params.headerPrefix, params.ephemeralKey.publicKey);
  assertPolicyId(params.policyId);
  const plain = concatBytes(new Uint8Array([DEKMESH_POLICY_VERSION]), u64be(params.policyId));
  if (params.binding === "encrypted") {
    const body = aesGcmSeal(params.dek, POLICY_NONCE, plain, { aad, tagLength: params.tagLength });
    return { type: "embedded-encrypted", body, binding: upstreamGmacBinding(body) };
  }
  const body = concatBytes(plain, sha256(params.headerPrefix).subarray(0, HEADER_DIGEST_LENGTH));
  return { type: "embedded-plaintext", body, binding: params.ephemeralKey.sign(body) };
}

function parseBody(body: Uint8Array, expectedLength: number): bigint {
  if (body.length !== expectedLength || body[0] !== DEKMESH_POLICY_VERSION) {
    throw new TdfError("TDF_INVALID_POLICY", "not a version-1 dekmesh policy body", { details: { length: body.length, version: body[0] } });
  }
  return readU64(body, 1);
}

function bindingFailed(reason: string): TdfError {
  return new TdfError("TDF_POLICY_BINDING_FAILED", "policy is not bound to this header's key", { details: { reason } });
}

/**
 * The spec's "policy body bytes" (PB) the binding covers: the embedded content, or for a
 * remote policy its encoded locator. Checked against the OpenTDF README examples.
 */
export function policyBindingBytes(header: NanoTdfHeader): Uint8Array {
  const policy = header.policy;
  if (policy.type === "remote") return encodeLocator(policy.locator);
  return policy.body;
}

/** Whether the header's ECDSA binding (spec: ECDSA-SHA256 over PB by the ephemeral key) verifies. */
export function verifyEcdsaPolicyBinding(header: NanoTdfHeader): boolean {
  if (!header.useEcdsaBinding || header.curve !== "secp256r1") return false;
  return verifyP256Signature(header.ephemeralPublicKey, policyBindingBytes(header), header.policy.binding);
}

/**
 * Reads the policy id a header is bound to, checking the binding. `dek` is the header's DEK
 * (from deriveDekForKas or a rewrap); the ECDSA form does not need it.
 */
export function readHeaderPolicy(header: NanoTdfHeader, dek: Uint8Array): BoundPolicy {
  const policy = header.policy;
  const prefix = header.bytes.subarray(0, header.policyContentOffset);
  if (header.useEcdsaBinding) {
    if (header.curve !== "secp256r1") throw new TdfError("TDF_UNSUPPORTED_CURVE", "ECDSA binding is only checked on P-256");
    if (policy.type !== "embedded-plaintext" && policy.type !== "embedded-encrypted") {
      throw new TdfError("TDF_POLICY_UNBOUND", "policy type carries no dekmesh policy", { details: { type: policy.type } });
    }
    if (!verifyEcdsaPolicyBinding(header)) throw bindingFailed("ecdsa");
  }
  if (policy.type === "embedded-encrypted") {
    if (!header.useEcdsaBinding && !bytesEqual(policy.binding, upstreamGmacBinding(policy.body))) throw bindingFailed("gmac-slot");
    const aad = concatBytes(prefix, header.ephemeralPublicKey);
    const plain = aesGcmOpen(checkDek(dek), POLICY_NONCE, policy.body, { aad, tagLength: header.tagLength });
    if (plain === undefined) throw bindingFailed("encrypted");
    return { policyId: parseBody(plain, ENCRYPTED_POLICY_BODY_LENGTH), binding: header.useEcdsaBinding ? "ecdsa" : "encrypted" };
  }
  if (policy.type === "embedded-plaintext" && header.useEcdsaBinding) {
    const policyId = parseBody(policy.body, PLAINTEXT_POLICY_BODY_LENGTH);
    if (!bytesEqual(policy.body.subarray(9), sha256(prefix).subarray(0, HEADER_DIGEST_LENGTH))) throw bindingFailed("header-digest");
    return { policyId, binding: "ecdsa" };
  }
  // Remote policies and plaintext policies behind the unkeyed "GMAC" can be swapped freely.
  throw new TdfError("TDF_POLICY_UNBOUND", "policy is not cryptographically bound", {
    details: { type: policy.type, useEcdsaBinding: header.useEcdsaBinding },
  });
}

/**
 * The validator's check before it accepts a registration or serves a rewrap: the header's
 * bound policy must be exactly the registered policy id. Anything else — an unbound policy
 * type, a broken binding, another id — is refused.
 */
export function verifyHeaderPolicy(header: NanoTdfHeader, dek: Uint8Array, expectedPolicyId: bigint): BoundPolicy {
  assertPolicyId(expectedPolicyId);
  const bound = readHeaderPolicy(header, dek);
  if (bound.policyId !== expectedPolicyId) {
    throw new TdfError("TDF_POLICY_MISMATCH", "header is bound to another policy", {
      details: { policyId: bound.policyId.toString(), expectedPolicyId: expectedPolicyId.toString() },
    });
  }
  return bound;
}
