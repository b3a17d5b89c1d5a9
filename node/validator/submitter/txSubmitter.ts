/**
 * The validator's transaction submitter (docs/architecture.md: #rewrap-and-forwarding for audit records, #replication for holder confirmations): drains the
 * store's audit outbox into numbered RewrapAuditLog batches and confirms held DEKs on
 * ContentRegistry, through one serialized sender that owns the node account's nonces.
 * Guarantees and failure behaviour: docs/chain.md.
 */
import type { Hash, Hex, TransactionReceipt } from "viem";
import { DekmeshError } from "../../protocol/errors.js";
import { MAX_AUDIT_BATCH } from "../../protocol/limits.js";
import type { ContractWrite } from "../../chain/actions/writeContract.js";
import { waitForReceipt } from "../../chain/actions/waitForReceipt.js";
import { ChainError } from "../../chain/errors.js";
import { errorFields, silentLogger, type Logger } from "../../protocol/logger.js";
import { TxSender } from "../../chain/sender.js";
import { AuditLane } from "./auditLane.js";
import { HoldingsLane } from "./holdingsLane.js";
import type { LaneContext } from "./lane.js";
import { createMetrics, type TxSubmitterMetrics } from "./metrics.js";
import {
  resolveOptions,
  type ResolvedTxSubmitterOptions,
  type TxSubmitterComponents,
  type TxSubmitterOptions,
} from "./options.js";

interface FlushWaiter {
  /** Every audit batch up to this id must be recorded. 0n: none. */
  auditThrough: bigint;
  holdings: Set<Hex>;
  resolve(): void;
  reject(error: unknown): void;
}

interface Running {
  controller: AbortController;
  audit: AuditLane;
  holdings: HoldingsLane;
  done: Promise<void>;
}

export class TxSubmitter {
  /** Live counters; read them, do not write them. */
  readonly metrics: TxSubmitterMetrics = createMetrics();
  readonly options: ResolvedTxSubmitterOptions;
  readonly #components: TxSubmitterComponents;
  readonly #logger: Logger;
  readonly #sender: TxSender;
  #running: Running | undefined;
  #halted: DekmeshError | undefined;
  /** The holdings lane stopped because the validator is not active (the audit lane goes on). */
  #holdingsStopped = false;
  #waiters: FlushWaiter[] = [];

  constructor(components: TxSubmitterComponents, options: TxSubmitterOptions = {}) {
    this.#components = components;
    this.options = resolveOptions(options);
    this.#logger = components.logger ?? silentLogger;
    this.#sender = new TxSender(
      { clients: components.clients, logger: this.#logger },
      {
        minDelayMs: this.options.minBackoffMs,
        maxDelayMs: this.options.maxBackoffMs,
        onRetry: (kind, error) => {
          this.metrics.retries += 1;
          if (kind === "nonce") this.metrics.nonceResyncs += 1;
          this.metrics.lastErrorCode = error.code;
          this.metrics.lastErrorAt = Date.now();
        },
      },
    );
  }

  /** The node account the submitter sends for. */
  get address(): Hex {
    return this.#sender.address;
  }

  get running(): boolean {
    return this.#running !== undefined;
  }

  /**
   * The non-retryable error that stopped submitting (CHAIN_NOT_ACTIVE when the validator left
   * the active set, CHAIN_BATCH_GAP, a store error), or undefined. Records stay in the outbox.
   */
  get halted(): DekmeshError | undefined {
    return this.#halted;
  }

  /**
   * Starts the audit and holdings lanes (again, after a halt). Returns at once: the first chain calls (reconciling
   * the outbox with nextBatchId, the pending nonce) happen inside the lanes and are retried
   * like everything else while the endpoint is unreachable.
   */
  async start(): Promise<void> {
    if (this.#running !== undefined) {
      if (this.#halted === undefined) return;
      await this.stop(); // starting a halted submitter tries again from the store's state
    }
    this.#sender.open();
    this.#halted = undefined;
    this.#holdingsStopped = false;
    this.metrics.halted = false;
    const controller = new AbortController();
    const ctx: LaneContext = {
      clients: this.#components.clients,
      store: this.#components.store,
      sender: this.#sender,
      options: this.options,
      metrics: this.metrics,
      logger: this.#logger,
      signal: controller.signal,
      progress: () => this.#checkWaiters(),
      flushing: () => this.#waiters.length > 0,
    };
    const audit = new AuditLane(ctx);
    const holdings = new HoldingsLane(ctx);
    const lanes = [audit, holdings].map((lane) => lane.run().catch((error: unknown) => this.#halt(error, lane.name)));
    const done = Promise.all(lanes).then(() => undefined);
    this.#running = { controller, audit, holdings, done };
    this.#logger.info("tx submitter started", { account: this.address, ...this.options });
  }

  /**
   * Stops both lanes: idle waits and backoffs end at once; a JSON-RPC call already under way
   * is let finish (bounded by the transport timeout) so a broadcast is never cut in half.
   * Pending flush() calls reject with CHAIN_STOPPED. The store stays open (it is the caller's).
   */
  async stop(): Promise<void> {
    const running = this.#running;
    if (running === undefined) return;
    running.controller.abort(new ChainError("CHAIN_STOPPED", "the tx submitter was stopped"));
    await running.done;
    this.#running = undefined;
    this.#sender.close();
    this.#rejectWaiters(new ChainError("CHAIN_STOPPED", "the tx submitter was stopped before the flush finished"));
    this.#logger.info("tx submitter stopped", { account: this.address });
  }

  /** New audit records or DEKs are in the store: look now rather than at the next poll. */
  notify(): void {
    this.#running?.audit.wake();
    this.#running?.holdings.wake();
  }

  /**
   * Resolves once everything queued at the time of the call is on chain with its
   * confirmations: every audit record appended so far (batched now, regardless of size and
   * interval) and every unconfirmed stake/explicit holding. Rejects with the halting error
   * (e.g. CHAIN_NOT_ACTIVE) or CHAIN_STOPPED. The node calls it before exiting.
   */
  async flush(): Promise<void> {
    if (this.#halted !== undefined) throw this.#halted;
    const running = this.#running;
    if (running === undefined) throw new ChainError("CHAIN_STOPPED", "the tx submitter is not running");
    const { store } = this.#components;
    while (store.unbatchedAuditCount() > 0) await store.takeBatch(Math.min(this.options.auditBatchSize, MAX_AUDIT_BATCH));
    const auditThrough = store.nextBatchId() - 1n;
    const unconfirmed = await running.holdings.unconfirmed(Number.MAX_SAFE_INTEGER - running.holdings.skipped.size);
    const holdings = new Set(unconfirmed.map((info) => info.contentId));
    const promise = new Promise<void>((resolve, reject) => {
      this.#waiters.push({ auditThrough, holdings, resolve, reject });
    });
    this.#checkWaiters();
    this.notify();
    return promise;
  }

  /**
   * Sends any other transaction of the node account (e.g. ContentRegistry.repair) through the
   * same sender, so it never races the lanes for a nonce; resolves with the receipt.
   */
  async sendTransaction(write: ContractWrite, options: { signal?: AbortSignal } = {}): Promise<{ hash: Hash; receipt: TransactionReceipt }> {
    if (this.#running === undefined) throw new ChainError("CHAIN_STOPPED", "the tx submitter is not running");
    const signal = options.signal ? AbortSignal.any([options.signal, this.#running.controller.signal]) : this.#running.controller.signal;
    const { hash } = await this.#sender.send(write, { signal });
    this.metrics.transactionsSent += 1;
    const receipt = await waitForReceipt(this.#components.clients, {
      hash,
      confirmations: this.options.confirmations,
      timeoutMs: this.options.receiptTimeoutMs,
      droppedAfterMs: this.options.droppedAfterMs,
      signal,
    });
    if (receipt.status !== "success") {
      throw new ChainError("CHAIN_REVERTED", `${write.functionName} reverted on chain`, { details: { hash, functionName: write.functionName } });
    }
    return { hash, receipt };
  }

  /** A lane's run() rejects only with a non-retryable error (it returns quietly when stopped). */
  #halt(error: unknown, lane: string): void {
    const halted =
      error instanceof DekmeshError
        ? error
        : new ChainError("CHAIN_RPC", `the ${lane} lane failed unexpectedly`, { cause: error, retryable: false });
    // A validator that left the active set confirms no more holdings, but the audit log still
    // takes the records of the rewraps it served before its exit (RewrapAuditLog.EXIT_GRACE):
    // the audit lane goes on, so no served rewrap is left unrecorded. Flushes stop waiting for
    // confirmations.
    if (lane === "holdings" && halted.code === "CHAIN_NOT_ACTIVE") {
      this.#holdingsStopped = true;
      this.metrics.lastErrorCode = halted.code;
      this.metrics.lastErrorAt = Date.now();
      this.#logger.warn("holding confirmations stopped: the validator is not active; audit batches go on", errorFields(halted));
      this.#checkWaiters();
      return;
    }
    if (this.#halted === undefined) {
      this.#halted = halted;
      this.metrics.halted = true;
      this.metrics.lastErrorCode = halted.code;
      this.metrics.lastErrorAt = Date.now();
      this.#logger.error("tx submitter halted; records stay in the store until it is restarted", { lane, ...errorFields(halted) });
    }
    // Any other non-retryable error stops both lanes.
    this.#running?.controller.abort(halted);
    this.#rejectWaiters(halted);
  }

  #checkWaiters(): void {
    if (this.#waiters.length === 0) return;
    const { store } = this.#components;
    this.#waiters = this.#waiters.filter((waiter) => {
      if (waiter.auditThrough > 0n) {
        const batch = store.getBatch(waiter.auditThrough);
        if (batch !== undefined && batch.state !== "recorded") return true;
        waiter.auditThrough = 0n;
      }
      for (const contentId of waiter.holdings) {
        const state = store.getDekInfo(contentId)?.confirmation.state;
        if (state === "confirmed" || state === undefined || this.#holdingsStopped || this.#running?.holdings.skipped.has(contentId)) waiter.holdings.delete(contentId);
        else return true;
      }
      waiter.resolve();
      return false;
    });
  }

  #rejectWaiters(error: unknown): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter.reject(error);
  }
}
