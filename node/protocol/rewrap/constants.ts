/**
 * The rewrap protocol's fixed names and limits: what a client and a validator must agree on.
 * The service's tunable defaults are in node/validator/rewrap/constants.ts.
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

/** Largest wire message of a single rewrap or a session grant (bytes of JSON). */
export const MAX_REWRAP_REQUEST_BYTES = 4 * 1024;
/** Largest wire message of a bulk rewrap: 1,000 ids are ~69 KB of JSON. */
export const MAX_BULK_REQUEST_BYTES = 128 * 1024;
/** Largest answer to a forwarded bulk rewrap (1,000 results are ~270 KB). */
export const MAX_BULK_ANSWER_BYTES = 512 * 1024;

/** Every refusal, serialized, is exactly this many bytes (padded), whatever its code. */
export const REFUSAL_BYTES = 256;

/** Hop count a forwarded request carries: a forwarded request is never forwarded again. */
export const FORWARDED_HOP = 1;
/** A rewrap envelope (node/crypto/envelopes/rewrap.ts): version, ephemeral P-256 key, wrapped DEK, tag. */
export const REWRAP_ENVELOPE_LENGTH = 1 + 33 + 32 + 16;
