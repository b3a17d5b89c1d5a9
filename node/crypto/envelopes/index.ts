/**
 * Envelopes that carry a DEK between parties: validator → reader (rewrap, epoch wrap, offline
 * lease), holder → validator (replication), publisher → their future self (recovery). See docs/crypto.md.
 */
export { EnvelopeError, type EnvelopeErrorCode } from "./errors.js";
export { unwrapRewrap, wrapForClient } from "./rewrap.js";
export {
  DEFAULT_MAX_REPLICATION_LIFETIME,
  REPLICATION_ENVELOPE_LENGTH,
  decodeReplication,
  openReplication,
  replicationDigest,
  sealReplication,
  type OpenReplicationParams,
  type ReplicationEnvelope,
} from "./replication.js";
export { ReplayGuard } from "./replayGuard.js";
export {
  RECOVERY_ENVELOPE_LENGTH,
  deriveRecoveryKey,
  openRecovery,
  recoveryKeyMessage,
  sealRecovery,
} from "./recovery.js";
export {
  EPOCH_MAC_LENGTH,
  EPOCH_WRAPPED_DEK_LENGTH,
  agreeEpochKeys,
  epochRequestDigest,
  macEpochRequest,
  unwrapUnderEpoch,
  verifyEpochRequestMac,
  wrapUnderEpoch,
  type AgreeEpochKeysParameters,
  type EpochKeys,
} from "./epoch.js";
export { LEASE_LENGTH, decodeLease, issueLease, openLease, type IssueLeaseParameters, type LeaseTerms, type OpenLeaseParameters } from "./lease.js";
