/**
 * Stake slots held by validators that left, repaired on chain by their designated sender
 * (./plan.ts): one repairMany per MAX_REPAIR_BATCH sets, a few transactions at once, and a set
 * this node's mined repair changed is not sent again while the indexer still shows it. A batch
 * that failed is retried with back-off (./backoff.ts) until the set or the active set changes.
 */
import type { Address, Hex } from "viem";
import type { ReplicationContent } from "../../indexer-client/index.js";
import { MAX_REPAIR_BATCHES_IN_FLIGHT } from "./constants.js";
import { MAX_REPAIR_BATCH } from "../../protocol/limits.js";
import { failureCode } from "./puller.js";
import type { ReplicationContext } from "./types.js";

/** A content to repair, and the situation its failure is remembered in (./backoff.ts). */
export interface RepairCandidate {
  content: ReplicationContent;
  situation: string;
}

/** What a repair works with: a changed set or active set makes a failed one worth sending again. */
export function repairSituation(content: ReplicationContent, activeKey: string): string {
  return `${activeKey}|${content.replicaSet.join()}`;
}

export class Repairs {
  readonly #ctx: ReplicationContext;
  /** Contents in a repairMany under way. */
  readonly #repairing = new Set<Hex>();
  readonly #batches = new Set<Promise<void>>();
  /** Sets this node's mined repairMany changed, as sent: not sent again while the indexer still shows them. */
  readonly #repairedFrom = new Map<Hex, string>();

  constructor(ctx: ReplicationContext) {
    this.#ctx = ctx;
  }

  /** Whether a repairMany is under way. */
  get busy(): boolean {
    return this.#repairing.size > 0;
  }

  /** Takes the content's set as the indexer shows it now: a set that changed since this node repaired it may be repaired again. */
  observe(content: ReplicationContent): void {
    const repairedFrom = this.#repairedFrom.get(content.contentId);
    if (repairedFrom !== undefined && repairedFrom !== content.replicaSet.join()) this.#repairedFrom.delete(content.contentId);
  }

  /** Whether this node's repair of the content is under way, or mined and not yet indexed. */
  isSent(contentId: Hex): boolean {
    return this.#repairing.has(contentId) || this.#repairedFrom.has(contentId);
  }

  /**
   * A departure leaves a slot to repair in every set that named the leaver: one repairMany per
   * MAX_REPAIR_BATCH sets instead of one transaction per set. Batches beyond the in-flight limit
   * wait for a later pass.
   */
  send(candidates: readonly RepairCandidate[]): void {
    for (let i = 0; i < candidates.length && this.#batches.size < MAX_REPAIR_BATCHES_IN_FLIGHT; i += MAX_REPAIR_BATCH) {
      const batch = candidates.slice(i, i + MAX_REPAIR_BATCH);
      for (const { content } of batch) this.#repairing.add(content.contentId);
      const sent: Promise<void> = this.#send(batch).finally(() => {
        for (const { content } of batch) this.#repairing.delete(content.contentId);
        this.#batches.delete(sent);
        this.#ctx.wake();
      });
      this.#batches.add(sent);
    }
  }

  /** Resolves when the repairs under way have ended. */
  async settled(): Promise<void> {
    await Promise.allSettled(this.#batches);
  }

  async #send(batch: readonly RepairCandidate[]): Promise<void> {
    const zero = "0x0000000000000000000000000000000000000000" as Address;
    const repairs = batch.map(({ content }) => ({ contentId: content.contentId, members: content.replicaSet.map((m) => m ?? zero) }));
    try {
      await this.#ctx.components.repair(repairs);
      this.#ctx.stats.repairsSent++;
      for (const { content } of batch) this.#repairedFrom.set(content.contentId, content.replicaSet.join());
      this.#ctx.logger.info("repaired replica sets", { count: repairs.length });
    } catch (error) {
      // Other nodes repaired all of them first, or nobody can be drawn (nothing to repair): both
      // change only when the indexed state does, so wait for that.
      this.#ctx.stats.repairFailures++;
      const now = this.#ctx.clock();
      for (const { content, situation } of batch) this.#ctx.repairRetries.failed(content.contentId, now, failureCode(error), situation);
      this.#ctx.logger.debug("repair not sent", { count: repairs.length, error: failureCode(error) });
    }
  }
}
