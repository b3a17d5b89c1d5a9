/** Limits the contracts enforce and the defaults the chain side starts from. */

/** RewrapAuditLog.recordRewraps takes 1–1,000 records (RewrapAuditLog.MAX_BATCH), ContentRegistry.confirmHoldings 1–500 ids. */
export const MAX_AUDIT_BATCH = 1000;
export const MAX_CONFIRMATION_BATCH = 500;

/** PolicyRegistry.MAX_REPLICATION_FACTOR: the largest k of stake(k) and xor(k). */
export const MAX_REPLICATION_FACTOR = 16n;

/** ReplicationMode in contracts/types/DekmeshTypes.sol, by its numeric value. */
export const REPLICATION_MODES = ["all", "stake", "xor", "explicit"] as const;
export type ReplicationModeName = (typeof REPLICATION_MODES)[number];

/** ValidatorStatus in contracts/types/DekmeshTypes.sol, by its numeric value. */
export const VALIDATOR_STATUSES = ["none", "registered", "active", "exiting", "exited", "jailed"] as const;
export type ValidatorStatusName = (typeof VALIDATOR_STATUSES)[number];

/** Replication modes whose holdings are confirmed on chain; xor and all are confirmed in the DHT. */
export const CONFIRMED_ON_CHAIN_MODES = ["stake", "explicit"] as const;

/** Custom errors by which the contracts refuse a validator that is not active. */
export const NOT_ACTIVE_ERRORS: ReadonlySet<string> = new Set([
  "RewrapAuditLogValidatorNotActive",
  "ContentRegistryValidatorNotActive",
]);

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
