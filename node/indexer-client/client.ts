/**
 * Typed, cached reads of the indexer's HTTP API for the validator node (SPEC §7, §9), with the
 * bounded staleness check: state whose indexed block is more than `maxStalenessBlocks` behind
 * the chain head the node knows is never used for a decision (STATE_STALE).
 *
 * Access decisions are cached per (policy, account), not per (content, account): a content's
 * policy never changes (ContentRegistry has no way to move it), and the decision depends only
 * on the policy, the account's grants and the time. So one /access read answers every content
 * under the same policy — which is what makes a 1,000-content bulk rewrap cheap — and once a
 * content's policy is known, concurrent misses for any of the policy's contents share one read
 * (single flight per (policy, account)). A decision is reused for at most `accessCacheTtlMs`
 * (1 s), only while the chain head seen since has moved at most `accessCacheBlocks` (1) past
 * the head it was checked against, and only while its block still passes the staleness check
 * (access-cache.ts). A revoked grant or policy therefore stops rewraps once the indexer has
 * indexed the revocation, and at the latest `maxStalenessBlocks` blocks after it was mined
 * (plus `chainHeadTtlMs` and `accessCacheTtlMs`). The chain head itself is read at most every
 * `chainHeadTtlMs`, by one request for all callers, never per rewrap.
 */
import { AccessDecisionCache, decisionKey } from "./access-cache.js";
import { BoundedTtlMap, SingleFlight } from "./cache.js";
import { IndexerClientError } from "./errors.js";
import { errorCode, requestJson, type FetchLike } from "./http.js";
import {
  resolveOptions,
  type ChainAccessReader,
  type ChainHeadReader,
  type IndexerClientComponents,
  type IndexerClientLogger,
  type IndexerClientOptions,
  type ResolvedIndexerClientOptions,
} from "./options.js";
import {
  Fields,
  parseAccess,
  parseActiveValidators,
  parseBlock,
  parseHolders,
  parsePolicy,
  type AccessDecision,
  type ActiveValidators,
  type Address,
  type Hex,
  type HoldersInfo,
  type IndexedBlock,
  type PolicyInfo,
} from "./types.js";
import { raceSignal } from "../protocol/abort.js";
import type { ReplicationModeName } from "../chain/constants.js";

export interface ReadOptions {
  signal?: AbortSignal;
}

/** A validator the node may talk to (GET /replication): active, or exiting and not revoked. */
export interface ReplicationPeer {
  node: Address;
  status: string;
  peerId: string;
  multiaddrs: string[];
  endpoint: string;
  kid: Hex;
  kasPublicKey: Hex;
}

/** A content that concerns the node: it is in the replica set, the initial validator, or a confirmed holder. */
export interface ReplicationContent {
  contentId: Hex;
  policyId: bigint;
  mode: ReplicationModeName;
  k: number;
  initialValidator: Address;
  registeredBlock: number;
  /** The registered NanoTDF header bytes. */
  header: Hex;
  /** Stake slots (null = vacant; members may be inactive), explicit members, or the computed xor/all set. */
  replicaSet: (Address | null)[];
  /** Validators that confirmed the DEK on chain (any status). */
  holders: Address[];
}

/** GET /replication/:node — one page. */
export interface ReplicationWork {
  block: IndexedBlock;
  /** Tag of this page: passed back as `known`, the indexer answers "unchanged" while it still holds. */
  tag: string;
  node: (ReplicationPeer & { revoked: boolean }) | null;
  peers: ReplicationPeer[];
  contents: ReplicationContent[];
  nextCursor: string | null;
}

/** GET /replication/:node?known=<tag> when the page with that tag is still the answer. */
export interface ReplicationUnchanged {
  block: IndexedBlock;
  tag: string;
  unchanged: true;
}

export interface IndexerClientStats {
  accessHits: number;
  accessReads: number;
  /** /access reads started in the background for a hot (policy, account) close to expiry. */
  accessRefreshes: number;
  /** Chain head reads (getBlockNumber). */
  headReads: number;
  stale: number;
  /** Access decisions read from the chain because the indexer was stale (ChainAccessReader). */
  chainAccessReads: number;
  policyLookups: number;
  chainHead: bigint | undefined;
}

/** Result per content of `accessMany`: the decision, or why there is none. */
export type AccessResult = AccessDecision | IndexerClientError;

const CONTENT_ID = /^0x[0-9a-fA-F]{64}$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
/** Ponder's GraphQL caps a page at 1,000 rows. */
const GRAPHQL_PAGE = 1_000;
const META_QUERY = "query { _meta { status } }";
const POLICY_LOOKUP_QUERY =
  "query($ids: [String!]) { contents(where: { contentId_in: $ids }, limit: 1000) { items { contentId policyId } } }";

const silentLogger: IndexerClientLogger = { debug() {}, warn() {} };

function normalizeContentId(contentId: string): Hex {
  if (!CONTENT_ID.test(contentId)) {
    throw new IndexerClientError("INDEXER_INVALID_ARGUMENT", "content id must be 0x + 64 hex digits");
  }
  return contentId.toLowerCase() as Hex;
}

function normalizeAddress(address: string): Address {
  if (!ADDRESS.test(address)) throw new IndexerClientError("INDEXER_INVALID_ARGUMENT", "account must be a 0x address");
  return address.toLowerCase() as Address;
}

/** Resolves with `promise` unless `signal` aborts first (the shared read itself goes on). */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  return signal === undefined ? promise : raceSignal(promise, signal, aborted);
}

function aborted(): IndexerClientError {
  return new IndexerClientError("INDEXER_ABORTED", "indexer read aborted");
}

async function mapLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export class IndexerClient {
  readonly options: ResolvedIndexerClientOptions;
  readonly #chain: ChainHeadReader;
  readonly #chainAccess: ChainAccessReader | undefined;
  readonly #fetch: FetchLike;
  readonly #clock: () => number;
  readonly #logger: IndexerClientLogger;

  #head: { value: bigint; readAt: number } | undefined;
  /** The highest chain head ever read: invalidates cached decisions that fell behind. */
  #highestHead: bigint | undefined;
  readonly #headFlight = new SingleFlight<"head", bigint>();

  readonly #access: AccessDecisionCache;
  /** Keyed by (policy, account) once the content's policy is known, by (content, account) before. */
  readonly #accessFlight = new SingleFlight<string, AccessDecision>();
  readonly #holders: BoundedTtlMap<Hex, HoldersInfo>;
  readonly #holdersFlight = new SingleFlight<Hex, HoldersInfo>();
  #validators: { value: ActiveValidators; expiresAt: number } | undefined;
  readonly #validatorsFlight = new SingleFlight<"active", ActiveValidators>();

  readonly #stats = { accessHits: 0, accessReads: 0, accessRefreshes: 0, headReads: 0, stale: 0, chainAccessReads: 0, policyLookups: 0 };

  constructor(components: IndexerClientComponents, options: IndexerClientOptions) {
    this.options = resolveOptions(options);
    this.#chain = components.chain;
    this.#chainAccess = components.chainAccess;
    this.#fetch = components.fetch ?? ((input, init) => fetch(input, init));
    this.#clock = components.clock ?? Date.now;
    this.#logger = components.logger ?? silentLogger;
    const max = this.options.maxCacheEntries;
    this.#access = new AccessDecisionCache({
      maxEntries: max,
      ttlMs: this.options.accessCacheTtlMs,
      maxBlocks: this.options.accessCacheBlocks,
      maxStalenessBlocks: this.options.maxStalenessBlocks,
    });
    this.#holders = new BoundedTtlMap(Math.min(max, 10_000));
  }

  // ------------------------------------------------------------------ staleness

  /** The chain head, read through the public client at most every `chainHeadTtlMs`. */
  async chainHead(options: ReadOptions = {}): Promise<bigint> {
    const head = this.#head;
    if (head !== undefined && this.#clock() - head.readAt < this.options.chainHeadTtlMs) return head.value;
    return raceAbort(
      this.#headFlight.run("head", async () => {
        let value: bigint;
        this.#stats.headReads++;
        try {
          value = await this.#chain.getBlockNumber({ cacheTime: 0 });
        } catch (cause) {
          throw new IndexerClientError("CHAIN_UNAVAILABLE", "cannot read the chain head", { cause });
        }
        this.#head = { value, readAt: this.#clock() };
        if (this.#highestHead === undefined || value > this.#highestHead) this.#highestHead = value;
        return value;
      }),
      options.signal,
    );
  }

  /** Throws STATE_STALE if `block` is more than `maxStalenessBlocks` behind the chain head. */
  async assertFresh(block: IndexedBlock, options: ReadOptions = {}): Promise<void> {
    await this.#checkFresh(block, options);
  }

  /** `assertFresh`, returning the chain head the block was checked against. */
  async #checkFresh(block: IndexedBlock, options: ReadOptions = {}): Promise<bigint> {
    const head = await this.chainHead(options);
    const behind = head - BigInt(block.number);
    if (behind > BigInt(this.options.maxStalenessBlocks)) {
      this.#stats.stale++;
      this.#logger.warn("indexer state is stale", {
        indexedBlock: block.number,
        chainHead: head.toString(),
        maxStalenessBlocks: this.options.maxStalenessBlocks,
      });
      throw new IndexerClientError("STATE_STALE", "indexed state is too far behind the chain head", {
        details: { indexedBlock: block.number, chainHead: head.toString(), maxStalenessBlocks: this.options.maxStalenessBlocks },
      });
    }
    return head;
  }

  /**
   * Keeps the chain head that cached decisions are judged against current while every request
   * is a cache hit (reads refresh it anyway): one read per `chainHeadTtlMs`, in the background.
   */
  #keepHeadCurrent(): void {
    const head = this.#head;
    if (head !== undefined && this.#clock() - head.readAt < this.options.chainHeadTtlMs) return;
    this.chainHead().catch((error: unknown) => this.#logger.debug("chain head refresh failed", { error: String(error) }));
  }

  // ------------------------------------------------------------------ access

  /**
   * Whether `account` may have the DEK of `contentId` now, per the indexer (GET /access),
   * from fresh state. INDEXER_NOT_FOUND if the content is not registered (as of a fresh block).
   */
  async access(contentId: string, account: string, options: ReadOptions = {}): Promise<AccessDecision> {
    const id = normalizeContentId(contentId);
    const who = normalizeAddress(account);
    const policyId = this.#access.policyOf(id);
    if (policyId !== undefined) {
      const hit = this.#access.decision(policyId, who, this.#clock(), this.#highestHead);
      this.#keepHeadCurrent();
      if (hit !== undefined) {
        this.#stats.accessHits++;
        if (hit.refresh) this.#refreshInBackground(policyId, id, who);
        return forContent(hit.decision, id);
      }
      const shared = this.#accessFlight.run(decisionKey(policyId, who), () => this.#readAccess(id, who, policyId));
      return raceAbort(shared, options.signal).then((decision) => forContent(decision, id));
    }
    const notFound = this.#access.notFound(id, this.#clock());
    if (notFound !== undefined) throw notFound;
    return raceAbort(
      this.#accessFlight.run(`${id}/${who}`, () => this.#readAccess(id, who)),
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
    const policyId = this.#access.policyOf(id);
    if (policyId === undefined) return undefined;
    const hit = this.#access.decision(policyId, normalizeAddress(account), this.#clock(), this.#highestHead);
    return hit === undefined ? undefined : forContent(hit.decision, id);
  }

  /** Re-reads a hot (policy, account) decision before it expires; callers keep the cached one meanwhile. */
  #refreshInBackground(policyId: bigint, contentId: Hex, account: Address): void {
    const key = decisionKey(policyId, account);
    if (this.#accessFlight.has(key)) return;
    this.#stats.accessRefreshes++;
    this.#accessFlight
      .run(key, () => this.#readAccess(contentId, account, policyId))
      .catch((error: unknown) => this.#logger.debug("background access refresh failed", { error: String(error) }));
  }

  /**
   * `access` for many contents of one account (a bulk rewrap). Contents whose policy is not yet
   * known are looked up in one GraphQL query, then one /access read per distinct policy answers
   * all of that policy's contents. Per-content failures are returned, not thrown.
   */
  async accessMany(contentIds: readonly string[], account: string, options: ReadOptions = {}): Promise<Map<Hex, AccessResult>> {
    const ids = contentIds.map(normalizeContentId);
    const who = normalizeAddress(account);
    const results = new Map<Hex, AccessResult>();
    const now = this.#clock();
    const unknown = ids.filter((id) => this.#access.policyOf(id) === undefined && this.#access.notFound(id, now) === undefined);
    let unresolved = new Map<Hex, IndexerClientError>();
    if (unknown.length > 1) {
      try {
        unresolved = await this.#lookupPolicies(unknown, options);
      } catch (error) {
        if (options.signal?.aborted) throw aborted();
        // Not fatal: every content can still be asked about one by one.
        this.#logger.warn("policy lookup over GraphQL failed; reading access per content", { error: String(error) });
      }
    }
    const byPolicy = new Map<bigint, Hex[]>();
    const single: Hex[] = [];
    for (const id of ids) {
      const absent = unresolved.get(id) ?? this.#access.notFound(id, now);
      if (absent?.code === "STATE_STALE" && this.#chainAccess !== undefined) {
        single.push(id);
        continue;
      }
      if (absent !== undefined) {
        results.set(id, absent);
        continue;
      }
      const policyId = this.#access.policyOf(id);
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
        let result: AccessResult;
        try {
          result = await this.access(group[0]!, who, options);
        } catch (error) {
          result = asClientError(error);
        }
        for (const id of group) results.set(id, result instanceof IndexerClientError ? result : { ...result, contentId: id });
      });
    }
    for (const id of single) {
      tasks.push(async () => {
        try {
          results.set(id, await this.access(id, who, options));
        } catch (error) {
          results.set(id, asClientError(error));
        }
      });
    }
    await mapLimit(tasks, this.options.accessConcurrency, (task) => task());
    if (options.signal?.aborted) throw aborted();
    return results;
  }

  /**
   * One access decision read: GET /access, or — when that answer is too far behind the chain and
   * a ChainAccessReader was given — the chain's own decision at the head. Cached alike.
   */
  async #readAccess(contentId: Hex, account: Address, policyId?: bigint): Promise<AccessDecision> {
    try {
      return await this.#readIndexedAccess(contentId, account, policyId);
    } catch (error) {
      if (this.#chainAccess === undefined || !(error instanceof IndexerClientError) || error.code !== "STATE_STALE") throw error;
      return this.#readChainAccess(this.#chainAccess, contentId, account, policyId, error);
    }
  }

  async #readChainAccess(read: ChainAccessReader, contentId: Hex, account: Address, policyId: bigint | undefined, stale: IndexerClientError): Promise<AccessDecision> {
    this.#stats.chainAccessReads++;
    const head = await this.chainHead();
    let decision: AccessDecision | undefined;
    try {
      decision = await read(contentId, account, head);
    } catch (cause) {
      // The chain cannot answer either: the indexer's refusal stands.
      this.#logger.warn("chain access read failed; the stale indexer's refusal stands", { error: String(cause) });
      throw stale;
    }
    if (decision === undefined) {
      const error = new IndexerClientError("INDEXER_NOT_FOUND", "the chain does not know the content", { details: { path: "chain", code: "content_not_found" } });
      this.#access.rememberNotFound(contentId, error, this.#clock());
      throw error;
    }
    if (decision.contentId !== contentId || decision.account !== account || (policyId !== undefined && decision.policyId !== policyId)) {
      throw new IndexerClientError("INDEXER_BAD_RESPONSE", "the chain access reader answered about another content, account or policy");
    }
    this.#access.remember(decision, this.#clock(), head);
    return decision;
  }

  /** One GET /access; `policyId`, when known, is the content's policy (it cannot change). */
  async #readIndexedAccess(contentId: Hex, account: Address, policyId?: bigint): Promise<AccessDecision> {
    this.#stats.accessReads++;
    const path = `/access/${contentId}/${account}`;
    const { status, body } = await this.#get(path);
    if (status === 404) {
      await this.assertFresh(parseBlock(body, "access"));
      const error = notFoundError(path, body);
      this.#access.rememberNotFound(contentId, error, this.#clock());
      throw error;
    }
    if (status !== 200) throw unexpectedStatus(path, status, body);
    const decision = parseAccess(body);
    if (decision.contentId !== contentId || decision.account !== account) {
      throw new IndexerClientError("INDEXER_BAD_RESPONSE", "indexer answered about another content or account", { details: { path } });
    }
    if (policyId !== undefined && decision.policyId !== policyId) {
      throw new IndexerClientError("INDEXER_BAD_RESPONSE", "indexer answered with another policy than the content's", { details: { path } });
    }
    const head = await this.#checkFresh(decision.block);
    this.#access.remember(decision, this.#clock(), head);
    return decision;
  }

  /**
   * Fills the contentId → policyId map from GraphQL (immutable facts). The indexer's head is
   * read first, so the contents read afterwards reflect at least that block: if it is fresh,
   * the ids GraphQL does not return are unregistered as of a fresh block (cached as not found,
   * like a 404 from /access), and need no read of their own. If it is stale, they are
   * STATE_STALE — no point asking the same stale indexer about each of them.
   * Returns those ids with their error.
   */
  async #lookupPolicies(ids: readonly Hex[], options: ReadOptions): Promise<Map<Hex, IndexerClientError>> {
    const { status, body } = await this.#graphql(META_QUERY, {}, options);
    if (status !== 200) throw unexpectedStatus("/graphql", status, body);
    const chains = Object.values(Fields.of(body, "graphql").object("data").object("_meta").object("status").value);
    if (chains.length === 0) throw new IndexerClientError("INDEXER_UNAVAILABLE", "the indexer has not indexed a block yet");
    const blocks = chains.map((chain, i) => parseBlock(chain, `graphql._meta.status[${i}]`));
    const head = blocks.reduce((a, b) => (b.number < a.number ? b : a));
    let stale: IndexerClientError | undefined;
    try {
      await this.assertFresh(head, options);
    } catch (error) {
      if (!(error instanceof IndexerClientError) || error.code !== "STATE_STALE") throw error;
      stale = error;
    }
    const found = new Set<Hex>();
    for (let start = 0; start < ids.length; start += GRAPHQL_PAGE) {
      const page = ids.slice(start, start + GRAPHQL_PAGE);
      const { status, body } = await this.#graphql(POLICY_LOOKUP_QUERY, { ids: page }, options);
      if (status !== 200) throw unexpectedStatus("/graphql", status, body);
      const wanted = new Set(page);
      const items = Fields.of(body, "graphql").object("data").object("contents").array("items");
      for (const [i, item] of items.entries()) {
        const row = Fields.of(item, `graphql.items[${i}]`);
        const contentId = row.bytes32("contentId");
        if (!wanted.has(contentId)) throw new IndexerClientError("INDEXER_BAD_RESPONSE", "GraphQL returned an unrequested content");
        this.#access.learnPolicy(contentId, row.uint("policyId"));
        found.add(contentId);
      }
    }
    const unresolved = new Map<Hex, IndexerClientError>();
    const now = this.#clock();
    for (const id of ids) {
      if (found.has(id)) continue;
      if (stale !== undefined) {
        unresolved.set(id, stale);
        continue;
      }
      const error = new IndexerClientError("INDEXER_NOT_FOUND", "the indexer does not know it", { details: { path: "/graphql", code: "content_not_found" } });
      this.#access.rememberNotFound(id, error, now);
      unresolved.set(id, error);
    }
    return unresolved;
  }

  async #graphql(query: string, variables: Record<string, unknown>, options: ReadOptions) {
    this.#stats.policyLookups++;
    const response = await requestJson({
      fetch: this.#fetch,
      url: this.options.url,
      path: "/graphql",
      timeoutMs: this.options.timeoutMs,
      maxResponseBytes: this.options.maxResponseBytes,
      signal: options.signal,
      json: { query, variables },
    });
    if (response.status === 200 && Fields.of(response.body, "graphql").value.errors !== undefined) {
      throw new IndexerClientError("INDEXER_BAD_RESPONSE", "indexer GraphQL query failed", { details: { path: "/graphql" } });
    }
    return response;
  }

  // ------------------------------------------------------------------ holders, validators, policies

  /** GET /holders/:cid — active validators that hold or should hold the DEK, from fresh state. */
  async holders(contentId: string, options: ReadOptions = {}): Promise<HoldersInfo> {
    const id = normalizeContentId(contentId);
    const cached = this.#holders.get(id, this.#clock());
    if (cached !== undefined) return cached;
    return raceAbort(
      this.#holdersFlight.run(id, async () => {
        const path = `/holders/${id}`;
        const { status, body } = await this.#get(path);
        if (status === 404) {
          await this.assertFresh(parseBlock(body, "holders"));
          throw notFoundError(path, body);
        }
        if (status !== 200) throw unexpectedStatus(path, status, body);
        const info = parseHolders(body);
        if (info.contentId !== id) throw new IndexerClientError("INDEXER_BAD_RESPONSE", "indexer answered about another content", { details: { path } });
        await this.assertFresh(info.block);
        this.#holders.set(id, info, this.#clock() + this.options.holdersCacheTtlMs);
        return info;
      }),
      options.signal,
    );
  }

  /** GET /validators/active, from fresh state. */
  async activeValidators(options: ReadOptions = {}): Promise<ActiveValidators> {
    const cached = this.#validators;
    if (cached !== undefined && cached.expiresAt > this.#clock()) return cached.value;
    return raceAbort(
      this.#validatorsFlight.run("active", async () => {
        const path = "/validators/active";
        const { status, body } = await this.#get(path);
        if (status !== 200) throw unexpectedStatus(path, status, body);
        const value = parseActiveValidators(body);
        await this.assertFresh(value.block);
        this.#validators = { value, expiresAt: this.#clock() + this.options.validatorsCacheTtlMs };
        return value;
      }),
      options.signal,
    );
  }

  /** Whether a libp2p peer id belongs to an active validator: the p2p layer's `isAllowedPeer`. */
  async isActiveValidatorPeer(peerId: string, options: ReadOptions = {}): Promise<boolean> {
    const { validators } = await this.activeValidators(options);
    return validators.some((v) => v.peerId === peerId);
  }

  /** GET /policies/:id (not cached: nothing on the rewrap path needs it). */
  async policy(id: bigint | number, options: ReadOptions = {}): Promise<PolicyInfo> {
    const policyId = BigInt(id);
    if (policyId < 0n || policyId >= 1n << 64n) throw new IndexerClientError("INDEXER_INVALID_ARGUMENT", "policy id must be a uint64");
    const path = `/policies/${policyId}`;
    const { status, body } = await this.#get(path, options);
    if (status === 404) {
      await this.assertFresh(parseBlock(body, "policy"), options);
      throw notFoundError(path, body);
    }
    if (status !== 200) throw unexpectedStatus(path, status, body);
    const policy = parsePolicy(body);
    await this.assertFresh(policy.block, options);
    return policy;
  }

  /**
   * GET /replication/:node — one page of the node's replication work list (docs/replication.md):
   * its record, the validators it may talk to, and the contents that concern it. Not cached
   * (the replication engine polls it); refused if stale. With `known` (the `tag` of the page
   * the caller holds), the answer is `{ unchanged: true }` while that page is still current.
   */
  async replication(node: string, options?: ReadOptions & { cursor?: string; limit?: number }): Promise<ReplicationWork>;
  async replication(node: string, options: ReadOptions & { cursor?: string; limit?: number; known: string }): Promise<ReplicationWork | ReplicationUnchanged>;
  async replication(node: string, options: ReadOptions & { cursor?: string; limit?: number; known?: string } = {}): Promise<ReplicationWork | ReplicationUnchanged> {
    const who = normalizeAddress(node).toLowerCase();
    const params = new URLSearchParams();
    if (options.cursor !== undefined) params.set("cursor", options.cursor);
    if (options.limit !== undefined) params.set("limit", String(options.limit));
    if (options.known !== undefined) params.set("known", options.known);
    const path = `/replication/${who}${params.size > 0 ? `?${params}` : ""}`;
    const { status, body } = await this.#get(path, options);
    if (status !== 200) throw unexpectedStatus(path, status, body);
    const f = Fields.of(body, "replication");
    if (f.value.unchanged !== undefined) {
      const tag = f.string("tag");
      if (f.value.unchanged !== true || tag !== options.known) throw new IndexerClientError("INDEXER_BAD_RESPONSE", "indexer response: unchanged for another tag than the one sent");
      const unchanged: ReplicationUnchanged = { block: parseBlock(body, "replication"), tag, unchanged: true };
      await this.assertFresh(unchanged.block, options);
      return unchanged;
    }
    const peer = (item: unknown, where: string): ReplicationPeer => {
      const p = Fields.of(item, where);
      return {
        node: p.address("node"),
        status: p.string("status"),
        peerId: p.string("peerId"),
        multiaddrs: p.strings("multiaddrs"),
        endpoint: p.string("endpoint"),
        kid: p.hex("kid"),
        kasPublicKey: p.hex("kasPublicKey"),
      };
    };
    const addressOrNull = (value: unknown, where: string): Address | null => {
      if (value === null) return null;
      if (typeof value !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(value)) throw new IndexerClientError("INDEXER_BAD_RESPONSE", `indexer response: ${where} is not an address`);
      return value.toLowerCase() as Address;
    };
    const self = f.value.node === null ? null : { ...peer(f.value.node, "replication.node"), revoked: f.object("node").boolean("revoked") };
    const work: ReplicationWork = {
      block: parseBlock(body, "replication"),
      tag: f.string("tag"),
      node: self,
      peers: f.array("peers").map((item, i) => peer(item, `replication.peers[${i}]`)),
      contents: f.array("contents").map((item, i) => {
        const c = Fields.of(item, `replication.contents[${i}]`);
        return {
          contentId: c.bytes32("contentId"),
          policyId: c.uint("policyId"),
          mode: c.mode("mode"),
          k: c.integer("k"),
          initialValidator: c.address("initialValidator"),
          registeredBlock: c.integer("registeredBlock"),
          header: c.hex("header"),
          replicaSet: c.array("replicaSet").map((m, j) => addressOrNull(m, `replication.contents[${i}].replicaSet[${j}]`)),
          holders: c.array("holders").map((m, j) => addressOrNull(m, `replication.contents[${i}].holders[${j}]`)!),
        };
      }),
      nextCursor: f.value.nextCursor === null ? null : f.string("nextCursor"),
    };
    await this.assertFresh(work.block, options);
    return work;
  }

  // ------------------------------------------------------------------ upkeep

  /** Forgets every cached answer (e.g. after the node learns of a reorg). */
  clearCaches(): void {
    this.#access.clear();
    this.#holders.clear();
    this.#validators = undefined;
    this.#head = undefined;
  }

  stats(): IndexerClientStats {
    return { ...this.#stats, chainHead: this.#head?.value };
  }

  #get(path: string, options: ReadOptions = {}) {
    return requestJson({
      fetch: this.#fetch,
      url: this.options.url,
      path,
      timeoutMs: this.options.timeoutMs,
      maxResponseBytes: this.options.maxResponseBytes,
      signal: options.signal,
    });
  }
}

/** The (policy, account) decision as an answer about `contentId`, one of the policy's contents. */
function forContent(decision: AccessDecision, contentId: Hex): AccessDecision {
  return decision.contentId === contentId ? decision : { ...decision, contentId };
}

function notFoundError(path: string, body: unknown): IndexerClientError {
  return new IndexerClientError("INDEXER_NOT_FOUND", "the indexer does not know it", { details: { path, code: errorCode(body) } });
}

function unexpectedStatus(path: string, status: number, body: unknown): IndexerClientError {
  return new IndexerClientError("INDEXER_BAD_RESPONSE", `indexer answered HTTP ${status}`, {
    details: { path, status, code: errorCode(body) },
  });
}

function asClientError(error: unknown): IndexerClientError {
  return error instanceof IndexerClientError
    ? error
    : new IndexerClientError("INDEXER_UNAVAILABLE", "indexer read failed", { cause: error });
}

export function createIndexerClient(components: IndexerClientComponents, options: IndexerClientOptions): IndexerClient {
  return new IndexerClient(components, options);
}
