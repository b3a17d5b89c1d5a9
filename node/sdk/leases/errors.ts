import { DekmeshError } from "../../protocol/errors.js";

/** Stable codes of the lease keystore (docs/crypto.md#envelopes, "Offline lease"). */
export type LeaseKeystoreErrorCode =
  /** A key or argument that can never work. */
  | "KEYSTORE_INVALID_ARGUMENT"
  /** The file is not a lease keystore of a known version. */
  | "KEYSTORE_CORRUPT"
  /** The keystore does not open with this key: another account's, or a damaged file. */
  | "KEYSTORE_KEY_MISMATCH"
  /** Reading or writing the file failed; the previous keystore is intact. */
  | "KEYSTORE_IO"
  /** The lease is sealed to another device key. */
  | "KEYSTORE_WRONG_DEVICE"
  /** No lease is kept for the content. */
  | "KEYSTORE_NO_LEASE"
  /** The lease's signing key is not a KAS key of its validator known to the caller. */
  | "KEYSTORE_UNKNOWN_VALIDATOR_KEY"
  /** The lease itself refuses: `details.leaseCode` is its envelope code (expired, plays exhausted, bad signature…). */
  | "KEYSTORE_LEASE_REFUSED";

export class LeaseKeystoreError extends DekmeshError<LeaseKeystoreErrorCode> {
  override name = "LeaseKeystoreError";
}
