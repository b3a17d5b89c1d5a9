import { DekmeshError } from "../../protocol/errors.js";

/** Failures of key handling: bad input keys, derivation, rotation authorizations. */
export type KeyErrorCode =
  | "KEY_INVALID_MNEMONIC"
  | "KEY_INVALID_INDEX"
  | "KEY_INVALID_PATH"
  | "KEY_INVALID_PUBLIC_KEY"
  | "KEY_INVALID_PRIVATE_KEY"
  | "KEY_INVALID_SIGNATURE"
  | "KEY_ROTATION_MALFORMED"
  | "KEY_ROTATION_KID_MISMATCH"
  | "KEY_ROTATION_WRONG_OPERATOR"
  | "KEY_RING_EMPTY"
  | "KEY_RING_CURRENT_KEY";

export class KeyError extends DekmeshError<KeyErrorCode> {
  override name = "KeyError";
}

/** Failures opening or sealing a record of the at-rest storage format. */
export type SealedRecordErrorCode =
  | "SEALED_MALFORMED"
  | "SEALED_UNSUPPORTED_VERSION"
  | "SEALED_WRONG_KEY"
  | "SEALED_AUTH_FAILED"
  | "SEALED_INVALID_ARGUMENT";

export class SealedRecordError extends DekmeshError<SealedRecordErrorCode> {
  override name = "SealedRecordError";
}
