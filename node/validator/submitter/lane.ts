import type { Hash, TransactionReceipt } from "viem";
import { DekmeshError } from "../../protocol/errors.js";
import type { DekStore } from "../store/index.js";
import type { ContractWrite } from "../../chain/actions/writeContract.js";
import { waitForReceipt } from "../../chain/actions/waitForReceipt.js";
import type { ChainClients } from "../../chain/clients.js";
import { ChainError } from "../../chain/errors.js";
import { errorFields, type Logger } from "../../protocol/logger.js";
import { backoffDelay, sleep } from "../../chain/retry.js";
import type { SendOptions, SentTransaction, TxSender } from "../../chain/sender.js";
import type { TxSubmitterMetrics } from "./metrics.js";
import type { ResolvedTxSubmitterOptions } from "./options.js";

/** What a lane shares with the submitter that runs it. */
export interface LaneContext {
  clients: ChainClients;
  store: DekStore;
  sender: TxSender;
  options: ResolvedTxSubmitterOptions;
  metrics: TxSubmitterMetrics;
  logger: Logger;
  signal: AbortSignal;
  /** Called after every step that changed something: the submitter checks its flush waiters. */
  progress(): void;
  /** True while a flush() waits: send what is queued without waiting for size or interval. */
  flushing(): boolean;
}

/** Retryable by its own account (typed dekmesh errors); anything else is a bug and stops the submitter. */
export function isRetryable(error: unknown): boolean {
  return error instanceof DekmeshError && error.retryable;
}

/**
 * One kind of recurring transaction (audit batches, holder confirmations): a loop of steps,
 * each of which moves one item one state forward and is safe to repeat after any failure,
 * because every state it reads back is persisted in the store before the chain is told.
 */
export abstract class Lane {
  protected readonly ctx: LaneContext;
  #wake: (() => void) | undefined;
  #woken = false;
  /** Work running beside the steps (receipt waits); run() lets it settle before it returns. */
  readonly #background = new Set<Promise<void>>();
  /** A non-retryable failure of background work, rethrown before the next step (it stops the submitter). */
  #failure: { error: unknown } | undefined;

  constructor(ctx: LaneContext) {
    this.ctx = ctx;
  }

  abstract readonly name: string;

  /** Does one unit of work; false when there was nothing to do yet. */
  protected abstract step(): Promise<boolean>;

  /** How long to idle after a step with nothing to do (≤ idlePollMs). */
  protected idleDelay(): number {
    return this.ctx.options.idlePollMs;
  }

  /** Cuts an idle wait short: new work may be there. */
  wake(): void {
    this.#woken = true;
    this.#wake?.();
  }

  /** Runs until the submitter stops (resolves) or a non-retryable error (rejects with it). */
  async run(): Promise<void> {
    try {
      await this.#loop();
    } finally {
      // Stopping aborts the receipt waits; let them settle before the store may be closed.
      await Promise.allSettled([...this.#background]);
    }
  }

  async #loop(): Promise<void> {
    const { signal, options, logger } = this.ctx;
    let attempt = 0;
    while (!signal.aborted) {
      try {
        if (this.#failure !== undefined) {
          const { error } = this.#failure;
          this.#failure = undefined;
          throw error;
        }
        const worked = await this.step();
        attempt = 0;
        if (worked) this.ctx.progress();
        else await this.#idle(this.idleDelay());
      } catch (error) {
        if (signal.aborted) return;
        if (!isRetryable(error)) throw error;
        this.countRetry(error as DekmeshError);
        const delay = backoffDelay(attempt++, { minDelayMs: options.minBackoffMs, maxDelayMs: options.maxBackoffMs });
        logger.warn(`${this.name}: retrying after a retryable failure`, { ...errorFields(error), attempt, delayMs: delay });
        try {
          await sleep(delay, signal);
        } catch {
          return;
        }
      }
    }
  }

  /**
   * Counts a retryable failure. A dropped transaction leaves a gap at its nonce that would hold
   * back every later one of the account: the sender reads the pending nonce again.
   */
  protected countRetry(error: DekmeshError): void {
    const { metrics } = this.ctx;
    metrics.retries += 1;
    metrics.lastErrorCode = error.code;
    metrics.lastErrorAt = Date.now();
    if (error.code === "CHAIN_DROPPED") this.ctx.sender.invalidateNonce();
  }

  /**
   * Runs `task` beside the steps (a receipt wait). If it fails with a retryable error, the error
   * is counted and `onRetryable` says what the lane does about it; any other failure stops the
   * lane before its next step. Then `onSettled` runs, and the lane wakes. Never rejects.
   */
  protected inBackground(task: Promise<void>, handlers: { onRetryable(error: DekmeshError): void; onSettled(): void }): Promise<void> {
    const done = task
      .catch((error: unknown) => {
        if (this.ctx.signal.aborted) return;
        if (!isRetryable(error)) throw error;
        this.countRetry(error as DekmeshError);
        handlers.onRetryable(error as DekmeshError);
      })
      .finally(() => handlers.onSettled())
      .then(() => this.ctx.progress())
      .catch((error: unknown) => {
        this.#failure ??= { error };
      })
      .finally(() => {
        this.#background.delete(done);
        this.wake();
      });
    this.#background.add(done);
    return done;
  }

  /** Sends through the account's one sender and counts it. */
  protected async send(write: ContractWrite, onSigned: SendOptions["onSigned"], gas: Pick<SendOptions, "probe" | "gas"> = {}): Promise<SentTransaction> {
    const sent = await this.ctx.sender.send(write, { onSigned, signal: this.ctx.signal, ...gas });
    this.ctx.metrics.transactionsSent += 1;
    return sent;
  }

  /** The receipt with the configured confirmations; RPC failures while waiting count as retries. */
  protected receipt(hash: Hash): Promise<TransactionReceipt> {
    const { clients, options, signal, metrics } = this.ctx;
    return waitForReceipt(clients, {
      hash,
      confirmations: options.confirmations,
      timeoutMs: options.receiptTimeoutMs,
      droppedAfterMs: options.droppedAfterMs,
      signal,
      onRpcError: (error: ChainError) => {
        metrics.retries += 1;
        metrics.lastErrorCode = error.code;
        metrics.lastErrorAt = Date.now();
      },
    });
  }

  #idle(ms: number): Promise<void> {
    if (this.#woken) {
      this.#woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.ctx.signal.removeEventListener("abort", done);
        this.#wake = undefined;
        this.#woken = false;
        resolve();
      };
      const timer = setTimeout(done, Math.max(1, ms));
      this.#wake = done;
      this.ctx.signal.addEventListener("abort", done, { once: true });
    });
  }
}
