/**
 * Rewrap requests and answers as the service sees them (decoded; `wire.ts` maps them to and from
 * JSON). Field names and types mirror the EIP-712 structs in `eip712.ts` and docs/rewrap.md.
 */
import type { Address, Hex } from "viem";
import type { AccessReason } from "../accessReasons.js";
import type { RewrapErrorCode } from "./errors.js";

export type { Address, Hex };

/** EIP-712 `RewrapRequest`: one content's DEK, wrapped to `clientPublicKey`. */
export interface RewrapRequest {
  /** keccak256 of the content's CID bytes; lowercase 0x-hex. */
  contentId: Hex;
  /** The reader's ephemeral P-256 key, 33-byte compressed point. */
  clientPublicKey: Uint8Array;
  /** uint256, unique per account among its unexpired requests. */
  nonce: bigint;
  /** uint64 unix seconds; at most `maxRequestLifetimeS` ahead of the validator's clock. */
  expiry: number;
}

/** EIP-712 `RewrapBulkRequest`: up to 1,000 contents under one signature and one nonce. */
export interface RewrapBulkRequest {
  contentIds: Hex[];
  clientPublicKey: Uint8Array;
  nonce: bigint;
  expiry: number;
}

/** EIP-712 `SessionGrant`: the account lets `sessionPublicKey` sign its requests until `expiry`. */
export interface SessionGrant {
  account: Address;
  /** P-256, 33-byte compressed point. */
  sessionPublicKey: Uint8Array;
  expiry: number;
  nonce: bigint;
}

export interface SignedSessionGrant extends SessionGrant {
  /** The account's EIP-712 signature, r‖s‖v (65 bytes). */
  signature: Uint8Array;
}

/** Who signed a request, and how. */
export type RequestAuth =
  /** The account itself signed the request's EIP-712 digest (secp256k1, r‖s‖v). */
  | { kind: "account"; account: Address; signature: Uint8Array }
  /** The grant's session key signed the request's EIP-712 digest (ECDSA P-256/SHA-256, r‖s). */
  | { kind: "session"; grant: SignedSessionGrant; signature: Uint8Array };

export interface SignedRewrapRequest {
  request: RewrapRequest;
  auth: RequestAuth;
}

export interface SignedRewrapBulkRequest {
  request: RewrapBulkRequest;
  auth: RequestAuth;
}

/** A served rewrap: the DEK in a rewrap envelope to the client's key, bound to `requestDigest`. */
export interface RewrapAnswer {
  contentId: Hex;
  /** The EIP-712 digest of the request (also the audit record's requestDigest). */
  requestDigest: Hex;
  /** 82-byte rewrap envelope (node/crypto/envelopes/rewrap.ts); open with `unwrapRewrap`. */
  envelope: Uint8Array;
}

/**
 * A threshold member's answer to a rewrap request (POST /v1/rewrap/share, docs/threshold.md#reading):
 * its share of the content key wrapped to the request's client key and signed with its KAS key.
 */
export interface ShareRewrapAnswer {
  contentId: Hex;
  /** The EIP-712 digest of the request (also the audit record's requestDigest). */
  requestDigest: Hex;
  /** 148-byte share answer (node/crypto/threshold/shareAnswer.ts); open with `openShareAnswer`. */
  shareAnswer: Uint8Array;
}

/** A per-content refusal inside a bulk answer. */
export interface BulkRefusal {
  code: RewrapErrorCode;
  reason?: AccessReason;
}

export type BulkItem = { contentId: Hex; envelope: Uint8Array } | { contentId: Hex; error: BulkRefusal };

export interface RewrapBulkAnswer {
  /** The EIP-712 digest of the bulk request; each item's envelope is bound to keccak256(it ‖ contentId). */
  requestDigest: Hex;
  /** One per requested content, in request order. */
  results: BulkItem[];
}

/** A verified session grant. */
export interface SessionInfo {
  /** The grant's EIP-712 digest: its identity in caches and logs. */
  grantHash: Hex;
  account: Address;
  sessionPublicKey: Uint8Array;
  expiry: number;
}
