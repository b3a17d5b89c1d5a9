/**
 * Audit batches: outbox → RewrapAuditLog, exactly once per batch.
 *
 * The store fixes a batch's id and records before anything is sent (takeBatch), and the hash
 * of every signed transaction before it is broadcast (markBatchSubmitted). The chain accepts
 * batch ids 1, 2, 3, … once each. So after any failure the lane can resend the lowest pending
 * batch as it is: if an earlier transaction for it was mined, the chain answers
 * RewrapAuditLogBatchOutOfOrder(expected > given) and the lane reconciles instead.
 *
 * Pipelined: up to MAX_AUDIT_IN_FLIGHT batches wait for their receipts at once, sent with
 * consecutive nonces, so they can share a block. With one in flight the lane recorded at most
 * one batch of 500 per block (measured with 1-second blocks: 510 records/s; on Ethereum's
 * 12-second blocks that is ~42/s), far below what one node serves. Receipts are processed in id
 * order (the store marks a batch recorded only after every earlier one). If any receipt wait
 * fails, the later ones are not processed either; once all have settled, the lane starts again
 * from the store's state exactly as after a restart: each pending batch is looked up by its
 * persisted hash — pending or mined: waited for; unknown or reverted: sent again with the same id.
 */
import type { Address, Hash } from "viem";
import type { AuditBatch } from "../store/index.js";
import { getNextBatchId } from "../../chain/actions/getNextBatchId.js";
import { getTransactionStatus } from "../../chain/actions/getTransactionStatus.js";
import { recordRewrapsGasLimit, recordRewrapsRequest } from "../../chain/actions/recordRewraps.js";
import { recordVerifiableRewrapsGasLimit, recordVerifiableRewrapsRequest } from "../../chain/actions/recordVerifiableRewraps.js";
import { computeCid } from "../../ipfs/index.js";
import { AUDIT_RECORD_BYTES } from "../../protocol/auditRecords.js";
import { ChainError } from "../../chain/errors.js";
import { errorFields } from "../../protocol/logger.js";
import { Lane } from "./lane.js";

/**
 * Audit batches awaiting receipts at once: 12 × 1,000 records covers what one node serves
 * (4,500–5,400 rewraps/s in bench:rewrap) with 1-second blocks, with room to drain a backlog. A
 * block takes a transaction while its gas left is at least the transaction's limit (6.1 M for
 * 1,000 records, ~3.6 M used): a 30 M block takes seven, 7,000 records.
 */
export const MAX_AUDIT_IN_FLIGHT = 12;

export class AuditLane extends Lane {
  readonly name = "audit";
  #reconciled = false;
  /** The next batch id to send (every lower one is recorded or in flight); undefined = ask the store. */
  #cursor: bigint | undefined;
  /** When the lane first saw unbatched records that are still waiting (ms). */
  #waitingSince: number | undefined;
  /** Sent batches whose receipts are still awaited. */
  #inFlight = 0;
  /** Settles once every receipt wait queued so far is processed; each is queued behind the one before. */
  #receipts: Promise<void> = Promise.resolve();
  /** A receipt wait failed: let the pipeline drain, then start again from the store's state. */
  #resync = false;

  protected override idleDelay(): number {
    const { idlePollMs, auditIntervalMs } = this.ctx.options;
    if (this.#waitingSince === undefined) return idlePollMs;
    return Math.min(idlePollMs, Math.max(1, this.#waitingSince + auditIntervalMs - Date.now()));
  }

  protected async step(): Promise<boolean> {
    const { store, options } = this.ctx;
    if (this.#resync) {
      if (this.#inFlight > 0) return false; // the last receipt to settle wakes the lane
      this.#resync = false;
      this.#cursor = undefined;
    }
    if (!this.#reconciled) {
      await this.#reconcile("start");
      this.#reconciled = true;
      return true;
    }
    if (this.#inFlight >= MAX_AUDIT_IN_FLIGHT) return false;
    const next = await this.#nextPending();
    if (next !== undefined) {
      await this.#dispatch(next);
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
    this.ctx.logger.debug("audit batch assigned", { batchId: String(batch.batchId), records: batch.recordCount });
    // Nothing assigned was left to send, so the batch just taken is next: send it as read (its
    // records are fixed) rather than read its records again on the next step.
    if (batch.batchId === this.#cursor) await this.#dispatch(batch);
    return true;
  }

  /**
   * The assigned batch to send next. Batches are sent and recorded in id order, so a cursor
   * finds it with one small read; the store's full list (every pending batch with its records,
   * heavy after a long outage) is read only when the position is unknown.
   */
  async #nextPending(): Promise<AuditBatch | undefined> {
    const { store } = this.ctx;
    while (this.#cursor !== undefined) {
      // The state alone: reading a recorded batch's records just to skip it cost the event
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

  /** Puts a batch in flight: resumes its earlier transaction if the node has it (pending or mined), else sends it. */
  async #dispatch(batch: AuditBatch): Promise<void> {
    if (batch.txHash !== undefined) {
      const status = await getTransactionStatus(this.ctx.clients, { hash: batch.txHash });
      if (status.state === "pending" || (status.state === "mined" && status.receipt.status === "success")) {
        this.#track(batch, batch.txHash);
        return;
      }
    }
    const { batchId, packedRecords } = batch;
    const evidence = await this.#evidence(batch);
    const request = (records: Uint8Array) =>
      evidence === undefined
        ? recordRewrapsRequest(this.ctx.clients, { batchId, packedRecords: records })
        : recordVerifiableRewrapsRequest(this.ctx.clients, { batchId, packedRecords: records, ...evidence });
    const write = request(packedRecords);
    const gasLimit = (evidence === undefined ? recordRewrapsGasLimit : recordVerifiableRewrapsGasLimit)(batch.recordCount);
    // Gas. Behind a batch still in flight nothing is estimated: against the latest block this
    // id is not the expected one yet, so any estimate would revert. It goes with the computed
    // limit; a revert then shows in its receipt, and the resync's resend is estimated.
    // With nothing in flight: estimating a full batch cost the chain more than executing it
    // (recordRewrapsGasLimit), so a batch's first transaction estimates the same call with its
    // first record only — it reverts exactly when the batch would (an id already used →
    // reconcile; the validator left the active set → halt) — and goes with the computed limit.
    // A later attempt (the first one reverted or was lost) estimates the whole batch, so a limit
    // too low for some chain cannot repeat.
    const gas =
      this.#inFlight > 0
        ? { gas: gasLimit }
        : batch.txHash === undefined
          ? { probe: { write: request(packedRecords.subarray(0, AUDIT_RECORD_BYTES)), gas: gasLimit } }
          : {};
    let hash: Hash;
    try {
      ({ hash } = await this.send(write, (signed) => this.ctx.store.markBatchSubmitted(batch.batchId, signed), gas));
    } catch (error) {
      if (error instanceof ChainError && error.revert?.errorName === "RewrapAuditLogBatchOutOfOrder") {
        const [, expected, given] = error.revert.args as [Address, bigint, bigint];
        await this.#reconcile("out of order", { expected, given });
        return;
      }
      throw error;
    }
    this.ctx.metrics.auditBatchesSent += 1;
    this.#track(batch, hash);
  }

  /**
   * The batch's evidence commitment: its root (written with the batch) and its blob's CID,
   * computed from the blob and stored before the first send, so every resend commits to the
   * same CID. Undefined for a batch assigned before the store kept evidence: it goes out plain.
   */
  async #evidence(batch: AuditBatch): Promise<{ evidenceRoot: Hash; evidenceCid: string } | undefined> {
    if (batch.evidenceRoot === undefined) return undefined;
    if (batch.evidenceCid !== undefined) return { evidenceRoot: batch.evidenceRoot, evidenceCid: batch.evidenceCid };
    const blob = this.ctx.store.evidenceBlob(batch.batchId);
    if (blob === undefined) throw new ChainError("CHAIN_INVALID_ARGUMENT", "an audit batch's evidence blob is missing", { details: { batchId: String(batch.batchId) } });
    const { cid } = await computeCid([blob]);
    await this.ctx.store.setEvidenceCid(batch.batchId, cid);
    return { evidenceRoot: batch.evidenceRoot, evidenceCid: cid };
  }

  /** Queues the receipt wait of a batch in flight behind those of the batches before it. */
  #track(batch: AuditBatch, hash: Hash): void {
    const { batchId } = batch;
    const records = batch.recordCount;
    this.#cursor = batchId + 1n;
    this.#inFlight += 1;
    const previous = this.#receipts;
    this.#receipts = this.inBackground(
      (async () => {
        await previous;
        // An earlier batch's wait failed: this one is looked up again after the drain.
        if (this.#resync || this.ctx.signal.aborted) return;
        if (!(await this.#awaitRecorded(batchId, records, hash))) {
          // Mined but reverted: the resend's estimate says why.
          throw new ChainError("CHAIN_REVERTED", "the audit batch transaction reverted on chain", {
            details: { batchId: batchId.toString(), hash },
            retryable: true,
          });
        }
      })(),
      {
        onRetryable: (error) => {
          this.#resync = true;
          this.ctx.logger.warn("audit: a batch's receipt wait failed; pending batches are looked up again", { batchId: String(batchId), hash, ...errorFields(error) });
        },
        onSettled: () => {
          this.#inFlight -= 1;
        },
      },
    );
  }

  /** Waits for the receipt; true (and the batch marked recorded) if it succeeded. */
  async #awaitRecorded(batchId: bigint, records: number, hash: Hash): Promise<boolean> {
    const receipt = await this.receipt(hash);
    if (receipt.status !== "success") return false;
    await this.ctx.store.markBatchRecorded(batchId, receipt.blockNumber);
    this.ctx.metrics.auditBatchesRecorded += 1;
    this.ctx.metrics.auditRecordsRecorded += records;
    this.ctx.logger.debug("audit batch recorded", { batchId: String(batchId), records, block: String(receipt.blockNumber), hash });
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
    const recordsByBatch = new Map(before.map((b) => [b.batchId, b.recordCount]));
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
