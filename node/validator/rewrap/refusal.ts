/**
 * Turns whatever went wrong on the rewrap path into the one typed refusal a client or peer may
 * see. The cause stays attached (and logged) locally; the refusal carries only its code.
 */
import { DekmeshError } from "../../protocol/errors.js";
import { IndexerClientError } from "../../indexer-client/index.js";
import { RewrapError, type RewrapErrorCode } from "../../protocol/rewrap/errors.js";

const INDEXER_CODES: Record<string, RewrapErrorCode> = {
  INDEXER_NOT_FOUND: "REWRAP_CONTENT_NOT_FOUND",
  STATE_STALE: "REWRAP_STATE_STALE",
  INDEXER_UNAVAILABLE: "REWRAP_UNAVAILABLE",
  CHAIN_UNAVAILABLE: "REWRAP_UNAVAILABLE",
  INDEXER_ABORTED: "REWRAP_UNAVAILABLE",
  INDEXER_BAD_RESPONSE: "REWRAP_UNAVAILABLE",
  INDEXER_INVALID_ARGUMENT: "REWRAP_MALFORMED",
};

const OTHER_CODES: Record<string, RewrapErrorCode> = {
  // The replay table is full of live nonces, the disk failed, or the store is shutting down.
  STORE_NONCES_FULL: "REWRAP_UNAVAILABLE",
  // This requester used its whole share of the replay table (only the flooding account sees it).
  STORE_NONCES_ACCOUNT_FULL: "REWRAP_UNAVAILABLE",
  STORE_IO: "REWRAP_UNAVAILABLE",
  STORE_LOCKED: "REWRAP_UNAVAILABLE",
  STORE_CLOSED: "REWRAP_UNAVAILABLE",
  // wrapForClient refuses a client key that is not a point on P-256.
  ENVELOPE_INVALID_ARGUMENT: "REWRAP_MALFORMED",
  KEY_INVALID_PUBLIC_KEY: "REWRAP_MALFORMED",
};

export function toRewrapError(error: unknown): RewrapError {
  if (error instanceof RewrapError) return error;
  if (error instanceof IndexerClientError) return new RewrapError(INDEXER_CODES[error.code] ?? "REWRAP_UNAVAILABLE", { cause: error });
  if (error instanceof DekmeshError) {
    const code = OTHER_CODES[error.code];
    if (code !== undefined) return new RewrapError(code, { cause: error });
  }
  return new RewrapError("REWRAP_INTERNAL", { cause: error });
}
