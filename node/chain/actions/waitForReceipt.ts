import type { Hash, TransactionReceipt } from "viem";
import type { ChainClients } from "../clients.js";
import { DEFAULT_CONFIRMATIONS, DEFAULT_DROPPED_AFTER_MS, DEFAULT_RECEIPT_TIMEOUT_MS } from "../constants.js";
import { asChainError, ChainError } from "../errors.js";
import { sleep, throwIfAborted } from "../retry.js";
import { getTransactionStatus } from "./getTransactionStatus.js";

export interface WaitForReceiptParameters {
  hash: Hash;
  /** Blocks including the one that mined it. Default 1. */
  confirmations?: number;
  /** CHAIN_TIMEOUT after this long. Default 120 s. */
  timeoutMs?: number;
  /**
   * CHAIN_DROPPED once the node has known nothing of the transaction for this long (neither
   * mined nor pooled). Default 15 s. The grace covers load-balanced endpoints whose backends
   * learn of a transaction at different times.
   */
  droppedAfterMs?: number;
  /** Called when a poll fails (the endpoint is down); polling goes on until the deadline. */
  onRpcError?: (error: ChainError) => void;
  signal?: AbortSignal;
}

/** The receipt, successful or reverted (callers decide), once it has `confirmations` blocks. */
export type WaitForReceiptReturnType = TransactionReceipt;

/** Without a new block, the transaction's status is looked up again at most this often (to notice a drop). */
const STATUS_RECHECK_MS = 1_000;

/**
 * Polls until the transaction is mined and has its confirmations, then checks the receipt is
 * still there (a reorg may have moved or dropped it; then it waits again). RPC failures while
 * waiting are not fatal: the endpoint may come back before the deadline.
 *
 * Each poll asks for the block number, which viem caches for a polling interval and shares
 * among every waiter of the same client; the transaction itself (two calls while it is
 * pending) is looked up only when a block has come, or every STATUS_RECHECK_MS. A validator
 * with many confirmations in flight costs the node about one call per interval, not 2 × each.
 */
export async function waitForReceipt(clients: ChainClients, parameters: WaitForReceiptParameters): Promise<WaitForReceiptReturnType> {
  const { hash, signal } = parameters;
  const confirmations = BigInt(Math.max(1, parameters.confirmations ?? DEFAULT_CONFIRMATIONS));
  const deadline = Date.now() + (parameters.timeoutMs ?? DEFAULT_RECEIPT_TIMEOUT_MS);
  const droppedAfterMs = parameters.droppedAfterMs ?? DEFAULT_DROPPED_AFTER_MS;
  let unknownSince: number | undefined;
  let lastError: ChainError | undefined;
  let checkedAtBlock: bigint | undefined;
  let checkedAt = 0;
  for (;;) {
    throwIfAborted(signal);
    try {
      const block = await clients.publicClient.getBlockNumber().catch((error: unknown) => {
        throw asChainError(error, { operation: "getBlockNumber" });
      });
      if (block === checkedAtBlock && Date.now() - checkedAt < STATUS_RECHECK_MS) {
        await sleep(clients.pollingIntervalMs, signal);
        continue;
      }
      checkedAtBlock = block;
      checkedAt = Date.now();
      const status = await getTransactionStatus(clients, { hash });
      if (status.state === "mined") {
        unknownSince = undefined;
        const mined = status.receipt.blockNumber;
        const head = await clients.publicClient.getBlockNumber({ cacheTime: 0 }).catch((error: unknown) => {
          throw asChainError(error, { operation: "getBlockNumber" });
        });
        if (head - mined + 1n >= confirmations) {
          if (confirmations === 1n) return status.receipt;
          const again = await getTransactionStatus(clients, { hash });
          if (again.state === "mined" && again.receipt.blockHash === status.receipt.blockHash) return again.receipt;
        }
      } else if (status.state === "unknown") {
        unknownSince ??= Date.now();
        if (Date.now() - unknownSince >= droppedAfterMs) {
          throw new ChainError("CHAIN_DROPPED", "the node no longer knows the transaction", { details: { hash } });
        }
      } else {
        unknownSince = undefined;
      }
    } catch (error) {
      if (!(error instanceof ChainError) || error.code !== "CHAIN_RPC") throw error;
      lastError = error;
      parameters.onRpcError?.(error);
    }
    if (Date.now() >= deadline) {
      throw new ChainError("CHAIN_TIMEOUT", "the transaction was not mined with its confirmations in time", {
        details: { hash, confirmations: Number(confirmations) },
        cause: lastError,
      });
    }
    await sleep(clients.pollingIntervalMs, signal);
  }
}
