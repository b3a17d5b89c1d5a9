/**
 * The rewrap service's defaults; `options.ts` says which ones a node may change. The protocol's
 * fixed names and limits (shared with the SDK) are in node/protocol/rewrap/constants.ts.
 */

/** Default: a request may expire at most this far ahead of the validator's clock (seconds). */
export const DEFAULT_MAX_REQUEST_LIFETIME_S = 300;
/** Default: a session grant may expire at most this far ahead (seconds). */
export const DEFAULT_MAX_SESSION_LIFETIME_S = 24 * 60 * 60;
/** Verified session grants kept (each costs one secp256k1 recovery to verify). */
export const DEFAULT_SESSION_CACHE_SIZE = 100_000;

/** Forwarding: holders tried per content before giving up, and the deadline of each try. */
export const DEFAULT_MAX_FORWARD_ATTEMPTS = 3;
export const DEFAULT_FORWARD_TIMEOUT_MS = 5_000;
/** Forwarded requests served at once by this node (the p2p handler's stream limit). */
export const DEFAULT_MAX_INBOUND_FORWARDS = 256;
