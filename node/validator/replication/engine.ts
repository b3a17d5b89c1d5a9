/**
 * The lazy replication engine (docs/architecture.md#replication, docs/replication.md). Every `intervalMs` — and at once
 * when the rewrap path meets a content this node lacks — it reads its work list from the
 * indexer (GET /replication/:node), compares it with its store and acts:
 *
 *   initial validator → derive the DEK from the registered header (policy binding checked), or
 *     — when nobody can — report the content unusable on chain once, which takes it out of every
 *     work list
 *   replica set member without the DEK → pull it from a holder, check it, store it durably, then
 *     confirm (holder confirmation on chain for stake/explicit via the TxSubmitter; DHT provider
 *     record for xor/all)
 *   stake slot held by a validator that left → `repair` on chain (one designated sender)
 *
 * and serves /dekmesh/replicate/1.0.0 (holder side) and /dekmesh/has/1.0.0. Everything it
 * decides on is re-read from the indexer, so a restart simply resumes: DEKs already stored are
 * skipped, unconfirmed ones are still pending in the store for the submitter, and provider
 * records are announced again.
 *
 * This file composes the parts: ./worklist.ts (the last list read), ./planner.ts (the loop that
 * decides), ./derive.ts and ./pulls.ts (how a DEK is obtained), ./unusable.ts (the verdict when
 * it cannot be), ./keeper.ts (stored and confirmed), ./repairs.ts, ./backoff.ts (when failed work
 * is tried again), and ./protocols.ts (the p2p services).
 */
import type { Address, Hex } from "viem";
import { Deriver } from "./derive.js";
import { ReplicationError } from "./errors.js";
import { handOffStatus, thresholdHandOff } from "./handoff.js";
import { DekKeeper } from "./keeper.js";
import { Planner } from "./planner.js";
import { HasProtocol, ReplicateProtocol } from "./protocols.js";
import type { PullSource } from "./puller.js";
import { Pulls } from "./pulls.js";
import { Repairs } from "./repairs.js";
import { UnusableReports } from "./unusable.js";
import {
  replicationContext,
  type HandOffResult,
  type ReplicationComponents,
  type ReplicationContext,
  type ReplicationOptions,
  type ReplicationStats,
  type StoredContent,
} from "./types.js";
import { WorkList } from "./worklist.js";

export class ReplicationEngine {
  readonly options: Required<ReplicationOptions>;
  readonly #ctx: ReplicationContext;
  readonly #workList: WorkList;
  readonly #keeper: DekKeeper;
  readonly #deriver: Deriver;
  readonly #pulls: Pulls;
  readonly #repairs: Repairs;
  readonly #verdicts: UnusableReports;
  readonly #planner: Planner;
  readonly #replicate: ReplicateProtocol;
  readonly #has: HasProtocol;
  /** Set from `start` until `stop` has finished; aborting it ends the passes and the pulls. */
  #controller: AbortController | undefined;

  constructor(components: ReplicationComponents, options: ReplicationOptions = {}) {
    const ctx = replicationContext(components, options, () => this.wake());
    this.#ctx = ctx;
    this.options = ctx.options;
    this.#workList = new WorkList(ctx, () => this.#controller !== undefined);
    this.#keeper = new DekKeeper(ctx);
    this.#verdicts = new UnusableReports(ctx);
    this.#deriver = new Deriver(ctx, this.#keeper, this.#workList, this.#verdicts);
    this.#pulls = new Pulls(ctx, this.#keeper);
    this.#repairs = new Repairs(ctx);
    this.#planner = new Planner(ctx, {
      workList: this.#workList,
      keeper: this.#keeper,
      deriver: this.#deriver,
      pulls: this.#pulls,
      repairs: this.#repairs,
      verdicts: this.#verdicts,
    });
    this.#replicate = new ReplicateProtocol(ctx, {
      store: components.store,
      indexer: components.indexer,
      account: components.account,
      clock: ctx.clock,
      known: (id) => this.#workList.known(id),
      refresh: (signal) => this.#workList.refresh(signal),
      derive: (id) => this.#deriver.forPull(id),
    });
    this.#has = new HasProtocol(components.p2p, components.store);
  }

  get address(): Address {
    return this.#ctx.me;
  }

  /** The node's status per the last work list ("active", "exiting", …; undefined before the first). */
  get status(): string | undefined {
    return this.#workList.status;
  }

  /** Registers the protocol handlers and starts the loop. */
  async start(): Promise<void> {
    if (this.#controller !== undefined) return;
    this.#controller = new AbortController();
    await this.#replicate.start();
    await this.#has.start();
    this.#planner.start(this.#controller.signal);
  }

  /** Stops in reverse: the passes, then the pulls, repairs and reports under way, then the protocol handlers. */
  async stop(): Promise<void> {
    const controller = this.#controller;
    if (controller === undefined) return;
    controller.abort();
    await this.#planner.stop();
    await Promise.all([this.#pulls.settled(), this.#repairs.settled(), this.#verdicts.settled()]);
    await this.#replicate.stop();
    await this.#has.stop();
    this.#controller = undefined;
    this.#planner.releaseIdleWaiters();
    this.#workList.abandonRefreshes();
  }

  /** The rewrap service's onMissingDek hook: look at the work list now instead of at the next interval. */
  onMissingDek(_contentId: Hex): void {
    this.wake();
  }

  /** Runs a pass now (or right after the one under way). */
  wake(): void {
    this.#planner.wake();
  }

  /**
   * Resolves after a full pass that found nothing left to do (no DEK missing that this node can
   * get, no pull under way, no repair to send) — the sync point of tests and benchmarks.
   */
  waitIdle(options: { timeoutMs?: number } = {}): Promise<void> {
    this.wake();
    return this.#planner.untilIdle(
      options.timeoutMs,
      () => new ReplicationError("REPLICATION_UNAVAILABLE", "replication did not become idle in time", { details: { stats: this.stats() } }),
    );
  }

  /**
   * A DEK its publisher re-seeded (POST /v1/recover, ./recovery.ts), already checked against the
   * registered header: stored durably and confirmed exactly like a pulled one — on chain for
   * stake/explicit, a DHT provider record for xor/all — whether or not this node is in the
   * content's replica set (any holder may serve, and its confirmation tells pullers where to go).
   */
  async storeRecovered(content: StoredContent, dek: Uint8Array): Promise<void> {
    if (await this.#keeper.store(content, dek, "recovered")) this.#ctx.stats.recovered++;
  }

  /** Called with a content id each time a DEK was stored durably (derived, pulled or recovered). */
  onStored(listener: (contentId: Hex) => void): void {
    this.#keeper.onStored(listener);
  }

  stats(): ReplicationStats {
    const stats = this.#ctx.stats;
    return { ...stats, refused: { ...stats.refused } };
  }

  /** `has` over p2p: whether a peer holds a content's DEK. */
  askHas(peer: PullSource, contentId: Hex, options: { signal?: AbortSignal } = {}): Promise<boolean> {
    return this.#has.ask(peer, contentId, options);
  }

  /** What an exiting validator still has to hand off (./handoff.ts), from a work list read now. */
  async handOffStatus(options: { signal?: AbortSignal } = {}): Promise<HandOffResult> {
    const { store, indexer } = this.#ctx.components;
    const deks = await handOffStatus({
      me: this.#ctx.me,
      work: await this.#workList.load(options.signal),
      hasDek: (contentId) => store.hasDek(contentId),
      askHas: (peer, contentId) => this.askHas(peer, contentId, options),
    });
    const thresholdSlots = await thresholdHandOff(this.#ctx.me, store.shareContentIds(), (contentId) => indexer.holders(contentId, options));
    return { ...deks, thresholdSlots };
  }
}

export function createReplicationEngine(components: ReplicationComponents, options?: ReplicationOptions): ReplicationEngine {
  return new ReplicationEngine(components, options);
}
