/**
 * The EIP-712 typed data of the rewrap messages (viem / eth_signTypedData_v4 shape), for signing
 * with any wallet. Domain: { name: "dekmesh", version: "1", chainId, verifyingContract:
 * RewrapAuditLog }. The validator computes the same digests directly (node/crypto/keys/eip712.ts).
 */
import { bytesToHex } from "viem";
import { EIP712_DOMAIN_NAME, EIP712_DOMAIN_VERSION } from "./constants.js";
import type { Address, RewrapBulkRequest, RewrapRequest, SessionGrant } from "./types.js";

export interface RewrapDomain {
  chainId: bigint;
  /** The RewrapAuditLog contract's address. */
  verifyingContract: Address;
}

/** The EIP-712 typed-data objects (viem / eth_signTypedData_v4 shape) for signing with a wallet. */
export const REWRAP_EIP712_TYPES = {
  RewrapRequest: [
    { name: "contentId", type: "bytes32" },
    { name: "clientPublicKey", type: "bytes" },
    { name: "nonce", type: "uint256" },
    { name: "expiry", type: "uint64" },
  ],
  RewrapBulkRequest: [
    { name: "contentIds", type: "bytes32[]" },
    { name: "clientPublicKey", type: "bytes" },
    { name: "nonce", type: "uint256" },
    { name: "expiry", type: "uint64" },
  ],
  SessionGrant: [
    { name: "account", type: "address" },
    { name: "sessionPublicKey", type: "bytes" },
    { name: "expiry", type: "uint64" },
    { name: "nonce", type: "uint256" },
  ],
} as const;

export function eip712Domain(domain: RewrapDomain) {
  return {
    name: EIP712_DOMAIN_NAME,
    version: EIP712_DOMAIN_VERSION,
    chainId: domain.chainId,
    verifyingContract: domain.verifyingContract,
  } as const;
}

export function rewrapRequestTypedData(domain: RewrapDomain, request: RewrapRequest) {
  return {
    domain: eip712Domain(domain),
    types: { RewrapRequest: REWRAP_EIP712_TYPES.RewrapRequest },
    primaryType: "RewrapRequest",
    message: {
      contentId: request.contentId,
      clientPublicKey: bytesToHex(request.clientPublicKey),
      nonce: request.nonce,
      expiry: BigInt(request.expiry),
    },
  } as const;
}

export function rewrapBulkRequestTypedData(domain: RewrapDomain, request: RewrapBulkRequest) {
  return {
    domain: eip712Domain(domain),
    types: { RewrapBulkRequest: REWRAP_EIP712_TYPES.RewrapBulkRequest },
    primaryType: "RewrapBulkRequest",
    message: {
      contentIds: request.contentIds,
      clientPublicKey: bytesToHex(request.clientPublicKey),
      nonce: request.nonce,
      expiry: BigInt(request.expiry),
    },
  } as const;
}

export function sessionGrantTypedData(domain: RewrapDomain, grant: SessionGrant) {
  return {
    domain: eip712Domain(domain),
    types: { SessionGrant: REWRAP_EIP712_TYPES.SessionGrant },
    primaryType: "SessionGrant",
    message: {
      account: grant.account,
      sessionPublicKey: bytesToHex(grant.sessionPublicKey),
      expiry: BigInt(grant.expiry),
      nonce: grant.nonce,
    },
  } as const;
}
