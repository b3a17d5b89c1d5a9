import { DekmeshError } from "../../protocol/errors.js";

/**
 * Everything the NanoTDF codec refuses. Decoding never lets a RangeError or an OpenSSL error
 * escape: malformed input of any shape ends in one of these codes.
 */
export type TdfErrorCode =
  | "TDF_TRUNCATED"
  | "TDF_BAD_MAGIC"
  | "TDF_UNSUPPORTED_PROTOCOL"
  | "TDF_INVALID_LOCATOR"
  | "TDF_UNSUPPORTED_CURVE"
  | "TDF_RESERVED_BITS"
  | "TDF_UNSUPPORTED_CIPHER"
  | "TDF_UNSUPPORTED_POLICY_TYPE"
  | "TDF_INVALID_POLICY"
  | "TDF_INVALID_KEY"
  | "TDF_INVALID_PAYLOAD"
  | "TDF_INVALID_SEGMENT"
  | "TDF_TRAILING_DATA"
  | "TDF_DECRYPT_FAILED"
  | "TDF_POLICY_UNBOUND"
  | "TDF_POLICY_BINDING_FAILED"
  | "TDF_POLICY_MISMATCH"
  | "TDF_SIGNATURE_INVALID"
  | "TDF_UNKNOWN_KID"
  | "TDF_INVALID_ARGUMENT";

export class TdfError extends DekmeshError<TdfErrorCode> {
  override name = "TdfError";
}
