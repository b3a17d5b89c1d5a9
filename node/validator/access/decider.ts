/**
 * Whether an account may have a content's DEK now (docs/architecture.md#rewrap-and-forwarding step 4), as the rewrap service asks
 * it: per the indexer (GET /access, bounded staleness), or per the chain when the indexer lags.
 *
 * Access decisions are cached per (policy, account), not per (content, account): a content's
 * policy never changes (ContentRegistry has no way to move it), and the decision depends only
 * on the policy, the account's grants and the time. So one /access read answers every content
 * under the same policy — which is what makes a 1,000-content bulk rewrap cheap — and once a
 * content's policy is known, concurrent misses for any of the policy's contents share one read
 * (single flight per (policy, account)). A decision is reused for at most `accessCacheTtlMs`
 * (1 s), only while the chain head seen since has moved at most `accessCacheBlocks` (1) past
 * the head it was checked against, and only while its block still passes the staleness check
 * (cache.ts). A revoked grant or policy therefore stops rewraps once the indexer has indexed
 * the revocation, and at the latest `maxStalenessBlocks` blocks after it was mined (plus
 * `chainHeadTtlMs` and `accessCacheTtlMs`). The chain head itself is read by the indexer
 * client at most every `chainHeadTtlMs`, by one request for all callers, never per rewrap.
 *
 * With a ChainAccessReader, the chain decides whenever the indexer cannot: an /access answer
 * (or 404) too far behind the chain, an indexer that has not answered within
 * `indexerDeadlineMs`, or one that fails. The chain's own decision at the head is cached alike.
 * An indexer that missed a read is "degraded" for `degradedForMs`: reads go straight to the
 * chain meanwhile, so a stalled indexer costs each caller one deadline at most once per period,
 * not once per content. A fresh 404 stays authoritative (the content is not registered).
 *
 * Policies with conditions on balances, owners or calls (docs/conditions.md) are decided by the
 * chain always: the indexer answers that it cannot (INDEXER_NEEDS_CHAIN), and the decider then
 * reads `canAccess` by eth_call pinned to the chain head it knows — so within the staleness bound
 * like any read — and caches that decision like any other: per (policy, account), for at most
 * `accessCacheTtlMs` and `accessCacheBlocks` past the block it was read at. Such a policy is
 * remembered for `conditionPolicyTtlMs`, so its next reads skip the indexer.
 */
import {
  abortedError,
  BoundedTtlMap,
  IndexerClientError,
  normalizeAddress,
  normalizeContentId,
  raceAbort,
  SingleFlight,
  type AccessDecision,
  type Address,
  type Hex,
  type ReadOptions,
} from "../../indexer-client/index.js";
import { AccessDecisionCache, decisionKey } from "./cache.js";
import {
  resolveOptions,
  type AccessDeciderComponents,
  type AccessDeciderOptions,
  type AccessIndexer,
  type ChainAccessReader,
  type ResolvedAccessDeciderOptions,
} from "./options.js";
import { silentLogger, type Logger } from "../../protocol/logger.js";

/** Result per content of `accessMany`: the decision, or why there is none. */
export type AccessResult = AccessDecision | IndexerClientError;

export interface AccessDeciderStats {
  /** Decisions answered from the cache. */
  accessHits: number;
  /** /access reads started in the background for a hot (policy, account) close to expiry. */
  accessRefreshes: number;
  /** Access decisions read from the chain because the indexer was stale, slow or down (ChainAccessReader). */
  chainAccessReads: number;
  /** Indexer reads that missed their deadline or failed, so that the chain decided. */
  indexerMisses: number;
  /** Decisions read from the chain because the policy's conditions need it. */
  conditionReads: number;
}

/** Indexer failures after which the chain decides (with a chain reader). */
const CHAIN_DECIDES: ReadonlySet<string> = new Set(["STATE_STALE", "INDEXER_UNAVAILABLE", "INDEXER_BAD_RESPONSE", "INDEXER_NEEDS_CHAIN"]);
/** Of those, the answers that say nothing bad about the indexer's health. */
const INDEXER_HEALTHY: ReadonlySet<string> = new Set(["STATE_STALE", "INDEXER_NEEDS_CHAIN"]);


export class AccessDecider {
  readonly options: ResolvedAccessDeciderOptions;
  readonly #indexer: AccessIndexer;
  readonly #chainAccess: ChainAccessReader | undefined;
  readonly #clock: () => number;
  readonly #logger: Logger;
  readonly #cache: AccessDecisionCache;
  /** Keyed by (policy, account) once the content's policy is known, by (content, account) before. */
  readonly #flight = new SingleFlight<string, AccessDecision>();
  readonly #stats: AccessDeciderStats = { accessHits: 0, accessRefreshes: 0, chainAccessReads: 0, indexerMisses: 0, conditionReads: 0 };
  /** Policies whose decisions need the chain (conditions), for `conditionPolicyTtlMs`. */
  readonly #conditionPolicies: BoundedTtlMap<bigint, true>;
  /** Until when (clock ms) the indexer counts as degraded after a missed read. */
  #degradedUntil = 0;
  /** Why the indexer was last counted as degraded (an error code). */
  #degradedBy: string | undefined;

  constructor(components: AccessDeciderComponents, options: AccessDeciderOptions = {}) {
    this.options = resolveOptions(options);
    this.#indexer = components.indexer;
    this.#chainAccess = components.chainAccess;
    this.#clock = components.clock ?? Date.now;
    this.#logger = components.logger ?? silentLogger;
    this.#cache = new AccessDecisionCache({
      maxEntries: this.options.maxCacheEntries,
      ttlMs: this.options.accessCacheTtlMs,
      maxBlocks: this.options.accessCacheBlocks,
      maxStalenessBlocks: components.indexer.options.maxStalenessBlocks,
    });
    this.#conditionPolicies = new BoundedTtlMap(this.options.maxCacheEntries);
  }

  /**
   * Whether `account` may have the DEK of `contentId` now, per the indexer (GET /access),
   * from fresh state. INDEXER_NOT_FOUND if the content is not registered (as of a fresh block).
   */
  async access(contentId: string, account: string, options: ReadOptions = {}): Promise<AccessDecision> {
    const id = normalizeContentId(contentId);
    const who = normalizeAddress(account);
    const policyId = this.#cache.policyOf(id);
    if (policyId !== undefined) {
      const hit = this.#cache.decision(policyId, who, this.#clock(), this.#indexer.highestChainHead);
      this.#indexer.keepChainHeadCurrent();
      if (hit !== undefined) {
        this.#stats.accessHits++;
        if (hit.refresh) this.#refreshInBackground(policyId, id, who);
        return forContent(hit.decision, id);
      }
      const shared = this.#flight.run(decisionKey(policyId, who), () => this.#read(id, who, policyId));
      return raceAbort(shared, options.signal).then((decision) => forContent(decision, id));
    }
    const notFound = this.#cache.notFound(id, this.#clock());
    if (notFound !== undefined) throw notFound;
    return raceAbort(
      this.#flight.run(`${id}/${who}`, () => this.#read(id, who)),
      options.signal,
    );
  }

  /**
   * The decision `access` would answer with from its cache right now, or undefined where it
   * would read. Reads nothing, refreshes nothing, counts nothing: for predictions only; a
   * decision that is acted on comes from `access`.
   */
  cachedAccess(contentId: string, account: string): AccessDecision | undefined {
    const id = normalizeContentId(contentId);
    const policyId = this.#cache.policyOf(id);
    if (policyId === undefined) return undefined;
    const hit = this.#cache.decision(policyId, normalizeAddress(account), this.#clock(), this.#indexer.highestChainHead);
    return hit === undefined ? undefined : forContent(hit.decision, id);
  }

  /**
   * `access` for many contents of one account (a bulk rewrap). Contents whose policy is not yet
   * known are looked up in one POST /contents/policies, then one /access read per distinct
   * policy answers all of that policy's contents. Per-content failures are returned, not thrown.
   */
  async accessMany(contentIds: readonly string[], account: string, options: ReadOptions = {}): Promise<Map<Hex, AccessResult>> {
    const ids = contentIds.map(normalizeContentId);
    const who = normalizeAddress(account);
    const results = new Map<Hex, AccessResult>();
    const now = this.#clock();
    const unknown = ids.filter((id) => this.#cache.policyOf(id) === undefined && this.#cache.notFound(id, now) === undefined);
    // A degraded indexer is not asked: each content then goes to the chain on its own.
    const lookup = unknown.length > 1 && (this.#chainAccess === undefined || this.indexerDegraded === undefined);
    const unresolved = lookup ? await this.#learnPolicies(unknown, options) : new Map<Hex, IndexerClientError>();
    const byPolicy = new Map<bigint, Hex[]>();
    const single: Hex[] = [];
    for (const id of ids) {
      const absent = unresolved.get(id) ?? this.#cache.notFound(id, now);
      if (absent?.code === "STATE_STALE" && this.#chainAccess !== undefined) {
        single.push(id);
        continue;
      }
      if (absent !== undefined) {
        results.set(id, absent);
        continue;
      }
      const policyId = this.#cache.policyOf(id);
      if (policyId === undefined) {
        single.push(id);
        continue;
      }
      const group = byPolicy.get(policyId);
      if (group) group.push(id);
      else byPolicy.set(policyId, [id]);
    }
    const tasks: (() => Promise<void>)[] = [];
    for (const group of byPolicy.values()) {
      tasks.push(async () => {
        const result = await this.#settled(group[0]!, who, options);
        for (const id of group) results.set(id, result instanceof IndexerClientError ? result : { ...result, contentId: id });
      });
    }
    for (const id of single) {
      tasks.push(async () => {
        results.set(id, await this.#settled(id, who, options));
      });
    }
    await mapLimit(tasks, this.options.accessConcurrency, (task) => task());
    if (options.signal?.aborted) throw abortedError();
    return results;
  }

  /** Forgets decisions and "not registered" answers; content → policy facts stay (they cannot change). */
  clearCaches(): void {
    this.#cache.clear();
  }

  stats(): AccessDeciderStats {
    return { ...this.#stats };
  }

  /** `access`, with a failure as the result. */
  async #settled(contentId: Hex, account: Address, options: ReadOptions): Promise<AccessResult> {
    try {
      return await this.access(contentId, account, options);
    } catch (error) {
      return asClientError(error);
    }
  }

  /**
   * Fills the content → policy cache from one POST /contents/policies (immutable facts); the ids
   * the indexer does not know as of a fresh block are cached as not found, like a 404 from /access.
   * Returns the ids without a policy, with their error (INDEXER_NOT_FOUND or STATE_STALE).
   */
  async #learnPolicies(ids: readonly Hex[], options: ReadOptions): Promise<Map<Hex, IndexerClientError>> {
    const deadline = this.#chainAccess === undefined ? undefined : AbortSignal.timeout(this.options.indexerDeadlineMs);
    const signal = deadline === undefined ? options.signal : options.signal === undefined ? deadline : AbortSignal.any([options.signal, deadline]);
    try {
      const { policies, unresolved } = await this.#indexer.lookupPolicies(ids, { signal });
      for (const [id, policyId] of policies) this.#cache.learnPolicy(id, policyId);
      const now = this.#clock();
      for (const [id, error] of unresolved) if (error.code === "INDEXER_NOT_FOUND") this.#cache.rememberNotFound(id, error, now);
      return unresolved;
    } catch (error) {
      if (options.signal?.aborted) throw abortedError();
      if (deadline?.aborted) this.#markDegraded(new IndexerClientError("INDEXER_UNAVAILABLE", "policy lookup missed its deadline"));
      // Not fatal: every content can still be asked about one by one.
      this.#logger.warn("bulk policy lookup failed; reading access per content", { error: String(error) });
      return new Map();
    }
  }

  /** Re-reads a hot (policy, account) decision before it expires; callers keep the cached one meanwhile. */
  #refreshInBackground(policyId: bigint, contentId: Hex, account: Address): void {
    const key = decisionKey(policyId, account);
    if (this.#flight.has(key)) return;
    this.#stats.accessRefreshes++;
    this.#flight
      .run(key, () => this.#read(contentId, account, policyId))
      .catch((error: unknown) => this.#logger.debug("background access refresh failed", { error: String(error) }));
  }

  /**
   * The indexer's health as the decider sees it: undefined while it answers, else the code of its
   * last miss (STATE_STALE excepted: a lagging indexer is asked again at once) while decisions
   * come from the chain.
   */
  get indexerDegraded(): string | undefined {
    return this.#clock() < this.#degradedUntil ? this.#degradedBy : undefined;
  }

  /**
   * One access decision read: GET /access, or — when the indexer cannot decide and a
   * ChainAccessReader was given — the chain's own decision at the head. Cached alike.
   */
  async #read(contentId: Hex, account: Address, policyId?: bigint): Promise<AccessDecision> {
    const chain = this.#chainAccess;
    if (chain !== undefined && this.indexerDegraded !== undefined) {
      const degraded = new IndexerClientError("INDEXER_UNAVAILABLE", "the indexer missed a recent read; the chain decides");
      return this.#readChain(chain, contentId, account, policyId, degraded);
    }
    if (chain !== undefined && policyId !== undefined && this.#conditionPolicies.get(policyId, this.#clock())) {
      return this.#readConditions(chain, contentId, account, policyId, new IndexerClientError("INDEXER_NEEDS_CHAIN", "the policy has conditions the chain decides"));
    }
    try {
      return await this.#readIndexed(contentId, account, policyId);
    } catch (error) {
      if (chain === undefined || !(error instanceof IndexerClientError) || !CHAIN_DECIDES.has(error.code)) throw error;
      if (error.code === "INDEXER_NEEDS_CHAIN") return this.#readConditions(chain, contentId, account, policyId, error);
      if (!INDEXER_HEALTHY.has(error.code)) this.#markDegraded(error);
      return this.#readChain(chain, contentId, account, policyId, error);
    }
  }

  /** A condition policy's decision, from the chain; the policy is remembered as one. */
  async #readConditions(chain: ChainAccessReader, contentId: Hex, account: Address, policyId: bigint | undefined, why: IndexerClientError): Promise<AccessDecision> {
    this.#stats.conditionReads++;
    const decision = await this.#readChain(chain, contentId, account, policyId, why);
    this.#conditionPolicies.set(decision.policyId, true, this.#clock() + this.options.conditionPolicyTtlMs);
    return decision;
  }

  #markDegraded(error: IndexerClientError): void {
    this.#stats.indexerMisses++;
    if (this.indexerDegraded === undefined) this.#logger.warn("the indexer missed a read; deciding access from the chain", { code: error.code });
    this.#degradedUntil = this.#clock() + this.options.degradedForMs;
    this.#degradedBy = error.code;
  }

  /**
   * One GET /access; `policyId`, when known, is the content's policy (it cannot change). With a
   * chain reader to fall back on, a read that outlives `indexerDeadlineMs` is INDEXER_UNAVAILABLE.
   */
  async #readIndexed(contentId: Hex, account: Address, policyId: bigint | undefined): Promise<AccessDecision> {
    let read;
    const deadline = this.#chainAccess === undefined ? undefined : AbortSignal.timeout(this.options.indexerDeadlineMs);
    try {
      read = await this.#indexer.readAccess(contentId, account, { policyId, signal: deadline });
    } catch (error) {
      if (error instanceof IndexerClientError && error.code === "INDEXER_NOT_FOUND") this.#cache.rememberNotFound(contentId, error, this.#clock());
      if (deadline?.aborted) {
        throw new IndexerClientError("INDEXER_UNAVAILABLE", `the indexer did not answer within ${this.options.indexerDeadlineMs} ms`, { cause: error });
      }
      throw error;
    }
    this.#cache.remember(read.decision, this.#clock(), read.chainHead);
    return read.decision;
  }

  async #readChain(read: ChainAccessReader, contentId: Hex, account: Address, policyId: bigint | undefined, stale: IndexerClientError): Promise<AccessDecision> {
    this.#stats.chainAccessReads++;
    const head = await this.#indexer.chainHead();
    let decision: AccessDecision | undefined;
    try {
      decision = await read(contentId, account, head);
    } catch (cause) {
      // The chain cannot answer either: the indexer's refusal stands.
      this.#logger.warn("chain access read failed; the indexer's refusal stands", { error: String(cause) });
      throw stale;
    }
    if (decision === undefined) {
      const error = new IndexerClientError("INDEXER_NOT_FOUND", "the chain does not know the content", { details: { path: "chain", code: "content_not_found" } });
      this.#cache.rememberNotFound(contentId, error, this.#clock());
      throw error;
    }
    if (decision.contentId !== contentId || decision.account !== account || (policyId !== undefined && decision.policyId !== policyId)) {
      throw new IndexerClientError("INDEXER_BAD_RESPONSE", "the chain access reader answered about another content, account or policy");
    }
    this.#cache.remember(decision, this.#clock(), head);
    return decision;
  }
}

/** The (policy, account) decision as an answer about `contentId`, one of the policy's contents. */
function forContent(decision: AccessDecision, contentId: Hex): AccessDecision {
  return decision.contentId === contentId ? decision : { ...decision, contentId };
}

function asClientError(error: unknown): IndexerClientError {
  return error instanceof IndexerClientError
    ? error
    : new IndexerClientError("INDEXER_UNAVAILABLE", "indexer read failed", { cause: error });
}

async function mapLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export function createAccessDecider(components: AccessDeciderComponents, options: AccessDeciderOptions = {}): AccessDecider {
  return new AccessDecider(components, options);
}
