/**
 * The validator's chain side (docs/architecture.md): viem clients for a deployment, one action per
 * contract operation, and the TxSubmitter that puts audit batches and holder confirmations
 * on chain exactly once. See docs/chain.md.
 */
export {
  adjudicatorAbi,
  attributeRegistryAbi,
  contentRegistryAbi,
  dekmeshErrorsAbi,
  policyRegistryAbi,
  rewrapAuditLogAbi,
  stakeTokenAbi,
  validatorRegistryAbi,
} from "./abis.js";
export {
  AUDIT_RECORD_BYTES,
  AuditRecordsError,
  decodeAuditRecords,
  encodeAuditRecords,
  type DecodedAuditRecord,
} from "../protocol/auditRecords.js";
export {
  checkDeployment,
  createChainClients,
  requireAccount,
  type ChainClients,
  type CreateChainClientsOptions,
  type DekmeshContracts,
} from "./clients.js";
export { loadDeployment } from "./deployment.js";
export { asChainError, ChainError, revertReason, toChainError, type ChainErrorCode, type RevertReason } from "./errors.js";
export {
  CONFIRMED_ON_CHAIN_MODES,
  MAX_AUDIT_BATCH,
  MAX_CONFIRMATION_BATCH,
  REPLICATION_MODES,
  VALIDATOR_STATUSES,
  type ReplicationModeName,
  type ValidatorStatusName,
} from "../protocol/limits.js";
export { TxSender, type SendOptions, type SentTransaction, type TxSenderComponents, type TxSenderOptions } from "./sender.js";

export * from "./actions/index.js";
