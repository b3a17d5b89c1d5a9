/**
 * A caller's abort ends its wait, not a read other callers share (single flight): the shared
 * read goes on and fills the cache.
 */
import { IndexerClientError } from "./errors.js";
import { raceSignal } from "../protocol/abort.js";

/** Resolves with `promise` unless `signal` aborts first (the shared read itself goes on). */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  return signal === undefined ? promise : raceSignal(promise, signal, abortedError);
}

export function abortedError(): IndexerClientError {
  return new IndexerClientError("INDEXER_ABORTED", "indexer read aborted");
}
