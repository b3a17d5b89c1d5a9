/** Defaults the chain side starts from (the contracts' own limits: node/protocol/limits.ts). */
import { MAX_AUDIT_BATCH, MAX_CONFIRMATION_BATCH } from "../protocol/limits.js";

// Transport defaults: one JSON-RPC call may take this long, and the transport retries a failed
// call this many times before the caller's own retry logic sees the error.
export const DEFAULT_RPC_TIMEOUT_MS = 10_000;
export const DEFAULT_RPC_RETRY_COUNT = 1;
export const DEFAULT_RPC_RETRY_DELAY_MS = 150;
export const DEFAULT_POLLING_INTERVAL_MS = 250;

// Submitter defaults (see docs/chain.md for what each one trades).
export const DEFAULT_AUDIT_BATCH_SIZE = MAX_AUDIT_BATCH;
export const DEFAULT_AUDIT_INTERVAL_MS = 2_000;
export const DEFAULT_HOLDINGS_BATCH_SIZE = MAX_CONFIRMATION_BATCH;
export const DEFAULT_HOLDINGS_INTERVAL_MS = 250;
export const DEFAULT_CONFIRMATIONS = 1;
export const DEFAULT_RECEIPT_TIMEOUT_MS = 120_000;
export const DEFAULT_IDLE_POLL_MS = 100;
export const DEFAULT_MIN_BACKOFF_MS = 200;
export const DEFAULT_MAX_BACKOFF_MS = 15_000;
/** A transaction the node no longer knows, unmined, for this long is treated as dropped and resent. */
export const DEFAULT_DROPPED_AFTER_MS = 15_000;
/** Headroom on estimated gas: state may change between estimate and inclusion. */
export const GAS_MARGIN_PERCENT = 20n;
