import type { Address, Hex } from "viem";
import { IndexerClientError } from "./errors.js";
import type { FetchLike } from "./http.js";
import type { AccessDecision } from "./types.js";

/** Structured log sink (the node's JSON logger); fields never hold secrets. */
export interface IndexerClientLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

/** The part of a viem PublicClient the staleness check uses. */
export interface ChainHeadReader {
  getBlockNumber(args?: { cacheTime?: number }): Promise<bigint>;
}

/**
 * The chain's own access decision for (content, account) at a block, or undefined if the content
 * is not registered there (node/chain's getAccessDecision). Asked only when the indexer is too
 * far behind to decide.
 */
export type ChainAccessReader = (contentId: Hex, account: Address, blockNumber: bigint) => Promise<AccessDecision | undefined>;

export interface IndexerClientComponents {
  /** Where the chain head comes from (a viem public client on the node's RPC). */
  chain: ChainHeadReader;
  /**
   * Access decisions straight from the chain when the indexer is stale (STATE_STALE): the chain
   * is the authority the indexer mirrors, so a lagging indexer costs eth_calls, not refusals.
   * Without it, a stale indexer means STATE_STALE.
   */
  chainAccess?: ChainAccessReader;
  /** Default: the global fetch (undici, keep-alive). */
  fetch?: FetchLike;
  /** Milliseconds since the epoch; default Date.now. Drives every cache TTL. */
  clock?: () => number;
  logger?: IndexerClientLogger;
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
  /** An access decision is reused for at most this long… Default 1,000 ms. */
  accessCacheTtlMs?: number;
  /** …and only while the chain head seen since is at most this many blocks past it. Default 1. */
  accessCacheBlocks?: number;
  /** /holders answers are reused this long (only to pick forwarding targets). Default 2,000 ms. */
  holdersCacheTtlMs?: number;
  /** /validators/active is reused this long (peer gating has its own cache on top). Default 5,000 ms. */
  validatorsCacheTtlMs?: number;
  /** Entries per cache. Default 100,000. */
  maxCacheEntries?: number;
  /** Parallel /access reads when a bulk request names contents of many policies. Default 16. */
  accessConcurrency?: number;
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
    accessCacheTtlMs: positive("accessCacheTtlMs", options.accessCacheTtlMs, 1_000, 0),
    accessCacheBlocks: positive("accessCacheBlocks", options.accessCacheBlocks, 1, 0),
    holdersCacheTtlMs: positive("holdersCacheTtlMs", options.holdersCacheTtlMs, 2_000, 0),
    validatorsCacheTtlMs: positive("validatorsCacheTtlMs", options.validatorsCacheTtlMs, 5_000, 0),
    maxCacheEntries: positive("maxCacheEntries", options.maxCacheEntries, 100_000),
    accessConcurrency: positive("accessConcurrency", options.accessConcurrency, 16),
  };
}
