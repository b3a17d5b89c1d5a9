/**
 * Typed reads of the indexer's HTTP API (docs/architecture.md#the-validator-node, #indexer-api) for the validator node, the SDK and the
 * CLI, with the bounded staleness check: state whose indexed block is more than
 * `maxStalenessBlocks` behind the chain head the node knows is never used for a decision
 * (STATE_STALE). The chain head itself is read at most every `chainHeadTtlMs`, by one request
 * for all callers, never per read. Holders and the active set are cached briefly; concurrent
 * misses share one request (single flight).
 *
 * Access decisions are read here one at a time (`readAccess`, `lookupPolicies`) without a
 * cache: the validator's AccessDecider (node/validator/access) caches and shares them.
 */
import { raceAbort } from "./abort.js";
import { normalizeAddress, normalizeContentId } from "./arguments.js";
import { BoundedTtlMap, SingleFlight } from "./cache.js";
import { IndexerClientError } from "./errors.js";
import { notFoundError, requestJson, unexpectedStatus, type FetchLike } from "./http.js";
import {
  resolveOptions,
  type ChainHeadReader,
  type IndexerClientComponents,
  type IndexerClientOptions,
  type ResolvedIndexerClientOptions,
} from "./options.js";
import { parseThresholdWork, thresholdWorkPath, type ThresholdWork, type ThresholdWorkParameters } from "./threshold.js";
import { lookupPolicies, type PolicyLookup, type PolicyReader } from "./policy-lookup.js";
import {
  parseReplication,
  replicationPath,
  type ReplicationParameters,
  type ReplicationUnchanged,
  type ReplicationWork,
} from "./replication.js";
import {
  Fields,
  parseAccess,
  parseActiveValidators,
  parseBlock,
  parseHolders,
  parsePolicy,
  type AccessDecision,
  type ActiveValidators,
  type Hex,
  type HoldersInfo,
  type IndexedBlock,
  type PolicyInfo,
} from "./types.js";
import { silentLogger, type Logger } from "../protocol/logger.js";

export interface ReadOptions {
  signal?: AbortSignal;
}

/** `readAccess`: the decision, and the chain head its block was checked against. */
export interface AccessRead {
  decision: AccessDecision;
  chainHead: bigint;
}

export interface ReadAccessOptions extends ReadOptions {
  /** The content's policy, when known (it cannot change): an answer naming another is refused. */
  policyId?: bigint;
}

export interface IndexerClientStats {
  /** GET /access reads. */
  accessReads: number;
  /** Chain head reads (getBlockNumber). */
  headReads: number;
  /** Answers refused as too far behind the chain head (STATE_STALE). */
  stale: number;
  /** Requests of bulk policy lookups (POST /contents/policies). */
  policyLookups: number;
  chainHead: bigint | undefined;
}


export class IndexerClient {
  readonly options: ResolvedIndexerClientOptions;
  readonly #chain: ChainHeadReader;
  readonly #fetch: FetchLike;
  readonly #clock: () => number;
  readonly #logger: Logger;

  #head: { value: bigint; readAt: number } | undefined;
  /** The highest chain head ever read: cached decisions that fell behind it are invalid. */
  #highestHead: bigint | undefined;
  readonly #headFlight = new SingleFlight<"head", bigint>();

  readonly #holders: BoundedTtlMap<Hex, HoldersInfo>;
  readonly #holdersFlight = new SingleFlight<Hex, HoldersInfo>();
  #validators: { value: ActiveValidators; expiresAt: number } | undefined;
  readonly #validatorsFlight = new SingleFlight<"active", ActiveValidators>();

  readonly #stats = { accessReads: 0, headReads: 0, stale: 0, policyLookups: 0 };

  constructor(components: IndexerClientComponents, options: IndexerClientOptions) {
    this.options = resolveOptions(options);
    this.#chain = components.chain;
    this.#fetch = components.fetch ?? ((input, init) => fetch(input, init));
    this.#clock = components.clock ?? Date.now;
    this.#logger = components.logger ?? silentLogger;
    this.#holders = new BoundedTtlMap(Math.min(this.options.maxCacheEntries, 10_000));
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

  /** The highest chain head read so far (undefined before the first read). Reads nothing. */
  get highestChainHead(): bigint | undefined {
    return this.#highestHead;
  }

  /**
   * Starts one chain head read in the background if the cached head is older than
   * `chainHeadTtlMs`: keeps the head that cached answers are judged against current while
   * callers answer from their caches (reads refresh it anyway).
   */
  keepChainHeadCurrent(): void {
    const head = this.#head;
    if (head !== undefined && this.#clock() - head.readAt < this.options.chainHeadTtlMs) return;
    this.chainHead().catch((error: unknown) => this.#logger.debug("chain head refresh failed", { error: String(error) }));
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
      const details = { indexedBlock: block.number, chainHead: head.toString(), maxStalenessBlocks: this.options.maxStalenessBlocks };
      this.#logger.warn("indexer state is stale", details);
      throw new IndexerClientError("STATE_STALE", "indexed state is too far behind the chain head", { details });
    }
    return head;
  }

  // ------------------------------------------------------------------ access

  /**
   * One GET /access/:cid/:account, not cached: whether `account` may have the DEK of
   * `contentId` now, per the indexer, from fresh state. INDEXER_NOT_FOUND if the content is not
   * registered (as of a fresh block).
   */
  async readAccess(contentId: string, account: string, options: ReadAccessOptions = {}): Promise<AccessRead> {
    const id = normalizeContentId(contentId);
    const who = normalizeAddress(account);
    this.#stats.accessReads++;
    const path = `/access/${id}/${who}`;
    const { status, body } = await this.#get(path, options);
    if (status === 404) {
      await this.assertFresh(parseBlock(body, "access"), options);
      throw notFoundError(path, body);
    }
    if (status !== 200) throw unexpectedStatus(path, status, body);
    const decision = parseAccess(body);
    if (decision.contentId !== id || decision.account !== who) {
      throw new IndexerClientError("INDEXER_BAD_RESPONSE", "indexer answered about another content or account", { details: { path } });
    }
    if (options.policyId !== undefined && decision.policyId !== options.policyId) {
      throw new IndexerClientError("INDEXER_BAD_RESPONSE", "indexer answered with another policy than the content's", { details: { path } });
    }
    return { decision, chainHead: await this.#checkFresh(decision.block, options) };
  }

  /**
   * The policies of many contents in one POST /contents/policies per 1,000, not cached: the ids
   * it does not return are unregistered as of a fresh block, or STATE_STALE (policy-lookup.ts).
   */
  async lookupPolicies(contentIds: readonly string[], options: ReadOptions = {}): Promise<PolicyLookup> {
    const ids = contentIds.map(normalizeContentId);
    const reader: PolicyReader = {
      post: (path, json, signal) => {
        this.#stats.policyLookups++;
        return this.#request(path, { signal }, json);
      },
      assertFresh: (block, o) => this.assertFresh(block, o),
    };
    return lookupPolicies(reader, ids, options.signal);
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
   * GET /replication/:node — one page of the node's replication work list (replication.ts). Not
   * cached (the replication engine polls it); refused if stale. With `known` (the `tag` of the
   * page the caller holds), the answer is `{ unchanged: true }` while that page is still current.
   */
  async replication(node: string, options?: ReadOptions & Omit<ReplicationParameters, "known">): Promise<ReplicationWork>;
  async replication(node: string, options: ReadOptions & ReplicationParameters & { known: string }): Promise<ReplicationWork | ReplicationUnchanged>;
  async replication(node: string, options: ReadOptions & ReplicationParameters = {}): Promise<ReplicationWork | ReplicationUnchanged> {
    const path = replicationPath(normalizeAddress(node), options);
    const { status, body } = await this.#get(path, options);
    if (status !== 200) throw unexpectedStatus(path, status, body);
    const page = parseReplication(body, options.known);
    await this.assertFresh(page.block, options);
    return page;
  }

  /** GET /threshold/:node — one page of the node's threshold work list (threshold.ts). Not cached; refused if stale. */
  async thresholdWork(node: string, options: ReadOptions & ThresholdWorkParameters = {}): Promise<ThresholdWork> {
    const path = thresholdWorkPath(normalizeAddress(node), options);
    const { status, body } = await this.#get(path, options);
    if (status !== 200) throw unexpectedStatus(path, status, body);
    const page = parseThresholdWork(body);
    await this.assertFresh(page.block, options);
    return page;
  }

  // ------------------------------------------------------------------ upkeep

  /** Forgets every cached answer (e.g. after the node learns of a reorg). */
  clearCaches(): void {
    this.#holders.clear();
    this.#validators = undefined;
    this.#head = undefined;
  }

  stats(): IndexerClientStats {
    return { ...this.#stats, chainHead: this.#head?.value };
  }

  #get(path: string, options: ReadOptions = {}) {
    return this.#request(path, options);
  }

  /** A GET, or a POST when `json` is given. */
  #request(path: string, options: ReadOptions, json?: unknown) {
    return requestJson({
      fetch: this.#fetch,
      url: this.options.url,
      path,
      timeoutMs: this.options.timeoutMs,
      maxResponseBytes: this.options.maxResponseBytes,
      signal: options.signal,
      json,
    });
  }
}

export function createIndexerClient(components: IndexerClientComponents, options: IndexerClientOptions): IndexerClient {
  return new IndexerClient(components, options);
}
