/**
 * This node's replication work list (GET /replication/:node): the contents that concern it and
 * the validators it may talk to, as of the last read. The planner reads it once per pass; the
 * holder side asks it whether a puller is admitted, and may wait for a fresher read.
 */
import type { Hex } from "viem";
import type { ReplicationContent, ReplicationPeer, ReplicationWork } from "../../indexer-client/index.js";
import { WORK_PAGE_LIMIT } from "./constants.js";
import type { ReplicationContext } from "./types.js";

export class WorkList {
  readonly #ctx: ReplicationContext;
  /** Whether the engine runs (a pass will come to answer a refresh). */
  readonly #running: () => boolean;
  #work: ReplicationWork | undefined;
  #contents = new Map<Hex, ReplicationContent>();
  #peerIds = new Set<string>();
  /** Pull requests waiting for a work list read after they arrived (true: read, false: failed). */
  #refreshWaiters: ((loaded: boolean) => void)[] = [];

  constructor(ctx: ReplicationContext, running: () => boolean) {
    this.#ctx = ctx;
    this.#running = running;
  }

  /** The last list read, undefined before the first. */
  get current(): ReplicationWork | undefined {
    return this.#work;
  }

  /** The node's status per the last list ("active", "exiting", …; undefined before the first). */
  get status(): string | undefined {
    return this.#work?.node?.status;
  }

  content(contentId: Hex): ReplicationContent | undefined {
    return this.#contents.get(contentId);
  }

  /** The content's replica set and the reachable validators, if the last list has the content (./holder.ts `known`). */
  known(contentId: Hex): { replicaSet: readonly (string | null)[]; peers: readonly ReplicationPeer[] } | undefined {
    const content = this.#contents.get(contentId);
    return content === undefined || this.#work === undefined ? undefined : { replicaSet: content.replicaSet, peers: this.#work.peers };
  }

  /**
   * The whole work list. `reuse`: the last one, if it was a single page the indexer still
   * answers with (holder confirmations of other contents change the indexed data every block,
   * not this node's list) — a poll then costs a few bytes instead of the list.
   */
  async load(signal?: AbortSignal, reuse?: ReplicationWork): Promise<ReplicationWork> {
    const { indexer } = this.#ctx.components;
    if (reuse !== undefined && reuse.nextCursor === null) {
      const first = await indexer.replication(this.#ctx.me, { signal, limit: WORK_PAGE_LIMIT, known: reuse.tag });
      if ("unchanged" in first) return { ...reuse, block: first.block };
      return this.#loadPages(first, signal);
    }
    return this.#loadPages(await indexer.replication(this.#ctx.me, { signal, limit: WORK_PAGE_LIMIT }), signal);
  }

  /** A pass's read: loads the list, makes it the current one, and answers the refreshes asked before it started. */
  async read(signal: AbortSignal): Promise<ReplicationWork> {
    const refreshed = this.#refreshWaiters.splice(0);
    const first = this.#work === undefined;
    let work: ReplicationWork;
    try {
      work = await this.load(signal, this.#work);
    } catch (error) {
      for (const resolve of refreshed) resolve(false);
      throw error;
    }
    const before = this.#work?.node?.status;
    this.#work = work;
    this.#contents = new Map(work.contents.map((c) => [c.contentId, c]));
    this.#logStatus(before, work.node?.status);
    for (const resolve of refreshed) resolve(true);
    this.#updatePeers(work, first);
    return work;
  }

  /** Resolves after a work list read that started after this call (true), or when it failed or the engine stops (false). */
  refresh(signal: AbortSignal): Promise<boolean> {
    if (!this.#running() || signal.aborted) return Promise.resolve(false);
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
      this.#ctx.wake();
    });
  }

  /** The engine stopped: no read will come. */
  abandonRefreshes(): void {
    for (const resolve of this.#refreshWaiters.splice(0)) resolve(false);
  }

  async #loadPages(first: ReplicationWork, signal?: AbortSignal): Promise<ReplicationWork> {
    let page = first;
    const work: ReplicationWork = { ...page, contents: [...page.contents] };
    while (page.nextCursor !== null) {
      page = await this.#ctx.components.indexer.replication(this.#ctx.me, { signal, cursor: page.nextCursor, limit: WORK_PAGE_LIMIT });
      work.contents.push(...page.contents);
    }
    return work;
  }

  /**
   * One line when the node's own status on chain changes (and at the first list): an operator
   * sees when it became active, started exiting, was jailed or exited — and that an inactive
   * node serves nothing from its own DEKs (rewrap forwards them).
   */
  #logStatus(before: string | undefined, now: string | undefined): void {
    if (now === undefined || now === before) return;
    const fields = { status: now, ...(before === undefined ? {} : { previous: before }) };
    if (now === "active") this.#ctx.logger.info("this validator is active: it serves rewraps and replicates", fields);
    else if (now === "exiting") this.#ctx.logger.warn("this validator is exiting: it no longer serves rewraps from its own DEKs, and hands its replica slots off", fields);
    else this.#ctx.logger.warn(`this validator is ${now}: it serves nothing from its own DEKs`, fields);
  }

  #updatePeers(work: ReplicationWork, first: boolean): void {
    const next = new Set(work.peers.map((p) => p.peerId));
    const changed = next.size !== this.#peerIds.size || [...next].some((p) => !this.#peerIds.has(p));
    this.#peerIds = next;
    this.#ctx.components.onPeers?.(next);
    // A validator that joined may have been refused (and the refusal cached) a moment ago; one
    // that left must lose its connections now, not at the next periodic check.
    if (changed && !first) void this.#ctx.components.p2p.revalidate().catch(() => {});
  }
}
