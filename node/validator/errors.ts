import { DekmeshError } from "../protocol/errors.js";

/** Stable codes of the validator daemon's own errors (its parts keep their own codes). */
export type ValidatorErrorCode =
  /** A configuration value is missing, of the wrong type or out of range; `details.field` names it. */
  | "VALIDATOR_CONFIG_INVALID"
  /** The configuration file (or the mnemonic file) cannot be read or is not JSON. */
  | "VALIDATOR_CONFIG_FILE"
  /** The node is not a registered validator and `register` is off, or registration failed. */
  | "VALIDATOR_NOT_REGISTERED"
  /** The node account belongs to another operator than the mnemonic's. */
  | "VALIDATOR_WRONG_OPERATOR"
  /** Start failed in one of the parts; `details.stage` names it and `cause` holds its error. */
  | "VALIDATOR_START_FAILED"
  /** The command line could not be parsed. */
  | "VALIDATOR_USAGE";

export class ValidatorError extends DekmeshError<ValidatorErrorCode> {
  override name = "ValidatorError";
}
