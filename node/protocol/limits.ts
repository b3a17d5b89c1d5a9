/**
 * Limits and enums the contracts define, mirrored once for every part of dekmesh (validator,
 * SDK, CLI, indexer). test/node/protocol/limits.test.ts reads the Solidity and fails when a value
 * here drifts from it.
 */

/** RewrapAuditLog.MAX_BATCH: records per `recordRewraps` call. */
export const MAX_AUDIT_BATCH = 1000;
/** ContentRegistry.MAX_BATCH: ids per `confirmHoldings` call. */
export const MAX_CONFIRMATION_BATCH = 500;
/** ContentRegistry.MAX_REPAIR_BATCH: replica sets per `repairMany` call. */
export const MAX_REPAIR_BATCH = 100;
/** PolicyRegistry.MAX_REPLICATION_FACTOR: the largest k of stake(k) and xor(k). */
export const MAX_REPLICATION_FACTOR = 16n;
/** PolicyRegistry.MIN_THRESHOLD: the smallest m of threshold(m, n). */
export const MIN_THRESHOLD = 2;
/** PolicyRegistry.MAX_THRESHOLD_MEMBERS: the largest n of threshold(m, n). */
export const MAX_THRESHOLD_MEMBERS = 16;

/** ReplicationMode in contracts/types/DekmeshTypes.sol, by its numeric value. */
export const REPLICATION_MODES = ["all", "stake", "xor", "explicit", "threshold"] as const;
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
