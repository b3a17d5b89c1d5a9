import {
  IndexerClientError,
  type AccessDecision,
  type Address,
  type Hex,
  type IndexerClient,
} from "../../indexer-client/index.js";
import type { Logger } from "../../protocol/logger.js";

/** The indexer reads and chain head the decider uses (IndexerClient has them all). */
export type AccessIndexer = Pick<IndexerClient, "readAccess" | "lookupPolicies" | "chainHead" | "keepChainHeadCurrent" | "highestChainHead" | "options">;

/**
 * The chain's own access decision for (content, account) at a block, or undefined if the content
 * is not registered there (node/chain's getAccessDecision). Asked when the indexer is too far
 * behind, too slow or down.
 */
export type ChainAccessReader = (contentId: Hex, account: Address, blockNumber: bigint) => Promise<AccessDecision | undefined>;

export interface AccessDeciderComponents {
  /** Where decisions, policy lookups and the chain head come from; its `maxStalenessBlocks` bounds cached decisions too. */
  indexer: AccessIndexer;
  /**
   * Access decisions straight from the chain when the indexer is stale, slow or down: the chain
   * is the authority the indexer mirrors, so a lagging or stalled indexer costs eth_calls, not
   * refusals. Without it, such an indexer means STATE_STALE or INDEXER_UNAVAILABLE.
   */
  chainAccess?: ChainAccessReader;
  /** Milliseconds since the epoch; default Date.now. Drives the cache's TTLs. */
  clock?: () => number;
  logger?: Logger;
}

export interface AccessDeciderOptions {
  /** An access decision is reused for at most this long… Default 1,000 ms. */
  accessCacheTtlMs?: number;
  /** …and only while the chain head seen since is at most this many blocks past it. Default 1. */
  accessCacheBlocks?: number;
  /** Entries per cache (content → policy, decisions, unregistered contents). Default 100,000. */
  maxCacheEntries?: number;
  /** Parallel /access reads when a bulk request names contents of many policies. Default 16. */
  accessConcurrency?: number;
  /**
   * With a chain reader, the indexer has this long to answer a read before the chain decides
   * instead (a rewrap's own deadline is 5 s). Default 1,000 ms.
   */
  indexerDeadlineMs?: number;
  /** After the indexer missed a read, decisions come from the chain for this long before it is tried again. Default 5,000 ms. */
  degradedForMs?: number;
  /**
   * A policy the indexer said needs the chain (conditions) goes straight to the chain for this
   * long; after it the indexer is asked again (an update may have dropped the conditions). Default 30,000 ms.
   */
  conditionPolicyTtlMs?: number;
}

export type ResolvedAccessDeciderOptions = Required<AccessDeciderOptions>;

function positive(name: string, value: number | undefined, fallback: number, min = 1): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < min) {
    throw new IndexerClientError("INDEXER_INVALID_ARGUMENT", `${name} must be an integer ≥ ${min}`, { details: { [name]: v } });
  }
  return v;
}

export function resolveOptions(options: AccessDeciderOptions): ResolvedAccessDeciderOptions {
  return {
    accessCacheTtlMs: positive("accessCacheTtlMs", options.accessCacheTtlMs, 1_000, 0),
    accessCacheBlocks: positive("accessCacheBlocks", options.accessCacheBlocks, 1, 0),
    maxCacheEntries: positive("maxCacheEntries", options.maxCacheEntries, 100_000),
    accessConcurrency: positive("accessConcurrency", options.accessConcurrency, 16),
    indexerDeadlineMs: positive("indexerDeadlineMs", options.indexerDeadlineMs, 1_000),
    degradedForMs: positive("degradedForMs", options.degradedForMs, 5_000, 0),
    conditionPolicyTtlMs: positive("conditionPolicyTtlMs", options.conditionPolicyTtlMs, 30_000, 0),
  };
}
