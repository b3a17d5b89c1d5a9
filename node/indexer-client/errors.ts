import { DekmeshError } from "../protocol/errors.js";

/** Why a read of the indexer failed, or why its answer may not be used for a decision. */
export type IndexerClientErrorCode =
  /** Network error, timeout, 5xx or "not ready": the indexer may answer later. */
  | "INDEXER_UNAVAILABLE"
  /** The caller aborted the read. */
  | "INDEXER_ABORTED"
  /** The indexer answered something that is not the documented shape (or refused our request). */
  | "INDEXER_BAD_RESPONSE"
  /** The indexer does not know the content, policy or account asked about (as of its block). */
  | "INDEXER_NOT_FOUND"
  /** The indexed state is more than `maxStalenessBlocks` behind the chain head the node knows. */
  | "STATE_STALE"
  /** /access cannot decide from indexed state (policy conditions on balances or calls): ask the chain. */
  | "INDEXER_NEEDS_CHAIN"
  /** The chain head could not be read, so the indexer's freshness cannot be judged. */
  | "CHAIN_UNAVAILABLE"
  /** A caller passed something that can never be looked up (not a content id, not an address). */
  | "INDEXER_INVALID_ARGUMENT";

const RETRYABLE: ReadonlySet<string> = new Set(["INDEXER_UNAVAILABLE", "STATE_STALE", "CHAIN_UNAVAILABLE"]);

/** An error of the indexer client. Details carry paths, statuses and block numbers, never secrets. */
export class IndexerClientError extends DekmeshError<IndexerClientErrorCode> {
  override name = "IndexerClientError";

  override get retryable(): boolean {
    return RETRYABLE.has(this.code);
  }
}
