import { DekmeshError } from "../../protocol/errors.js";

/**
 * Why a threshold operation was refused. Two codes name a member at fault, because the member
 * signed what it sent: THRESHOLD_SHARE_INVALID (a share that fails the commitments check) and
 * THRESHOLD_WRAP_FAILED (a signed answer that does not open). The signed answer and the reader's
 * ephemeral key are then the evidence (docs/threshold.md#evidence).
 */
export type ThresholdErrorCode =
  | "THRESHOLD_INVALID_ARGUMENT"
  | "THRESHOLD_MALFORMED"
  | "THRESHOLD_UNSUPPORTED_VERSION"
  | "THRESHOLD_WRONG_INDEX"
  | "THRESHOLD_WRONG_RECIPIENT"
  | "THRESHOLD_UNKNOWN_KID"
  | "THRESHOLD_BAD_SIGNATURE"
  | "THRESHOLD_WRAP_FAILED"
  | "THRESHOLD_SHARE_INVALID"
  | "THRESHOLD_COMMITMENTS_MISMATCH"
  | "THRESHOLD_HEADER_UNSUPPORTED"
  | "THRESHOLD_NOT_ENOUGH_SHARES"
  | "THRESHOLD_ENROLLMENT_INCONSISTENT";

export class ThresholdError extends DekmeshError<ThresholdErrorCode> {
  override name = "ThresholdError";
}
