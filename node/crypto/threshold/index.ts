/**
 * Threshold custody's crypto (docs/threshold.md): dealing a content key into Feldman-committed
 * shares, sealing each to its member, the members' signed share answers, the reader's check
 * and combination, and the blinded enrollment of a replacement member.
 */
export { ThresholdError, type ThresholdErrorCode } from "./errors.js";
export {
  MAX_SHARE_INDEX,
  SHARE_LENGTH,
  checkThresholdParameters,
  decodeCommitments,
  encodeCommitments,
  isValidShare,
  type Share,
} from "./shares.js";
export {
  dealSealedShares,
  dealShares,
  type DealSealedSharesParameters,
  type DealSealedSharesReturnType,
  type DealSharesParameters,
  type DealSharesReturnType,
  type RandomBytes,
} from "./dealing.js";
export { SEALED_SHARE_LENGTH, decodeSealedShare, openSealedShare, sealShare, type ShareRecipient } from "./sealedShare.js";
export { SHARE_ANSWER_LENGTH, answerShare, openShareAnswer, type OpenShareAnswerParameters } from "./shareAnswer.js";
export { checkThresholdHeader, combineShares, deriveThresholdDek } from "./combine.js";
export {
  ENROLLMENT_CONTRIBUTION_LENGTH,
  completeEnrollment,
  contributeToEnrollment,
  openEnrollmentContributions,
  type EnrollmentContext,
  type EnrollmentHelper,
} from "./enrollment.js";
