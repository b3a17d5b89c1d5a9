/**
 * What the access decider remembers, so that its /access reads scale with the (policy,
 * account) pairs in use rather than with requests:
 *
 * - content → policy id, kept until evicted: ContentRegistry has no way to move a content to
 *   another policy, so the fact never goes stale;
 * - the decision per (policy, account), with the indexed block it was decided at and the chain
 *   head it was checked against. A decision depends only on the policy, the account's grants
 *   and the time, so one read answers every content under the policy;
 * - "not registered" per content, briefly (a registration may be indexed any moment).
 *
 * A cached decision is used only while a fresh read of the same answer would still be accepted
 * and the cache bounds hold: it is younger than `ttlMs`, the chain head seen since its read has
 * moved at most `maxBlocks` past the head it was checked against, and its indexed block is at
 * most `maxStalenessBlocks` behind that head (the staleness check, re-applied on every use).
 * Past half its life, or once the head has moved `maxBlocks` since its read (one more block
 * would expire it), a hit asks the caller to refresh it in the background, so hot pairs are
 * re-read before they expire and requests do not queue behind the read — without ever using a
 * decision past the bounds above.
 */
import {
  BoundedTtlMap,
  type AccessDecision,
  type Address,
  type Hex,
  type IndexerClientError,
} from "../../indexer-client/index.js";

export interface AccessCacheBounds {
  maxEntries: number;
  /** accessCacheTtlMs */
  ttlMs: number;
  /** accessCacheBlocks */
  maxBlocks: number;
  maxStalenessBlocks: number;
}

interface CachedDecision {
  decision: AccessDecision;
  readAt: number;
  /** The chain head the decision's block was checked against when it was read. */
  checkedHead: bigint;
}

/** A usable cached decision; `refresh` says it is close to its bounds. */
export interface DecisionHit {
  decision: AccessDecision;
  refresh: boolean;
}

export class AccessDecisionCache {
  readonly #bounds: AccessCacheBounds;
  readonly #policyOf: BoundedTtlMap<Hex, bigint>;
  readonly #decisions: BoundedTtlMap<string, CachedDecision>;
  readonly #notFound: BoundedTtlMap<Hex, IndexerClientError>;

  constructor(bounds: AccessCacheBounds) {
    this.#bounds = bounds;
    this.#policyOf = new BoundedTtlMap(bounds.maxEntries);
    this.#decisions = new BoundedTtlMap(bounds.maxEntries);
    this.#notFound = new BoundedTtlMap(bounds.maxEntries);
  }

  policyOf(contentId: Hex): bigint | undefined {
    return this.#policyOf.get(contentId, 0);
  }

  learnPolicy(contentId: Hex, policyId: bigint): void {
    this.#policyOf.set(contentId, policyId, Number.POSITIVE_INFINITY);
  }

  notFound(contentId: Hex, now: number): IndexerClientError | undefined {
    return this.#notFound.get(contentId, now);
  }

  rememberNotFound(contentId: Hex, error: IndexerClientError, now: number): void {
    this.#notFound.set(contentId, error, now + this.#bounds.ttlMs);
  }

  /** The decision for (policy, account) if it may still be used with `highestHead` the highest chain head seen. */
  decision(policyId: bigint, account: Address, now: number, highestHead: bigint | undefined): DecisionHit | undefined {
    const key = decisionKey(policyId, account);
    const entry = this.#decisions.get(key, now);
    if (entry === undefined) return undefined;
    const { maxBlocks, maxStalenessBlocks, ttlMs } = this.#bounds;
    const head = highestHead ?? entry.checkedHead;
    const moved = head - entry.checkedHead;
    const behind = head - BigInt(entry.decision.block.number);
    if (moved > BigInt(maxBlocks) || behind > BigInt(maxStalenessBlocks)) {
      this.#decisions.delete(key);
      return undefined;
    }
    // Not "one block short of the staleness bound": while the indexer lags that far, every
    // re-read would be just as close to it, and re-reading on each hit would load the indexer
    // exactly when it is behind.
    const refresh = 2 * (now - entry.readAt) >= ttlMs || moved >= BigInt(maxBlocks);
    return { decision: entry.decision, refresh };
  }

  /** Caches a decision read at `now` whose block passed the staleness check against `checkedHead`. */
  remember(decision: AccessDecision, now: number, checkedHead: bigint): void {
    this.learnPolicy(decision.contentId, decision.policyId);
    this.#decisions.set(decisionKey(decision.policyId, decision.account), { decision, readAt: now, checkedHead }, now + this.#bounds.ttlMs);
  }

  /** Forgets decisions and "not registered" answers; content → policy facts stay (they cannot change). */
  clear(): void {
    this.#decisions.clear();
    this.#notFound.clear();
  }
}

export function decisionKey(policyId: bigint, account: Address): string {
  return `${policyId}/${account}`;
}
