import { IndexerClientError } from "./errors.js";
import type { FetchLike } from "./http.js";
import type { Logger } from "../protocol/logger.js";

/** The part of a viem PublicClient the staleness check uses. */
export interface ChainHeadReader {
  getBlockNumber(args?: { cacheTime?: number }): Promise<bigint>;
}

export interface IndexerClientComponents {
  /** Where the chain head comes from (a viem public client on the node's RPC). */
  chain: ChainHeadReader;
  /** Default: the global fetch (undici, keep-alive). */
  fetch?: FetchLike;
  /** Milliseconds since the epoch; default Date.now. Drives every cache TTL. */
  clock?: () => number;
  logger?: Logger;
}

export interface IndexerClientOptions {
  /** Base URL of the indexer's HTTP API, e.g. http://127.0.0.1:42069. */
  url: string;
  /** Deadline of one HTTP read. Default 5 s. */
  timeoutMs?: number;
  /** Largest response body accepted. Default 4 MiB. */
  maxResponseBytes?: number;
  /**
   * Indexed state more than this many blocks behind the chain head is not used for a decision
   * (STATE_STALE). Default 5 (≈ 5 s with 1-second blocks).
   */
  maxStalenessBlocks?: number;
  /** How long a chain head read is reused. Default 250 ms. */
  chainHeadTtlMs?: number;
  /** /holders answers are reused this long (only to pick forwarding targets). Default 2,000 ms. */
  holdersCacheTtlMs?: number;
  /** /validators/active is reused this long (peer gating has its own cache on top). Default 5,000 ms. */
  validatorsCacheTtlMs?: number;
  /** Entries per cache (the holders cache keeps at most 10,000). Default 100,000. */
  maxCacheEntries?: number;
}

export type ResolvedIndexerClientOptions = Required<IndexerClientOptions>;

function positive(name: string, value: number | undefined, fallback: number, min = 1): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < min) {
    throw new IndexerClientError("INDEXER_INVALID_ARGUMENT", `${name} must be an integer ≥ ${min}`, { details: { [name]: v } });
  }
  return v;
}

export function resolveOptions(options: IndexerClientOptions): ResolvedIndexerClientOptions {
  let url: URL;
  try {
    url = new URL(options.url);
  } catch (cause) {
    throw new IndexerClientError("INDEXER_INVALID_ARGUMENT", "indexer url is not a URL", { cause });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new IndexerClientError("INDEXER_INVALID_ARGUMENT", "indexer url must be http(s)");
  }
  return {
    url: url.toString().replace(/\/+$/, ""),
    timeoutMs: positive("timeoutMs", options.timeoutMs, 5_000),
    maxResponseBytes: positive("maxResponseBytes", options.maxResponseBytes, 4 * 1024 * 1024, 1024),
    maxStalenessBlocks: positive("maxStalenessBlocks", options.maxStalenessBlocks, 5, 0),
    chainHeadTtlMs: positive("chainHeadTtlMs", options.chainHeadTtlMs, 250, 0),
    holdersCacheTtlMs: positive("holdersCacheTtlMs", options.holdersCacheTtlMs, 2_000, 0),
    validatorsCacheTtlMs: positive("validatorsCacheTtlMs", options.validatorsCacheTtlMs, 5_000, 0),
    maxCacheEntries: positive("maxCacheEntries", options.maxCacheEntries, 100_000),
  };
}
