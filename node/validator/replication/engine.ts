/**
 * The lazy replication engine (SPEC §5, docs/replication.md). Every `intervalMs` — and at once
 * when the rewrap path meets a content this node lacks — it reads its work list from the
 * indexer (GET /replication/:node), compares it with its store and acts:
 *
 *   initial validator → derive the DEK from the registered header (policy binding checked)
 *   replica set member without the DEK → pull it from a holder, check it, store it durably, then
 *     confirm (holder confirmation on chain for stake/explicit via the TxSubmitter; DHT provider
 *     record for xor/all)
 *   stake slot held by a validator that left → `repair` on chain (one designated sender)
 *
 * and serves /dekmesh/replicate/1.0.0 (holder side) and /dekmesh/has/1.0.0. Everything it
 * decides on is re-read from the indexer, so a restart simply resumes: DEKs already stored are
 * skipped, unconfirmed ones are still pending in the store for the submitter, and provider
 * records are announced again.
 */
import type { Address, Hex } from "viem";
import { hexToBytes } from "viem";
import { ReplayGuard } from "../../crypto/envelopes/index.js";
import type { IndexerClient, ReplicationContent, ReplicationPeer, ReplicationWork } from "../../indexer-client/index.js";
import type { ChainAccount } from "../../crypto/keys/index.js";
import { P2pRemoteError, PROTOCOL_HAS, PROTOCOL_REPLICATE, validatorDialTarget, type P2pNode } from "../p2p/index.js";
import type { DekSource, DekStore } from "../store/index.js";
import { verifyRegisteredHeader } from "../../crypto/tdf/index.js";
import {
  MAX_HAS_ANSWER_BYTES,
  MAX_HAS_REQUEST_BYTES,
  MAX_INBOUND_PULLS,
  MAX_PULL_ANSWER_BYTES,
  MAX_PULL_ATTEMPTS,
  MAX_PULL_REQUEST_BYTES,
  MAX_REPAIR_BATCH,
  MAX_REPAIR_BATCHES_IN_FLIGHT,
  RETRY_AFTER_FAILURE_MS,
  WORK_PAGE_LIMIT,
} from "./constants.js";
import { ReplicationError } from "./errors.js";
import { servePull } from "./holder.js";
import { planContent } from "./plan.js";
import { acceptEnvelope, failureCode, requestEnvelope, type PullSource } from "./puller.js";
import { decodeContentRequest, decodeHasAnswer, encodeContentRequest, encodeHasAnswer } from "./wire.js";

export interface ReplicationLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

export interface ReplicationComponents {
  store: Pick<DekStore, "getDek" | "hasDek" | "putDek" | "kasKeyRing" | "getDekInfo">;
  indexer: Pick<IndexerClient, "replication" | "holders" | "activeValidators" | "chainHead">;
  p2p: Pick<P2pNode, "handle" | "unhandle" | "request" | "provide" | "findProviders" | "revalidate">;
  /** This node's chain account (signs envelopes it serves). */
  account: ChainAccount;
  /**
   * Sends ContentRegistry.repairMany for 1–MAX_REPAIR_BATCH sets from the node account (through
   * the TxSubmitter's sender); resolves once it is mined. Entries another node repaired first are
   * skipped on chain; it rejects if none changed.
   */
  repair(repairs: readonly { contentId: Hex; members: readonly Address[] }[]): Promise<void>;
  /** Wakes the TxSubmitter: a stake/explicit DEK is waiting for its holder confirmation. */
  notifyHoldings(): void;
  logger?: ReplicationLogger;
  clock?: () => number;
}

export interface ReplicationOptions {
  /** Blocks a registration needs (the including one counts) before derive and pulls. Default 1. */
  confirmations?: number;
  /** Work-list poll interval. Default 500 ms. */
  intervalMs?: number;
  /** Pulls under way at once. Default 16. */
  concurrency?: number;
  /** Deadline of one pull request. Default 10 s. */
  pullTimeoutMs?: number;
}

export interface ReplicationStats {
  ticks: number;
  derived: number;
  pulled: number;
  /** DEKs re-seeded by their publisher (POST /v1/recover). */
  recovered: number;
  pullFailures: number;
  /** Of `pulled`, DEKs pulled from a holder found only by its DHT provider record. */
  pulledFromProviders: number;
  served: number;
  refused: Record<string, number>;
  repairsSent: number;
  repairFailures: number;
  provided: number;
  /** Contents that concern this node in the last work list. */
  contents: number;
  /** Of those, DEKs this node should hold but does not (yet). */
  missing: number;
  lastError: string | undefined;
  /** Duration of the last pass, and of its work-list read, in ms. */
  lastPassMs: number;
  lastWorkReadMs: number;
}

/** What storing a DEK needs to know about its content. */
export type StoredContent = Pick<ReplicationContent, "contentId" | "policyId" | "mode">;

export interface HandOffResult {
  /** Stake slots still naming this node. */
  slots: number;
  /** Held contents no other active validator is known to hold yet. */
  unprotected: number;
}

const silent: ReplicationLogger = { debug() {}, info() {}, warn() {} };
const lower = (a: string) => a.toLowerCase() as Address;

export class ReplicationEngine {
  readonly options: Required<ReplicationOptions>;
  readonly #c: ReplicationComponents;
  readonly #logger: ReplicationLogger;
  readonly #clock: () => number;
  readonly #me: Address;
  readonly #replayGuard = new ReplayGuard();
  readonly #provided = new Set<Hex>();
  readonly #inFlight = new Map<Hex, Promise<void>>();
  /** Derives under way (a pass's, or one a pull asked for first), so none runs twice. */
  readonly #deriving = new Map<Hex, Promise<void>>();
  /** Contents in a repairMany under way. */
  readonly #repairing = new Set<Hex>();
  readonly #repairs = new Set<Promise<void>>();
  /** Sets this node's mined repairMany changed, as sent: not sent again while the indexer still shows them. */
  readonly #repairedFrom = new Map<Hex, string>();
  readonly #failedUntil = new Map<string, number>();
  readonly #stats: ReplicationStats = {
    ticks: 0, derived: 0, pulled: 0, recovered: 0, pullFailures: 0, pulledFromProviders: 0, served: 0, refused: {}, repairsSent: 0, repairFailures: 0, provided: 0, contents: 0, missing: 0, lastError: undefined, lastPassMs: 0, lastWorkReadMs: 0,
  };
  #controller: AbortController | undefined;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #wakeRequested = false;
  #work: ReplicationWork | undefined;
  #contents = new Map<Hex, ReplicationContent>();
  #peerIds = new Set<string>();
  #idle = false;
  #idleWaiters: (() => void)[] = [];
  #onStored: ((contentId: Hex) => void)[] = [];
  /** Pull requests waiting for a work list read after they arrived (true: read, false: failed). */
  #refreshWaiters: ((loaded: boolean) => void)[] = [];

  constructor(components: ReplicationComponents, options: ReplicationOptions = {}) {
    this.#c = components;
    this.#logger = components.logger ?? silent;
    this.#clock = components.clock ?? Date.now;
    this.#me = lower(components.account.address);
    this.options = {
      confirmations: options.confirmations ?? 1,
      intervalMs: options.intervalMs ?? 500,
      concurrency: options.concurrency ?? 16,
      pullTimeoutMs: options.pullTimeoutMs ?? 10_000,
    };
  }

  get address(): Address {
    return this.#me;
  }

  /** The node's status per the last work list ("active", "exiting", …; undefined before the first). */
  get status(): string | undefined {
    return this.#work?.node?.status;
  }

  /** Whether `peerId` is a validator this node may talk to (active, or exiting and not revoked), per the last work list; undefined before the first. */
  isKnownPeer(peerId: string): boolean | undefined {
    return this.#work === undefined ? undefined : this.#peerIds.has(peerId);
  }

  /** Registers the protocol handlers and starts the loop. */
  async start(): Promise<void> {
    if (this.#controller !== undefined) return;
    this.#controller = new AbortController();
    await this.#c.p2p.handle(PROTOCOL_REPLICATE, (request, { peer, signal }) => this.#servePull(request, peer, signal), {
      maxRequestBytes: MAX_PULL_REQUEST_BYTES,
      maxResponseBytes: MAX_PULL_ANSWER_BYTES,
      maxInboundStreams: MAX_INBOUND_PULLS,
    });
    await this.#c.p2p.handle(PROTOCOL_HAS, (request) => {
      const contentId = decodeContentRequest(request);
      return encodeHasAnswer(contentId, this.#c.store.hasDek(contentId));
    }, { maxRequestBytes: MAX_HAS_REQUEST_BYTES, maxResponseBytes: MAX_HAS_ANSWER_BYTES });
    this.#loop = this.#run(this.#controller.signal);
  }

  async stop(): Promise<void> {
    const controller = this.#controller;
    if (controller === undefined) return;
    controller.abort();
    this.#wake?.();
    await this.#loop;
    await Promise.allSettled([...this.#inFlight.values(), ...this.#repairs]);
    await this.#c.p2p.unhandle(PROTOCOL_REPLICATE).catch(() => {});
    await this.#c.p2p.unhandle(PROTOCOL_HAS).catch(() => {});
    this.#controller = undefined;
    for (const resolve of this.#idleWaiters.splice(0)) resolve();
    for (const resolve of this.#refreshWaiters.splice(0)) resolve(false);
  }

  /** The rewrap service's onMissingDek hook: look at the work list now instead of at the next interval. */
  onMissingDek(_contentId: Hex): void {
    this.wake();
  }

  /** Runs a pass now (or right after the one under way). */
  wake(): void {
    this.#wakeRequested = true;
    this.#idle = false;
    this.#wake?.();
  }

  /**
   * Resolves after a full pass that found nothing left to do (no DEK missing that this node can
   * get, no pull under way, no repair to send) — the sync point of tests and benchmarks.
   */
  waitIdle(options: { timeoutMs?: number } = {}): Promise<void> {
    this.#idle = false;
    this.wake();
    return new Promise((resolve, reject) => {
      const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => reject(new ReplicationError("REPLICATION_UNAVAILABLE", "replication did not become idle in time", { details: { stats: this.stats() } })), options.timeoutMs);
      this.#idleWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /**
   * A DEK its publisher re-seeded (POST /v1/recover, ./recovery.ts), already checked against the
   * registered header: stored durably and confirmed exactly like a pulled one — on chain for
   * stake/explicit, a DHT provider record for xor/all — whether or not this node is in the
   * content's replica set (any holder may serve, and its confirmation tells pullers where to go).
   */
  async storeRecovered(content: StoredContent, dek: Uint8Array): Promise<void> {
    if (await this.#store(content, dek, "recovered")) this.#stats.recovered++;
  }

  /** Called with a content id each time a DEK was stored durably (derived, pulled or recovered). */
  onStored(listener: (contentId: Hex) => void): void {
    this.#onStored.push(listener);
  }

  stats(): ReplicationStats {
    return { ...this.#stats, refused: { ...this.#stats.refused } };
  }

  /** `has` over p2p: whether a peer holds a content's DEK. */
  async askHas(peer: PullSource, contentId: Hex, options: { signal?: AbortSignal } = {}): Promise<boolean> {
    const answer = await this.#c.p2p.request(validatorDialTarget(peer), PROTOCOL_HAS, encodeContentRequest(contentId), { signal: options.signal, maxResponseBytes: MAX_HAS_ANSWER_BYTES });
    return decodeHasAnswer(answer, contentId.toLowerCase() as Hex);
  }

  /**
   * Hand-off of an exiting validator (before `withdraw`): its stake slots are repaired away by
   * its own passes; this reports what is left — slots still naming it, and held contents that no
   * other active validator is known to hold (confirmed on chain, or answering `has`).
   */
  async handOffStatus(options: { signal?: AbortSignal } = {}): Promise<HandOffResult> {
    const work = await this.#loadWork(options.signal);
    const active = new Set(work.peers.filter((p) => p.status === "active").map((p) => p.node));
    const peers = new Map(work.peers.map((p) => [p.node, p]));
    let slots = 0;
    let unprotected = 0;
    for (const content of work.contents) {
      if (content.mode === "stake" && content.replicaSet.includes(this.#me)) slots++;
      if (!this.#c.store.hasDek(content.contentId)) continue;
      if (content.holders.some((h) => h !== this.#me && active.has(h))) continue;
      let held = false;
      for (const member of content.replicaSet) {
        const peer = member === null || member === this.#me ? undefined : peers.get(member);
        if (peer === undefined || !active.has(peer.node)) continue;
        held = await this.askHas(peer, content.contentId, options).catch(() => false);
        if (held) break;
      }
      if (!held) unprotected++;
    }
    return { slots, unprotected };
  }

  // ------------------------------------------------------------------ the loop

  async #run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      this.#wakeRequested = false;
      try {
        await this.#tick(signal);
      } catch (error) {
        if (signal.aborted) break;
        this.#stats.lastError = failureCode(error);
        this.#logger.warn("replication pass failed", { error: failureCode(error), message: error instanceof Error ? error.message : String(error) });
      }
      if (signal.aborted || this.#wakeRequested) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.options.intervalMs);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }

  /**
   * The whole work list. `reuse`: the last one, if it was a single page the indexer still
   * answers with (holder confirmations of other contents change the indexed data every block,
   * not this node's list) — a poll then costs a few bytes instead of the list.
   */
  async #loadWork(signal?: AbortSignal, reuse?: ReplicationWork): Promise<ReplicationWork> {
    if (reuse !== undefined && reuse.nextCursor === null) {
      const first = await this.#c.indexer.replication(this.#me, { signal, limit: WORK_PAGE_LIMIT, known: reuse.tag });
      if ("unchanged" in first) return { ...reuse, block: first.block };
      return this.#loadPages(first, signal);
    }
    return this.#loadPages(await this.#c.indexer.replication(this.#me, { signal, limit: WORK_PAGE_LIMIT }), signal);
  }

  async #loadPages(first: ReplicationWork, signal?: AbortSignal): Promise<ReplicationWork> {
    let page = first;
    const work: ReplicationWork = { ...page, contents: [...page.contents] };
    while (page.nextCursor !== null) {
      page = await this.#c.indexer.replication(this.#me, { signal, cursor: page.nextCursor, limit: WORK_PAGE_LIMIT });
      work.contents.push(...page.contents);
    }
    return work;
  }

  async #tick(signal: AbortSignal): Promise<void> {
    const started = performance.now();
    const refreshed = this.#refreshWaiters.splice(0);
    let work: ReplicationWork;
    const first = this.#work === undefined;
    try {
      work = await this.#loadWork(signal, this.#work);
    } catch (error) {
      for (const resolve of refreshed) resolve(false);
      throw error;
    }
    this.#work = work;
    this.#contents = new Map(work.contents.map((c) => [c.contentId, c]));
    for (const resolve of refreshed) resolve(true);
    this.#stats.lastWorkReadMs = Math.round(performance.now() - started);
    this.#stats.ticks++;
    this.#updatePeers(work, first);
    const head = await this.#c.indexer.chainHead({ signal });
    const active = new Set(work.peers.filter((p) => p.status === "active").map((p) => p.node));
    const myStatus = work.node?.revoked ? "revoked" : (work.node?.status ?? "none");
    const now = this.#clock();
    let pending = 0;
    let missing = 0;
    const derives: Promise<void>[] = [];
    const repairs: { content: ReplicationContent; key: string }[] = [];
    const activeKey = [...active].sort().join(",");
    for (const content of work.contents) {
      const id = content.contentId;
      const has = this.#c.store.hasDek(id);
      const plan = planContent({ content, me: this.#me, myStatus, active, has, provided: this.#provided.has(id), head, confirmations: this.options.confirmations });
      if (!has && (plan.derive || plan.pull || content.replicaSet.includes(this.#me))) missing++;
      const repairedFrom = this.#repairedFrom.get(id);
      if (repairedFrom !== undefined && repairedFrom !== content.replicaSet.join()) this.#repairedFrom.delete(id);
      if (plan.repair) {
        const key = `repair:${id}:${activeKey}`;
        pending++;
        const sent = this.#repairing.has(id) || this.#repairedFrom.has(id);
        if (!sent && (this.#failedUntil.get(key) ?? 0) <= now) repairs.push({ content, key });
      }
      if (this.#inFlight.has(id)) {
        pending++;
        continue;
      }
      const failedUntil = this.#failedUntil.get(id) ?? 0;
      if (failedUntil > now) {
        if (plan.derive || plan.pull) pending++;
        continue;
      }
      if (plan.derive) {
        pending++;
        // Not awaited one by one: the derives of a pass land in one group commit (one fsync),
        // and the pulls behind them in the list start in this pass, not after every fsync.
        derives.push(this.#deriveOnce(content));
      } else if (plan.pull) {
        pending++;
        if (this.#inFlight.size >= this.options.concurrency) continue;
        this.#startPull(content, work.peers, signal);
      }
      if (plan.provide) this.#provide(id);
    }
    // A departure leaves a slot to repair in every set that named the leaver: one repairMany per
    // MAX_REPAIR_BATCH sets instead of one transaction per set.
    for (let i = 0; i < repairs.length && this.#repairs.size < MAX_REPAIR_BATCHES_IN_FLIGHT; i += MAX_REPAIR_BATCH) {
      const batch = repairs.slice(i, i + MAX_REPAIR_BATCH);
      for (const { content } of batch) this.#repairing.add(content.contentId);
      const sent: Promise<void> = this.#repair(batch).finally(() => {
        for (const { content } of batch) this.#repairing.delete(content.contentId);
        this.#repairs.delete(sent);
        this.wake();
      });
      this.#repairs.add(sent);
    }
    await Promise.all(derives);
    this.#stats.lastPassMs = Math.round(performance.now() - started);
    this.#stats.contents = work.contents.length;
    this.#stats.missing = missing;
    if (pending === 0 && this.#inFlight.size === 0 && this.#repairing.size === 0) {
      this.#idle = true;
      for (const resolve of this.#idleWaiters.splice(0)) resolve();
    }
  }

  /** Resolves after a work list read that started after this call (true), or when it failed or the engine stops (false). */
  #refresh(signal: AbortSignal): Promise<boolean> {
    if (this.#controller === undefined || signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (loaded: boolean) => {
        signal.removeEventListener("abort", aborted);
        resolve(loaded);
      };
      const aborted = () => {
        this.#refreshWaiters = this.#refreshWaiters.filter((w) => w !== done);
        resolve(false);
      };
      signal.addEventListener("abort", aborted, { once: true });
      this.#refreshWaiters.push(done);
      this.wake();
    });
  }

  #known(contentId: Hex): { replicaSet: readonly (string | null)[]; peers: readonly ReplicationPeer[] } | undefined {
    const content = this.#contents.get(contentId);
    return content === undefined || this.#work === undefined ? undefined : { replicaSet: content.replicaSet, peers: this.#work.peers };
  }

  #updatePeers(work: ReplicationWork, first: boolean): void {
    const next = new Set(work.peers.map((p) => p.peerId));
    const changed = next.size !== this.#peerIds.size || [...next].some((p) => !this.#peerIds.has(p));
    this.#peerIds = next;
    // A validator that joined may have been refused (and the refusal cached) a moment ago; one
    // that left must lose its connections now, not at the next periodic check.
    if (changed && !first) void this.#c.p2p.revalidate().catch(() => {});
  }

  // ------------------------------------------------------------------ actions

  #deriveOnce(content: ReplicationContent): Promise<void> {
    const id = content.contentId;
    let deriving = this.#deriving.get(id);
    if (deriving === undefined) {
      deriving = this.#derive(content).finally(() => this.#deriving.delete(id));
      this.#deriving.set(id, deriving);
    }
    return deriving;
  }

  /**
   * An admitted pull reached this node before its own pass derived the DEK — both learn of a
   * registration from the same indexer, so a member's first pull often races the initial
   * validator's pass. Derive it now, under exactly the plan's conditions, rather than refuse:
   * a refused puller tries again only a pass or two later (in bench:replication that cost a
   * stake content the block its confirmation could have made).
   */
  async #deriveForPull(contentId: Hex): Promise<void> {
    const content = this.#contents.get(contentId);
    const work = this.#work;
    if (content === undefined || work === undefined || (this.#failedUntil.get(contentId) ?? 0) > this.#clock()) return;
    const plan = planContent({
      content,
      me: this.#me,
      myStatus: work.node?.revoked ? "revoked" : (work.node?.status ?? "none"),
      active: new Set(work.peers.filter((p) => p.status === "active").map((p) => p.node)),
      has: this.#c.store.hasDek(contentId),
      provided: true, // announcing is the pass's business; only `derive` is asked here
      // The list's own block: it holds the registration, and the chain head is at least there.
      head: BigInt(work.block.number),
      confirmations: this.options.confirmations,
    });
    if (plan.derive) await this.#deriveOnce(content);
  }

  async #derive(content: ReplicationContent): Promise<void> {
    const id = content.contentId;
    try {
      const { dek } = verifyRegisteredHeader({ headerBytes: hexToBytes(content.header), kasPrivateKey: this.#c.store.kasKeyRing(), policyId: content.policyId });
      await this.#store(content, dek, "initial");
      this.#stats.derived++;
    } catch (error) {
      // A header this node cannot open (wrong KID, swapped policy) will not open later either;
      // look again only now and then (a KAS key restored from backup would make it work).
      this.#failedUntil.set(id, this.#clock() + RETRY_AFTER_FAILURE_MS * 12);
      this.#logger.warn("cannot derive the DEK from the registered header", { contentId: id, error: failureCode(error) });
    }
  }

  #startPull(content: ReplicationContent, peers: ReplicationPeer[], signal: AbortSignal): void {
    const id = content.contentId;
    const pull = this.#pull(content, peers, signal)
      .catch((error) => {
        this.#stats.pullFailures++;
        this.#failedUntil.set(id, this.#clock() + Math.min(RETRY_AFTER_FAILURE_MS, this.options.intervalMs * 2));
        this.#logger.debug("pull failed", { contentId: id, error: failureCode(error) });
      })
      .finally(() => {
        this.#inFlight.delete(id);
        this.wake();
      });
    this.#inFlight.set(id, pull);
  }

  /**
   * Tries the sources (confirmed holders first, then the initial validator, then other members)
   * and stores the first good DEK. For xor/all, whose holdings leave no record on chain, the
   * DHT's provider records come last: they name holders outside the set (a recovered DEK, a
   * former member) that no list above does.
   */
  async #pull(content: ReplicationContent, peers: ReplicationPeer[], signal: AbortSignal): Promise<void> {
    const byNode = new Map(peers.map((p) => [p.node, p]));
    const ranked: Address[] = [];
    const add = (list: readonly (Address | null)[]) => {
      for (const node of shuffle([...list])) if (node !== null && node !== this.#me && !ranked.includes(node) && byNode.has(node)) ranked.push(node);
    };
    add(content.holders);
    add([content.initialValidator]);
    add(content.replicaSet);
    let lastError: unknown = new ReplicationError("REPLICATION_NOT_HOLDER", "no source holds the DEK yet");
    const tried = new Set<Address>();
    const pullFrom = async (source: ReplicationPeer): Promise<boolean> => {
      tried.add(source.node);
      try {
        const envelope = await requestEnvelope(this.#c.p2p, source, content.contentId, { signal, timeoutMs: this.options.pullTimeoutMs });
        const dek = acceptEnvelope({
          envelope,
          contentId: content.contentId,
          source: source.node,
          recipient: this.#me,
          keyring: this.#c.store.kasKeyRing(),
          header: content.header,
          policyId: content.policyId,
          replayGuard: this.#replayGuard,
          now: BigInt(Math.floor(this.#clock() / 1000)),
        });
        await this.#store(content, dek, "replicated");
        this.#stats.pulled++;
        return true;
      } catch (error) {
        lastError = error;
        const code = failureCode(error);
        if (error instanceof P2pRemoteError || error instanceof ReplicationError) this.#stats.refused[code] = (this.#stats.refused[code] ?? 0) + 1;
        this.#logger.debug("source did not deliver", { contentId: content.contentId, source: source.node, error: code });
        return false;
      }
    };
    for (const node of ranked.slice(0, MAX_PULL_ATTEMPTS + 2)) {
      if (signal.aborted) return;
      if (await pullFrom(byNode.get(node)!)) return;
    }
    if (content.mode === "xor" || content.mode === "all") {
      for (const source of await this.#providers(content.contentId, peers, tried, signal)) {
        if (signal.aborted) return;
        if (await pullFrom(source)) {
          this.#stats.pulledFromProviders++;
          return;
        }
      }
    }
    throw lastError;
  }

  /** Active validators other than this node and `tried` that announced `contentId` in the DHT; none if the lookup fails. */
  async #providers(contentId: Hex, peers: readonly ReplicationPeer[], tried: ReadonlySet<Address>, signal: AbortSignal): Promise<ReplicationPeer[]> {
    const byPeerId = new Map(peers.filter((p) => p.status === "active").map((p) => [p.peerId, p]));
    try {
      const providers = await this.#c.p2p.findProviders(contentId, {
        signal: AbortSignal.any([signal, AbortSignal.timeout(this.options.pullTimeoutMs)]),
        limit: MAX_PULL_ATTEMPTS,
      });
      return providers.flatMap((provider) => {
        const peer = byPeerId.get(provider.peerId);
        return peer !== undefined && peer.node !== this.#me && !tried.has(peer.node) ? [peer] : [];
      });
    } catch (error) {
      this.#logger.debug("provider lookup failed", { contentId, error: failureCode(error) });
      return [];
    }
  }

  /**
   * Durable first, then confirmed: the store's promise resolves once the DEK is on disk. False if
   * that DEK was already stored (its confirmation is then re-announced, which costs nothing).
   */
  async #store(content: StoredContent, dek: Uint8Array, source: DekSource): Promise<boolean> {
    const { mode } = content;
    const added = await this.#c.store.putDek(content.contentId, dek, { policyId: content.policyId, mode, source });
    if (mode === "stake" || mode === "explicit") this.#c.notifyHoldings();
    else this.#provide(content.contentId);
    for (const listener of this.#onStored) listener(content.contentId);
    return added;
  }

  #provide(contentId: Hex): void {
    if (this.#provided.has(contentId)) return;
    this.#provided.add(contentId);
    this.#c.p2p
      .provide(contentId)
      .then(() => this.#stats.provided++)
      .catch((error) => {
        // The local record stays and kad-dht republishes it; a lone node simply has no peers yet.
        this.#logger.debug("provide did not reach DHT peers", { contentId, error: failureCode(error) });
      });
  }

  async #repair(batch: readonly { content: ReplicationContent; key: string }[]): Promise<void> {
    const zero = "0x0000000000000000000000000000000000000000" as Address;
    const repairs = batch.map(({ content }) => ({ contentId: content.contentId, members: content.replicaSet.map((m) => m ?? zero) }));
    try {
      await this.#c.repair(repairs);
      this.#stats.repairsSent++;
      for (const { content } of batch) this.#repairedFrom.set(content.contentId, content.replicaSet.join());
      this.#logger.info("repaired replica sets", { count: repairs.length });
    } catch (error) {
      // Other nodes repaired all of them first, or nobody can be drawn (nothing to repair): both
      // change only when the indexed state does, so wait for that.
      this.#stats.repairFailures++;
      const until = this.#clock() + RETRY_AFTER_FAILURE_MS;
      for (const { key } of batch) this.#failedUntil.set(key, until);
      this.#logger.debug("repair not sent", { count: repairs.length, error: failureCode(error) });
    }
  }

  async #servePull(request: Uint8Array, peer: string, signal: AbortSignal): Promise<Uint8Array> {
    try {
      const served = await servePull(
        {
          store: this.#c.store,
          indexer: this.#c.indexer,
          account: this.#c.account,
          clock: this.#clock,
          known: (id) => this.#known(id),
          refresh: (s) => this.#refresh(s),
          derive: (id) => this.#deriveForPull(id),
        },
        request,
        peer,
        signal,
      );
      this.#stats.served++;
      this.#logger.debug("served a DEK pull", { contentId: served.contentId, puller: served.puller });
      return served.envelope;
    } catch (error) {
      const code = failureCode(error);
      this.#stats.refused[code] = (this.#stats.refused[code] ?? 0) + 1;
      this.#logger.info("refused a DEK pull", { peer, error: code });
      throw error;
    }
  }
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

export function createReplicationEngine(components: ReplicationComponents, options?: ReplicationOptions): ReplicationEngine {
  return new ReplicationEngine(components, options);
}
