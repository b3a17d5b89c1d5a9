/**
 * Audit batches: outbox → RewrapAuditLog, exactly once per batch.
 *
 * The store fixes a batch's id and records before anything is sent (takeBatch), and the hash
 * of every signed transaction before it is broadcast (markBatchSubmitted). The chain accepts
 * batch ids 1, 2, 3, … once each. So after any failure the lane can resend the lowest pending
 * batch as it is: if an earlier transaction for it was mined, the chain answers
 * RewrapAuditLogBatchOutOfOrder(expected > given) and the lane reconciles instead.
 */
import type { Address, Hash } from "viem";
import type { AuditBatch } from "../../store/index.js";
import { getNextBatchId } from "../actions/getNextBatchId.js";
import { getTransactionStatus } from "../actions/getTransactionStatus.js";
import { recordRewrapsGasLimit, recordRewrapsRequest } from "../actions/recordRewraps.js";
import { ChainError } from "../errors.js";
import { Lane } from "./lane.js";

export class AuditLane extends Lane {
  readonly name = "audit";
  #reconciled = false;
  /** The lowest batch id not yet known to be recorded; undefined = ask the store. */
  #cursor: bigint | undefined;
  /** When the lane first saw unbatched records that are still waiting (ms). */
  #waitingSince: number | undefined;

  protected override idleDelay(): number {
    const { idlePollMs, auditIntervalMs } = this.ctx.options;
    if (this.#waitingSince === undefined) return idlePollMs;
    return Math.min(idlePollMs, Math.max(1, this.#waitingSince + auditIntervalMs - Date.now()));
  }

  protected async step(): Promise<boolean> {
    const { store, options } = this.ctx;
    if (!this.#reconciled) {
      await this.#reconcile("start");
      this.#reconciled = true;
      return true;
    }
    const next = await this.#lowestPending();
    if (next !== undefined) {
      await this.#submit(next);
      return true;
    }
    const waiting = store.unbatchedAuditCount();
    if (waiting === 0) {
      this.#waitingSince = undefined;
      return false;
    }
    const now = Date.now();
    this.#waitingSince ??= now;
    if (waiting < options.auditBatchSize && now - this.#waitingSince < options.auditIntervalMs && !this.ctx.flushing()) return false;
    const batch = await store.takeBatch(options.auditBatchSize);
    if (waiting <= options.auditBatchSize) this.#waitingSince = undefined;
    if (batch === undefined) return true;
    this.ctx.logger.debug("audit batch assigned", { batchId: String(batch.batchId), records: batch.records.length });
    // No batch was pending, so the one just taken is the lowest: send it as read (its records
    // are fixed) rather than read its records again on the next step.
    if (batch.batchId === this.#cursor) await this.#submit(batch);
    return true;
  }

  /**
   * The lowest assigned-but-unrecorded batch. Batches are recorded in id order, so a cursor
   * finds it with one small read; the store's full list (every pending batch with its records,
   * heavy after a long outage) is read only when the position is unknown.
   */
  async #lowestPending(): Promise<AuditBatch | undefined> {
    const { store } = this.ctx;
    while (this.#cursor !== undefined) {
      // The state alone: reading a recorded batch's 500 records just to skip it cost the event
      // loop ~1.5 ms per batch under load (a main-thread profile of bench:rewrap).
      const state = store.getBatchState(this.#cursor);
      if (state === undefined) {
        if (this.#cursor >= store.nextBatchId()) return undefined;
        break; // ids skipped (a reconcile moved the floor): look it up
      }
      if (state !== "recorded") {
        const batch = store.getBatch(this.#cursor);
        // flush() may have taken it an instant ago: never send an assignment a crash could undo.
        await store.durable();
        return batch;
      }
      this.#cursor += 1n;
    }
    const [lowest] = await store.pendingBatches();
    this.#cursor = lowest?.batchId ?? store.nextBatchId();
    return lowest;
  }

  /** Moves the lowest pending batch on chain: resumes its earlier transaction if the node has it, else sends it. */
  async #submit(batch: AuditBatch): Promise<void> {
    if (batch.txHash !== undefined && (await getTransactionStatus(this.ctx.clients, { hash: batch.txHash })).state !== "unknown") {
      if (await this.#awaitRecorded(batch, batch.txHash)) return;
    }
    let hash: Hash;
    const records = batch.records.map(toRewrapRecord);
    // Estimating a full batch cost the chain more than executing it (recordRewrapsGasLimit), so a
    // batch's first transaction estimates the same call with its first record only — it reverts
    // exactly when the batch would (an id already used → reconcile; the validator left the active
    // set → halt) — and goes with the computed limit. A later attempt (the first one reverted or
    // was lost) estimates the whole batch, so a limit too low for some chain cannot repeat.
    const probe =
      batch.txHash === undefined
        ? { write: recordRewrapsRequest(this.ctx.clients, { batchId: batch.batchId, records: records.slice(0, 1) }), gas: recordRewrapsGasLimit(records.length) }
        : undefined;
    try {
      ({ hash } = await this.send(
        recordRewrapsRequest(this.ctx.clients, { batchId: batch.batchId, records }),
        (signed) => this.ctx.store.markBatchSubmitted(batch.batchId, signed),
        probe,
      ));
    } catch (error) {
      if (error instanceof ChainError && error.revert?.errorName === "RewrapAuditLogBatchOutOfOrder") {
        const [, expected, given] = error.revert.args as [Address, bigint, bigint];
        await this.#reconcile("out of order", { expected, given });
        return;
      }
      throw error;
    }
    this.ctx.metrics.auditBatchesSent += 1;
    if (!(await this.#awaitRecorded(batch, hash))) {
      // Mined but reverted: the next attempt's estimate says why.
      throw new ChainError("CHAIN_REVERTED", "the audit batch transaction reverted on chain", {
        details: { batchId: batch.batchId.toString(), hash },
        retryable: true,
      });
    }
  }

  /** Waits for the receipt; true (and the batch marked recorded) if it succeeded. */
  async #awaitRecorded(batch: AuditBatch, hash: Hash): Promise<boolean> {
    const receipt = await this.receipt(hash);
    if (receipt.status !== "success") return false;
    await this.ctx.store.markBatchRecorded(batch.batchId, receipt.blockNumber);
    this.ctx.metrics.auditBatchesRecorded += 1;
    this.ctx.metrics.auditRecordsRecorded += batch.records.length;
    this.ctx.logger.debug("audit batch recorded", {
      batchId: String(batch.batchId),
      records: batch.records.length,
      block: String(receipt.blockNumber),
      hash,
    });
    return true;
  }

  /**
   * Aligns the outbox with the chain's nextBatchId: batches below it are on chain (sent before
   * a crash or by a transaction whose answer was lost). If the chain expects an id the outbox
   * cannot produce, the lane stops with CHAIN_BATCH_GAP rather than guess.
   */
  async #reconcile(reason: string, revert?: { expected: bigint; given: bigint }): Promise<void> {
    const { store, clients, sender, metrics, logger } = this.ctx;
    const before = await store.pendingBatches();
    const recordsByBatch = new Map(before.map((b) => [b.batchId, b.records.length]));
    const nextOnChain = await getNextBatchId(clients, { validator: sender.address });
    const result = await store.reconcileBatches(nextOnChain);
    this.#cursor = undefined;
    metrics.reconciles += 1;
    for (const id of result.markedRecorded) {
      metrics.auditBatchesRecorded += 1;
      metrics.auditRecordsRecorded += recordsByBatch.get(id) ?? 0;
    }
    logger.info("audit outbox reconciled with the chain", {
      reason,
      nextBatchIdOnChain: String(nextOnChain),
      markedRecorded: result.markedRecorded.length,
      reopened: result.reopened.length,
    });
    const [lowest] = await store.pendingBatches();
    if (lowest !== undefined && lowest.batchId !== nextOnChain) {
      throw new ChainError("CHAIN_BATCH_GAP", "the chain expects an audit batch id the outbox does not hold", {
        details: {
          nextBatchIdOnChain: nextOnChain.toString(),
          lowestPendingBatchId: lowest.batchId.toString(),
          ...(revert && { expected: revert.expected.toString(), given: revert.given.toString() }),
        },
      });
    }
  }
}

function toRewrapRecord(record: AuditBatch["records"][number]) {
  return { contentId: record.contentId, requester: record.requester, requestDigest: record.requestDigest, servedAt: record.servedAt };
}
