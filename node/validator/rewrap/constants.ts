/**
 * The rewrap protocol's fixed names and limits. Every number a reviewer may want to tune is
 * here; `options.ts` says which ones a node may change.
 */

/** EIP-712 domain name and version of every signed rewrap message (the chain id and the
 * RewrapAuditLog address complete the domain). */
export const EIP712_DOMAIN_NAME = "dekmesh";
export const EIP712_DOMAIN_VERSION = "1";

export const REWRAP_REQUEST_TYPE = "RewrapRequest(bytes32 contentId,bytes clientPublicKey,uint256 nonce,uint64 expiry)";
export const REWRAP_BULK_REQUEST_TYPE =
  "RewrapBulkRequest(bytes32[] contentIds,bytes clientPublicKey,uint256 nonce,uint64 expiry)";
export const SESSION_GRANT_TYPE = "SessionGrant(address account,bytes sessionPublicKey,uint64 expiry,uint256 nonce)";

/** Contents per bulk request. */
export const MAX_BULK_CONTENTS = 1_000;

/** Default: a request may expire at most this far ahead of the validator's clock (seconds). */
export const DEFAULT_MAX_REQUEST_LIFETIME_S = 300;
/** Default: a session grant may expire at most this far ahead (seconds). */
export const DEFAULT_MAX_SESSION_LIFETIME_S = 24 * 60 * 60;
/** Verified session grants kept (each costs one secp256k1 recovery to verify). */
export const DEFAULT_SESSION_CACHE_SIZE = 100_000;

/** Largest wire message of a single rewrap or a session grant (bytes of JSON). */
export const MAX_REWRAP_REQUEST_BYTES = 4 * 1024;
/** Largest wire message of a bulk rewrap: 1,000 ids are ~69 KB of JSON. */
export const MAX_BULK_REQUEST_BYTES = 128 * 1024;
/** Largest answer to a forwarded bulk rewrap (1,000 results are ~270 KB). */
export const MAX_BULK_ANSWER_BYTES = 512 * 1024;

/** Every refusal, serialized, is exactly this many bytes (padded), whatever its code. */
export const REFUSAL_BYTES = 256;

/** Forwarding: holders tried per content before giving up, and the deadline of each try. */
export const DEFAULT_MAX_FORWARD_ATTEMPTS = 3;
export const DEFAULT_FORWARD_TIMEOUT_MS = 5_000;
/** Forwarded requests served at once by this node (the p2p handler's stream limit). */
export const DEFAULT_MAX_INBOUND_FORWARDS = 256;
/** Hop count a forwarded request carries: a forwarded request is never forwarded again. */
export const FORWARDED_HOP = 1;
