import { DekmeshError } from "../../protocol/errors.js";

/** Why an envelope was refused. Each maps to one reason a peer or client can be told. */
export type EnvelopeErrorCode =
  | "ENVELOPE_MALFORMED"
  | "ENVELOPE_UNSUPPORTED_VERSION"
  | "ENVELOPE_WRONG_RECIPIENT"
  | "ENVELOPE_WRONG_CONTENT"
  | "ENVELOPE_WRONG_SENDER"
  | "ENVELOPE_UNKNOWN_KID"
  | "ENVELOPE_EXPIRED"
  | "ENVELOPE_REPLAYED"
  | "ENVELOPE_PLAYS_EXHAUSTED"
  | "ENVELOPE_BAD_SIGNATURE"
  | "ENVELOPE_DECRYPT_FAILED"
  | "ENVELOPE_INVALID_ARGUMENT";

export class EnvelopeError extends DekmeshError<EnvelopeErrorCode> {
  override name = "EnvelopeError";
}
