/**
 * The planner: every `intervalMs` — and at once when woken — it reads the work list, plans each
 * content (./plan.ts) against the store, and hands the work out: derives to the Deriver, pulls to
 * Pulls, repairs to Repairs, announcements to the DekKeeper, and after the derives the verdicts
 * they reached to UnusableReports. Work that failed waits out its back-off (./backoff.ts). A pass
 * that found nothing left to do releases waitIdle callers.
 */
import type { Hex } from "viem";
import type { ReplicationContent, ReplicationWork } from "../../indexer-client/index.js";
import type { Deriver } from "./derive.js";
import type { DekKeeper } from "./keeper.js";
import { planContent } from "./plan.js";
import { failureCode } from "./puller.js";
import { pullSituation, type Pulls } from "./pulls.js";
import { repairSituation, type RepairCandidate, type Repairs } from "./repairs.js";
import type { ReplicationContext } from "./types.js";
import type { UnusableReports } from "./unusable.js";
import type { WorkList } from "./worklist.js";

export interface PlannerParts {
  workList: WorkList;
  keeper: DekKeeper;
  deriver: Deriver;
  pulls: Pulls;
  repairs: Repairs;
  verdicts: UnusableReports;
}

/** One pass's view of the list, and what it found. */
interface Pass {
  work: ReplicationWork;
  active: Set<string>;
  myStatus: string;
  head: bigint;
  now: number;
  activeKey: string;
  signal: AbortSignal;
  pending: number;
  missing: number;
  derives: Promise<void>[];
  repairs: RepairCandidate[];
}

export class Planner {
  readonly #ctx: ReplicationContext;
  readonly #parts: PlannerParts;
  #loop: Promise<void> | undefined;
  /** Ends the sleep between passes, while one is under way. */
  #wake: (() => void) | undefined;
  #wakeRequested = false;
  #idleWaiters: (() => void)[] = [];

  constructor(ctx: ReplicationContext, parts: PlannerParts) {
    this.#ctx = ctx;
    this.#parts = parts;
  }

  /** Starts the passes; they end when `signal` aborts. */
  start(signal: AbortSignal): void {
    this.#loop = this.#run(signal);
  }

  /** After the signal aborted: ends the sleep and waits for the pass under way. */
  async stop(): Promise<void> {
    this.#wake?.();
    await this.#loop;
  }

  /** Runs a pass now (or right after the one under way). */
  wake(): void {
    this.#wakeRequested = true;
    this.#wake?.();
  }

  /** Resolves after a pass that found nothing left to do, or at `releaseIdleWaiters`. */
  untilIdle(timeoutMs: number | undefined, timedOut: () => Error): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = timeoutMs === undefined ? undefined : setTimeout(() => reject(timedOut()), timeoutMs);
      this.#idleWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  releaseIdleWaiters(): void {
    for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }

  async #run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      this.#wakeRequested = false;
      try {
        await this.#pass(signal);
      } catch (error) {
        if (signal.aborted) break;
        this.#ctx.stats.lastError = failureCode(error);
        this.#ctx.logger.warn("replication pass failed", { error: failureCode(error), message: error instanceof Error ? error.message : String(error) });
      }
      if (signal.aborted || this.#wakeRequested) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.#ctx.options.intervalMs);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }

  async #pass(signal: AbortSignal): Promise<void> {
    const { stats, components } = this.#ctx;
    const { pulls, repairs } = this.#parts;
    const started = performance.now();
    const work = await this.#parts.workList.read(signal);
    stats.lastWorkReadMs = Math.round(performance.now() - started);
    stats.ticks++;
    const head = await components.indexer.chainHead({ signal });
    const active = new Set(work.peers.filter((p) => p.status === "active").map((p) => p.node));
    const pass: Pass = {
      work,
      active,
      myStatus: work.node?.revoked ? "revoked" : (work.node?.status ?? "none"),
      head,
      now: this.#ctx.clock(),
      activeKey: [...active].sort().join(","),
      signal,
      pending: 0,
      missing: 0,
      derives: [],
      repairs: [],
    };
    for (const content of work.contents) this.#plan(content, pass);
    repairs.send(pass.repairs);
    await Promise.all(pass.derives);
    this.#parts.verdicts.send(work, this.#ctx.clock());
    // Contents that left the list (the DEK arrived elsewhere, a verdict was indexed) keep no retry state.
    const listed = new Set<string>(work.contents.map((c) => c.contentId));
    this.#ctx.retries.retain((id) => listed.has(id));
    this.#ctx.repairRetries.retain((id) => listed.has(id));
    stats.lastPassMs = Math.round(performance.now() - started);
    stats.contents = work.contents.length;
    stats.missing = pass.missing;
    if (pass.pending === 0 && pulls.size === 0 && !repairs.busy) this.releaseIdleWaiters();
  }

  /** Plans one content and starts what it needs; counts what is still pending or missing. */
  #plan(content: ReplicationContent, pass: Pass): void {
    const { me, options, retries, repairRetries } = this.#ctx;
    const { keeper, deriver, pulls, repairs, verdicts } = this.#parts;
    const id: Hex = content.contentId;
    const has = this.#ctx.components.store.hasDek(id);
    const plan = planContent({ content, me, myStatus: pass.myStatus, active: pass.active, has, provided: keeper.isProvided(id), head: pass.head, confirmations: options.confirmations });
    if (!has && (plan.derive || plan.pull || content.replicaSet.includes(me))) pass.missing++;
    repairs.observe(content);
    if (plan.repair) {
      const situation = repairSituation(content, pass.activeKey);
      pass.pending++;
      if (!repairs.isSent(id) && !repairRetries.waiting(id, pass.now, situation)) pass.repairs.push({ content, situation });
    }
    if (pulls.has(id)) {
      pass.pending++;
      return;
    }
    if (plan.derive && verdicts.has(id)) {
      // Nobody can derive it: reported (or being reported, by an active node) until the indexer drops it.
      if (verdicts.pending(id) && pass.myStatus === "active") pass.pending++;
      return;
    }
    if ((plan.derive || plan.pull) && retries.waiting(id, pass.now, plan.pull ? pullSituation(content) : "")) {
      pass.pending++;
      return;
    }
    if (plan.derive) {
      pass.pending++;
      // Not awaited one by one: the derives of a pass land in one group commit (one fsync),
      // and the pulls behind them in the list start in this pass, not after every fsync.
      pass.derives.push(deriver.once(content));
    } else if (plan.pull) {
      pass.pending++;
      if (pulls.size >= options.concurrency) return;
      pulls.start(content, pass.work.peers, pass.signal);
    }
    if (plan.provide) keeper.provide(id);
  }
}
