import { DekmeshError } from "../protocol/errors.js";

/**
 * Stable codes of the IPFS side. The validator's HTTP API maps them to its own codes
 * (IPFS_CID_MISMATCH → CONTENT_CID_MISMATCH 422, IPFS_TOO_LARGE → HTTP_TOO_LARGE 413,
 * IPFS_NOT_FOUND → CONTENT_NOT_FOUND 404, IPFS_INVALID_CID → HTTP_MALFORMED 400).
 */
export type IpfsErrorCode =
  /** Not a CID text, or not a CIDv1 of the content definition (UnixFS file, raw leaves). */
  | "IPFS_INVALID_CID"
  /** The bytes do not import to the CID they were announced under. */
  | "IPFS_CID_MISMATCH"
  /** More bytes than the caller allows. */
  | "IPFS_TOO_LARGE"
  /** No such content here (not pinned, not added, unknown to the daemon). */
  | "IPFS_NOT_FOUND"
  /** The caller aborted. */
  | "IPFS_ABORTED"
  /** The IPFS daemon or the peers could not be reached or answered badly. */
  | "IPFS_UNAVAILABLE"
  /** The local block store failed (disk full, permissions). */
  | "IPFS_STORAGE"
  /** The store was closed. */
  | "IPFS_CLOSED"
  /** An option that can never work. */
  | "IPFS_INVALID_ARGUMENT";

const RETRYABLE: ReadonlySet<IpfsErrorCode> = new Set(["IPFS_UNAVAILABLE", "IPFS_STORAGE"]);

export class IpfsError extends DekmeshError<IpfsErrorCode> {
  override name = "IpfsError";

  override get retryable(): boolean {
    return RETRYABLE.has(this.code);
  }
}

/** Maps an abort (by `signal`) or any other failure to an IpfsError; IpfsErrors pass through. */
export function asIpfsError(error: unknown, fallback: IpfsErrorCode, message: string, signal?: AbortSignal, details?: Record<string, unknown>): IpfsError {
  if (error instanceof IpfsError) return error;
  if (signal?.aborted === true) return new IpfsError("IPFS_ABORTED", "aborted", { details, cause: error });
  return new IpfsError(fallback, message, { details, cause: error });
}
