/**
 * Re-seeding a DEK from the recovery envelope (SPEC §4): when every holder of a content has
 * gone, its publisher opens the envelope registered with the content and hands the DEK to a
 * new validator. The message both sides share (docs/client.md "Recovery"):
 *
 *   POST /v1/recover   (validator endpoint; JSON, ≤ 4 KiB)
 *   { "contentId": "0x<32 bytes>", "validator": "0x<node address>", "kid": "0x<8 bytes>",
 *     "nonce": "<uint256>", "expiry": <unix s>, "signature": "0x<65 bytes>", "envelope": "0x<82 bytes>" }
 *
 * - `signature`: the publisher's EIP-712 signature of
 *   `DekRecovery(bytes32 contentId,address validator,bytes8 kid,uint256 nonce,uint64 expiry)`
 *   in the rewrap domain (name "dekmesh", version "1", chainId, RewrapAuditLog).
 * - `envelope`: the rewrap envelope (node/envelopes wrapForClient) of the DEK to the
 *   validator's KAS key `kid`, bound to that EIP-712 digest — so it opens only for this
 *   message, at this validator.
 *
 * The validator (openRecoverySeed) accepts only if: not expired (and at most 300 s ahead), the
 * validator field is itself, `kid` is one of its KAS keys, the signer is the content's
 * registered publisher, the nonce was not seen (replay table), the envelope opens, and — the
 * check that makes the publisher's word unnecessary — the DEK opens the registered header's
 * policy binding under the registered policy id (verifyRegisteredHeader's binding check): only
 * the content's real DEK does. It then stores the DEK and confirms the holding on chain like a
 * replicated one. Answer 200 `{"contentId","stored":true}`; refusals are the rewrap refusals
 * (REWRAP_MALFORMED, REWRAP_EXPIRED, REWRAP_SIGNATURE_INVALID, REWRAP_REPLAYED,
 * REWRAP_CONTENT_NOT_FOUND, REWRAP_ACCESS_DENIED for a signer that is not the publisher).
 */
import { hashTypedData, recoverTypedDataAddress, type Address, type Hex, type LocalAccount } from "viem";
import { unwrapRewrap, wrapForClient } from "../envelopes/index.js";
import type { P256PrivateKey } from "../keys/index.js";
import { bytesToHex, eip712Domain, hexToBytes, type RewrapDomain } from "../rewrap/index.js";
import { decodeHeader, verifyHeaderPolicy } from "../tdf/index.js";

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
  expiry: number;
  signature: Hex;
  envelope: Hex;
}

function typedData(domain: RewrapDomain, seed: Omit<RecoverySeed, "signature" | "envelope">) {
  return {
    domain: eip712Domain(domain),
    types: DEK_RECOVERY_TYPES,
    primaryType: "DekRecovery",
    message: { contentId: seed.contentId, validator: seed.validator, kid: seed.kid, nonce: seed.nonce, expiry: BigInt(seed.expiry) },
  } as const;
}

/** Publisher side: the signed seed carrying `dek` to the validator's KAS key. */
export async function createRecoverySeed(params: {
  account: LocalAccount;
  domain: RewrapDomain;
  contentId: Hex;
  validator: Address;
  kasPublicKey: Uint8Array;
  kid: Hex;
  dek: Uint8Array;
  nonce: bigint;
  expiry: number;
}): Promise<RecoverySeed> {
  const fields = { contentId: params.contentId, validator: params.validator, kid: params.kid, nonce: params.nonce, expiry: params.expiry };
  const data = typedData(params.domain, fields);
  const signature = await params.account.signTypedData(data as never);
  const envelope = wrapForClient({ dek: params.dek, clientPublicKey: params.kasPublicKey, requestDigest: hexToBytes(hashTypedData(data as never)) });
  return { ...fields, signature, envelope: bytesToHex(envelope) };
}

export function encodeRecoverySeed(seed: RecoverySeed): string {
  return JSON.stringify({ ...seed, nonce: seed.nonce.toString() });
}

/**
 * Validator side: checks a decoded seed against the registration and returns the DEK. The
 * caller has already checked expiry, the validator field, the replay nonce and resolved
 * `kasPrivateKey` from `seed.kid`; this does the signature, envelope and binding checks.
 */
export async function openRecoverySeed(params: {
  seed: RecoverySeed;
  domain: RewrapDomain;
  kasPrivateKey: P256PrivateKey;
  registration: { publisher: Address; headerBytes: Uint8Array; policyId: bigint };
}): Promise<Uint8Array> {
  const { seed } = params;
  const data = typedData(params.domain, seed);
  const signer = await recoverTypedDataAddress({ ...data, signature: seed.signature } as never);
  if (signer.toLowerCase() !== params.registration.publisher.toLowerCase()) throw new Error("the seed is not signed by the content's publisher");
  const dek = unwrapRewrap({ envelope: hexToBytes(seed.envelope), clientPrivateKey: params.kasPrivateKey, requestDigest: hexToBytes(hashTypedData(data as never)) });
  verifyHeaderPolicy(decodeHeader(params.registration.headerBytes, { exact: true }), dek, params.registration.policyId);
  return dek;
}
