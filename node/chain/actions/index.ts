export {
  confirmHoldings,
  confirmHoldingsRequest,
  type ConfirmHoldingsParameters,
  type ConfirmHoldingsReturnType,
} from "./confirmHoldings.js";
export { drawThresholdMembers, type DrawThresholdMembersParameters, type DrawThresholdMembersReturnType } from "./drawThresholdMembers.js";
export { getAccessDecision, type ChainAccessDecision, type GetAccessDecisionParameters } from "./getAccessDecision.js";
export {
  getContentRegistration,
  type ContentRegistration,
  type GetContentRegistrationParameters,
} from "./getContentRegistration.js";
export { getNextBatchId, type GetNextBatchIdParameters } from "./getNextBatchId.js";
export {
  getTransactionStatus,
  type GetTransactionStatusParameters,
  type GetTransactionStatusReturnType,
} from "./getTransactionStatus.js";
export { getValidator, type GetValidatorParameters, type GetValidatorReturnType } from "./getValidator.js";
export { isActive, type IsActiveParameters } from "./isActive.js";
export {
  recordRewraps,
  recordRewrapsGasLimit,
  recordRewrapsRequest,
  type RecordRewrapsParameters,
  type RecordRewrapsReturnType,
  type RewrapRecord,
} from "./recordRewraps.js";
export {
  registerValidator,
  registerValidatorRequest,
  type RegisterValidatorParameters,
  type RegisterValidatorReturnType,
} from "./registerValidator.js";
export {
  applyRepairs,
  MAX_REPAIR_BATCH,
  repair,
  repairManyRequest,
  repairRequest,
  type RepairManyParameters,
  type RepairParameters,
  type RepairReturnType,
} from "./repair.js";
export { repairThresholdRequest, type ThresholdSlotInput } from "./repairThreshold.js";
export {
  reportUnusable,
  reportUnusableRequest,
  type ReportUnusableParameters,
  type ReportUnusableReturnType,
} from "./reportUnusable.js";
export { requestExit, requestExitRequest, type RequestExitParameters, type RequestExitReturnType } from "./requestExit.js";
export { rotateKasKey, rotateKasKeyRequest, type RotateKasKeyParameters, type RotateKasKeyReturnType } from "./rotateKasKey.js";
export {
  createPeerIdProof,
  PEER_ID_PROOF_TYPES,
  peerIdProofDigest,
  signPeerIdProof,
  type CreatePeerIdProofParameters,
  type PeerIdProofDigestParameters,
  type SignPeerIdProofParameters,
  type SignPeerIdProofReturnType,
} from "./signPeerIdProof.js";
export { stake, stakeRequest, type StakeParameters, type StakeReturnType } from "./stake.js";
export { updateNetwork, updateNetworkRequest, type UpdateNetworkParameters, type UpdateNetworkReturnType } from "./updateNetwork.js";
export { waitForReceipt, type WaitForReceiptParameters, type WaitForReceiptReturnType } from "./waitForReceipt.js";
export { withdraw, withdrawRequest, type WithdrawParameters, type WithdrawReturnType } from "./withdraw.js";
export {
  encodeWrite,
  estimateWriteGas,
  sendContractWrite,
  type ContractWrite,
  type WriteOptions,
  type WriteResult,
} from "./writeContract.js";
