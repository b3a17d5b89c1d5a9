/**
 * Lazy DEK replication among validators (docs/architecture.md#replication): placement, the engine that pulls, confirms
 * and repairs, the holder and puller checks, DEK recovery from a publisher's seed, and the wire
 * formats. See docs/replication.md.
 */
export { allReplicaSet, xorDistance, xorId, xorReplicaSet, type PlacementCandidate } from "../../protocol/placement.js";
export { createReplicationEngine, ReplicationEngine } from "./engine.js";
export type { HandOffResult, ReplicationComponents, ReplicationOptions, ReplicationStats, StoredContent } from "./types.js";
export { createDekRecovery, DekRecovery, type DekRecoveryComponents, type DekRecoveryResult } from "./recovery.js";
export {
  decodeRecoverySeed,
  DEK_RECOVERY_TYPES,
  encodeRecoverySeed,
  recoverySeedDigest,
  recoverySeedTypedData,
  type RecoverySeed,
  type RecoverySeedFields,
} from "../../protocol/recoverySeed.js";
export { designatedRepairer, isFinal, needsRepair, planContent, type Plan, type PlanInput } from "./plan.js";
export { servePull, type HolderComponents, type ServedPull } from "./holder.js";
export { acceptEnvelope, requestEnvelope, type AcceptEnvelopeParameters, type PullSource } from "./puller.js";
export { decodeContentRequest, decodeHasAnswer, encodeContentRequest, encodeHasAnswer } from "./wire.js";
export { isReplicationErrorCode, REPLICATION_ERROR_CODES, ReplicationError, type ReplicationErrorCode } from "./errors.js";
export * from "./constants.js";
