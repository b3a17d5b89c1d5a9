/**
 * The recovery seed (docs/architecture.md#on-chain-state, docs/client.md "Recovery"): the message a publisher sends to a
 * validator to re-seed a content's DEK when every holder is gone. Both sides use this file —
 * the client seals a seed (node/sdk/recoverySeed.ts), the validator accepts one
 * (./recovery.ts) — so the typed data, the digest and the JSON exist once.
 *
 *   POST /v1/recover   (JSON, ≤ 4 KiB)
 *   { "contentId": "0x<32 bytes>", "validator": "0x<node address>", "kid": "0x<8 bytes>",
 *     "nonce": "<uint256, decimal>", "expiry": <unix s>, "signature": "0x<65 bytes>",
 *     "envelope": "0x<82 bytes>" }
 *
 * - `signature`: the publisher's EIP-712 signature of
 *   `DekRecovery(bytes32 contentId,address validator,bytes8 kid,uint256 nonce,uint64 expiry)`
 *   in the rewrap domain (name "dekmesh", version "1", chainId, RewrapAuditLog).
 * - `envelope`: the rewrap envelope (node/crypto/envelopes wrapForClient) of the DEK to the
 *   validator's KAS key `kid`, bound to that EIP-712 digest — it opens only for this message,
 *   at this validator.
 */
import { bytesToHex, hashTypedData, hexToBytes, type Address, type Hex } from "viem";
import { REWRAP_ENVELOPE_LENGTH } from "./rewrap/constants.js";
import { eip712Domain, type RewrapDomain } from "./rewrap/eip712.js";
import { address, contentId, hexOfLength, keys, parseJsonObject, seconds, uint256 } from "./rewrap/wire.js";

/** A recovery seed's JSON (POST /v1/recover): ~600 bytes; 4 KiB is the whole allowance. */
export const MAX_RECOVERY_SEED_BYTES = 4 * 1024;

export const DEK_RECOVERY_TYPES = {
  DekRecovery: [
    { name: "contentId", type: "bytes32" },
    { name: "validator", type: "address" },
    { name: "kid", type: "bytes8" },
    { name: "nonce", type: "uint256" },
    { name: "expiry", type: "uint64" },
  ],
} as const;

export interface RecoverySeed {
  contentId: Hex;
  validator: Address;
  kid: Hex;
  nonce: bigint;
  /** Unix seconds. */
  expiry: number;
  signature: Hex;
  envelope: Hex;
}

/** The signed fields of a seed. */
export type RecoverySeedFields = Omit<RecoverySeed, "signature" | "envelope">;

/** The EIP-712 typed data the publisher signs (viem / any eth_signTypedData_v4 wallet). */
export function recoverySeedTypedData(domain: RewrapDomain, seed: RecoverySeedFields) {
  return {
    domain: eip712Domain(domain),
    types: DEK_RECOVERY_TYPES,
    primaryType: "DekRecovery",
    message: { contentId: seed.contentId, validator: seed.validator, kid: seed.kid, nonce: seed.nonce, expiry: BigInt(seed.expiry) },
  } as const;
}

/** The EIP-712 digest: what the publisher signs and what the envelope is bound to. */
export function recoverySeedDigest(domain: RewrapDomain, seed: RecoverySeedFields): Uint8Array {
  return hexToBytes(hashTypedData(recoverySeedTypedData(domain, seed)));
}

export function encodeRecoverySeed(seed: RecoverySeed): string {
  return JSON.stringify({
    contentId: seed.contentId,
    validator: seed.validator,
    kid: seed.kid,
    nonce: seed.nonce.toString(),
    expiry: seed.expiry,
    signature: seed.signature,
    envelope: seed.envelope,
  });
}

/**
 * Strict: a size limit before parsing, exactly these keys, exact lengths. Anything else is
 * REWRAP_MALFORMED (REWRAP_TOO_LARGE over MAX_RECOVERY_SEED_BYTES), like the rewrap messages.
 */
export function decodeRecoverySeed(input: string | Uint8Array): RecoverySeed {
  const body = parseJsonObject(input, MAX_RECOVERY_SEED_BYTES);
  keys(body, "seed", ["contentId", "validator", "kid", "nonce", "expiry", "signature", "envelope"]);
  return {
    contentId: contentId(body.contentId, "contentId"),
    validator: address(body.validator, "validator"),
    kid: bytesToHex(hexOfLength(body.kid, 2 + 8 * 2, "kid")),
    nonce: uint256(body.nonce, "nonce"),
    expiry: seconds(body.expiry, "expiry"),
    signature: bytesToHex(hexOfLength(body.signature, 2 + 65 * 2, "signature")),
    envelope: bytesToHex(hexOfLength(body.envelope, 2 + REWRAP_ENVELOPE_LENGTH * 2, "envelope")),
  };
}
