/**
 * Envelopes that carry a DEK between parties: validator → reader (rewrap), holder →
 * validator (replication), publisher → their future self (recovery). See docs/crypto.md.
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
