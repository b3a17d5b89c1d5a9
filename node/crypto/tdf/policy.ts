/**
 * The policy section of a NanoTDF header (spec §3.4.2): type byte, body, binding.
 *
 *   0x00 remote                 body = resource locator
 *   0x01 embedded plaintext     body = u16 length ‖ plaintext
 *   0x02 embedded encrypted     body = u16 length ‖ ciphertext‖tag (AES-256-GCM, IV 000000)
 *   0x03 embedded encrypted     body = u16 length ‖ ciphertext‖tag ‖ policy key access
 *        with key access                 (resource locator ‖ ephemeral public key)
 *   binding = 8 bytes ("GMAC" slot) or a raw r‖s ECDSA signature sized by the header's curve
 *
 * This file only moves bytes; what a dekmesh policy body means and how it is bound to the
 * DEK lives in dekmeshPolicy.ts.
 */
import { concatBytes, u16be } from "../keys/bytes.js";
import { COMPRESSED_KEY_LENGTH, ECDSA_SIGNATURE_LENGTH, GMAC_BINDING_LENGTH, type EccCurve } from "./constants.js";
import { TdfError } from "./errors.js";
import { encodeLocator, readLocator, type ResourceLocator } from "./locator.js";
import type { ByteReader } from "./reader.js";

export const POLICY_TYPES = ["remote", "embedded-plaintext", "embedded-encrypted", "embedded-encrypted-key-access"] as const;
export type PolicyType = (typeof POLICY_TYPES)[number];

export interface PolicyKeyAccess {
  locator: ResourceLocator;
  ephemeralPublicKey: Uint8Array;
}

export type NanoTdfPolicy =
  | { type: "remote"; locator: ResourceLocator; binding: Uint8Array }
  | { type: "embedded-plaintext"; body: Uint8Array; binding: Uint8Array }
  | { type: "embedded-encrypted"; body: Uint8Array; binding: Uint8Array }
  | { type: "embedded-encrypted-key-access"; body: Uint8Array; keyAccess: PolicyKeyAccess; binding: Uint8Array };

/** How long the binding is for a header with this curve and binding mode. */
export function bindingLength(curve: EccCurve, useEcdsaBinding: boolean): number {
  return useEcdsaBinding ? ECDSA_SIGNATURE_LENGTH[curve] : GMAC_BINDING_LENGTH;
}

export function assertCompressedKey(key: Uint8Array, curve: EccCurve, field: string): void {
  if (key.length !== COMPRESSED_KEY_LENGTH[curve] || (key[0] !== 0x02 && key[0] !== 0x03)) {
    throw new TdfError("TDF_INVALID_KEY", `${field} is not a compressed ${curve} point`, {
      details: { length: key.length, prefix: key[0] },
    });
  }
}

/** Encodes the policy section without its binding. */
export function encodePolicyBody(policy: NanoTdfPolicy, curve: EccCurve): Uint8Array {
  const type = new Uint8Array([POLICY_TYPES.indexOf(policy.type)]);
  if (policy.type === "remote") return concatBytes(type, encodeLocator(policy.locator));
  if (policy.body.length < 1 || policy.body.length > 0xffff) {
    throw new TdfError("TDF_INVALID_POLICY", "embedded policy must be 1 to 65535 bytes", { details: { length: policy.body.length } });
  }
  const embedded = concatBytes(type, u16be(policy.body.length), policy.body);
  if (policy.type !== "embedded-encrypted-key-access") return embedded;
  assertCompressedKey(policy.keyAccess.ephemeralPublicKey, curve, "policy key access ephemeral key");
  return concatBytes(embedded, encodeLocator(policy.keyAccess.locator), policy.keyAccess.ephemeralPublicKey);
}

export function encodePolicy(policy: NanoTdfPolicy, curve: EccCurve, useEcdsaBinding: boolean): Uint8Array {
  const expected = bindingLength(curve, useEcdsaBinding);
  if (policy.binding.length !== expected) {
    throw new TdfError("TDF_INVALID_POLICY", "policy binding has the wrong length for the binding mode", {
      details: { length: policy.binding.length, expected },
    });
  }
  return concatBytes(encodePolicyBody(policy, curve), policy.binding);
}

export function readPolicy(reader: ByteReader, curve: EccCurve, useEcdsaBinding: boolean): NanoTdfPolicy {
  const typeCode = reader.u8("policy type");
  const type = POLICY_TYPES[typeCode];
  if (type === undefined) {
    throw new TdfError("TDF_UNSUPPORTED_POLICY_TYPE", "unknown policy type", { details: { typeCode, offset: reader.offset - 1 } });
  }
  const readBinding = (): Uint8Array => reader.bytes(bindingLength(curve, useEcdsaBinding), "policy binding").slice();
  if (type === "remote") {
    const locator = readLocator(reader, "remote policy locator");
    return { type, locator, binding: readBinding() };
  }
  const length = reader.u16("policy content length");
  if (length === 0) throw new TdfError("TDF_INVALID_POLICY", "embedded policy is empty", { details: { offset: reader.offset - 2 } });
  const body = reader.bytes(length, "policy content").slice();
  if (type !== "embedded-encrypted-key-access") return { type, body, binding: readBinding() };
  const locator = readLocator(reader, "policy key access locator");
  const ephemeralPublicKey = reader.bytes(COMPRESSED_KEY_LENGTH[curve], "policy key access ephemeral key").slice();
  assertCompressedKey(ephemeralPublicKey, curve, "policy key access ephemeral key");
  return { type, body, keyAccess: { locator, ephemeralPublicKey }, binding: readBinding() };
}
