/**
 * The validator's chain side (SPEC §4–§7): viem clients for a deployment, one action per
 * contract operation, and the TxSubmitter that puts audit batches and holder confirmations
 * on chain exactly once. See docs/chain.md.
 */
export {
  attributeRegistryAbi,
  contentRegistryAbi,
  dekmeshErrorsAbi,
  policyRegistryAbi,
  rewrapAuditLogAbi,
  stakeTokenAbi,
  validatorRegistryAbi,
} from "./abis.js";
export { AUDIT_RECORD_BYTES, AuditRecordsError, decodeAuditRecords, encodeAuditRecords, type DecodedAuditRecord } from "./auditRecords.js";
export { checkDeployment, createChainClients, requireAccount, type ChainClients, type CreateChainClientsOptions, type DekmeshContracts } from "./clients.js";
export { loadDeployment, toChainDeployment, type ChainDeployment, type DekmeshAddresses } from "./deployment.js";
export { asChainError, ChainError, revertReason, toChainError, type ChainErrorCode, type RevertReason } from "./errors.js";
export { silentLogger, type ChainLogger } from "./logger.js";
export {
  CONFIRMED_ON_CHAIN_MODES,
  MAX_AUDIT_BATCH,
  MAX_CONFIRMATION_BATCH,
  REPLICATION_MODES,
  VALIDATOR_STATUSES,
  type ReplicationModeName,
  type ValidatorStatusName,
} from "./constants.js";
export { TxSender, type SendOptions, type SentTransaction, type TxSenderComponents, type TxSenderOptions } from "./sender.js";
export { TxSubmitter } from "../validator/submitter/txSubmitter.js";
export type { TxSubmitterComponents, TxSubmitterOptions } from "../validator/submitter/options.js";
export type { TxSubmitterMetrics } from "../validator/submitter/metrics.js";

export * from "./actions/index.js";
