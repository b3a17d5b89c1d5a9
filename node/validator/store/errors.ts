import { DekmeshError } from "../../protocol/errors.js";

/** Why a store operation failed. Callers switch on these; messages are for humans. */
export type StoreErrorCode =
  /** Another process (or another store instance in this process) holds the data directory. */
  | "STORE_LOCKED"
  /** The storage key does not open this store's key-check record; nothing was changed. */
  | "STORE_WRONG_KEY"
  /** A sealed record failed authentication, or the database itself is damaged. */
  | "STORE_CORRUPT"
  /** The database was written by a newer schema version than this code knows. */
  | "STORE_VERSION_UNSUPPORTED"
  /** The store was closed. */
  | "STORE_CLOSED"
  /** A malformed argument (wrong id length, bad number, batch size out of range). */
  | "STORE_INVALID_ARGUMENT"
  /** A different DEK is already stored for this content id. */
  | "STORE_DEK_CONFLICT"
  /** A different threshold share is already stored for this content id. */
  | "STORE_SHARE_CONFLICT"
  /** An operation named a DEK, KAS key or audit batch the store does not hold. */
  | "STORE_NOT_FOUND"
  /** The current KAS key cannot be removed (make another key current first). */
  | "STORE_KAS_KEY_CURRENT"
  /** A batch state change that would break the audit sequence (e.g. recording batch n+1 before n). */
  | "STORE_BATCH_STATE"
  /** The replay table is full of unexpired nonces; the request must be refused for now. */
  | "STORE_NONCES_FULL"
  /** The requester holds its whole share of the replay table; its requests are refused until some expire. */
  | "STORE_NONCES_ACCOUNT_FULL"
  /** A restore or backup target already exists. */
  | "STORE_EXISTS"
  /** The database or file system failed (disk full, I/O error). */
  | "STORE_IO"
  /**
   * An fsync of committed writes failed, so they may not be on disk: the store refuses every
   * further write (reads still work) until the node restarts and reopens it.
   */
  | "STORE_NOT_DURABLE";

const RETRYABLE: ReadonlySet<StoreErrorCode> = new Set(["STORE_LOCKED", "STORE_NONCES_FULL", "STORE_NONCES_ACCOUNT_FULL", "STORE_IO"]);

export class StoreError extends DekmeshError<StoreErrorCode> {
  override name = "StoreError";

  override get retryable(): boolean {
    return RETRYABLE.has(this.code);
  }
}

// SQLite primary result codes (the low byte of an extended code).
const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;
const SQLITE_CORRUPT = 11;
const SQLITE_NOTADB = 26;

/** Turns an error thrown by node:sqlite into a StoreError; StoreErrors pass through. */
export function fromSqliteError(error: unknown, operation: string): StoreError {
  if (error instanceof StoreError) return error;
  const errcode = typeof (error as { errcode?: unknown })?.errcode === "number" ? (error as { errcode: number }).errcode & 0xff : undefined;
  const details = { operation, sqlite: (error as { errstr?: string })?.errstr };
  if (errcode === SQLITE_BUSY || errcode === SQLITE_LOCKED) {
    return new StoreError("STORE_LOCKED", "the database is locked by another connection", { details, cause: error });
  }
  if (errcode === SQLITE_CORRUPT || errcode === SQLITE_NOTADB) {
    return new StoreError("STORE_CORRUPT", "the database file is damaged", { details, cause: error });
  }
  return new StoreError("STORE_IO", `database operation failed: ${operation}`, { details, cause: error });
}
