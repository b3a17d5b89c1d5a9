import type { DekStore } from "../store/index.js";
import type { ChainClients } from "../../chain/clients.js";
import {
  DEFAULT_AUDIT_BATCH_SIZE,
  DEFAULT_AUDIT_INTERVAL_MS,
  DEFAULT_CONFIRMATIONS,
  DEFAULT_DROPPED_AFTER_MS,
  DEFAULT_HOLDINGS_BATCH_SIZE,
  DEFAULT_HOLDINGS_INTERVAL_MS,
  DEFAULT_IDLE_POLL_MS,
  DEFAULT_MAX_BACKOFF_MS,
  DEFAULT_MIN_BACKOFF_MS,
  DEFAULT_RECEIPT_TIMEOUT_MS,
} from "../../chain/constants.js";
import { MAX_AUDIT_BATCH, MAX_CONFIRMATION_BATCH } from "../../protocol/limits.js";
import { ChainError } from "../../chain/errors.js";
import type { Logger } from "../../protocol/logger.js";

/** What the submitter needs from the rest of the node. */
export interface TxSubmitterComponents {
  /** Clients whose account is the validator's node account. */
  clients: ChainClients;
  /** The node's store: the audit outbox and the DEKs' confirmation states. */
  store: DekStore;
  logger?: Logger;
}

export interface TxSubmitterOptions {
  /** Records per audit batch, 1–1,000 (the contract's limit). Default 1,000. */
  auditBatchSize?: number;
  /** A batch smaller than auditBatchSize goes out once its oldest record has waited this long. Default 2 s. */
  auditIntervalMs?: number;
  /** Content ids per holder confirmation, 1–500. Default 500. */
  holdingsBatchSize?: number;
  /**
   * At most one holder confirmation per this many ms (unless holdingsBatchSize DEKs wait): a
   * DEK stored when none went out for that long is sent at once, later ones wait for the
   * interval to pass and share a transaction. Default 250 ms.
   */
  holdingsIntervalMs?: number;
  /** Blocks (including the one that mined it) before a transaction counts as on chain. Default 1. */
  confirmations?: number;
  /** How long to wait for one transaction's receipt before treating it as late (then it is looked up again). Default 120 s. */
  receiptTimeoutMs?: number;
  /** A sent transaction the node has forgotten, unmined, for this long is sent again. Default 15 s. */
  droppedAfterMs?: number;
  /** How often an idle lane looks for new work (notify() wakes it at once). Default 100 ms. */
  idlePollMs?: number;
  /** Backoff after a retryable failure: from min, doubling, capped at max (with jitter). Defaults 200 ms, 15 s. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

export type ResolvedTxSubmitterOptions = Required<TxSubmitterOptions>;

function integer(value: number | undefined, fallback: number, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const resolved = value ?? fallback;
  if (!Number.isSafeInteger(resolved) || resolved < min || resolved > max) {
    throw new ChainError("CHAIN_INVALID_ARGUMENT", `${name} must be an integer in ${min}–${max}`, { details: { [name]: value } });
  }
  return resolved;
}

export function resolveOptions(options: TxSubmitterOptions = {}): ResolvedTxSubmitterOptions {
  const resolved = {
    auditBatchSize: integer(options.auditBatchSize, DEFAULT_AUDIT_BATCH_SIZE, "auditBatchSize", 1, MAX_AUDIT_BATCH),
    auditIntervalMs: integer(options.auditIntervalMs, DEFAULT_AUDIT_INTERVAL_MS, "auditIntervalMs", 0),
    holdingsBatchSize: integer(options.holdingsBatchSize, DEFAULT_HOLDINGS_BATCH_SIZE, "holdingsBatchSize", 1, MAX_CONFIRMATION_BATCH),
    holdingsIntervalMs: integer(options.holdingsIntervalMs, DEFAULT_HOLDINGS_INTERVAL_MS, "holdingsIntervalMs", 0),
    confirmations: integer(options.confirmations, DEFAULT_CONFIRMATIONS, "confirmations", 1, 1000),
    receiptTimeoutMs: integer(options.receiptTimeoutMs, DEFAULT_RECEIPT_TIMEOUT_MS, "receiptTimeoutMs", 1),
    droppedAfterMs: integer(options.droppedAfterMs, DEFAULT_DROPPED_AFTER_MS, "droppedAfterMs", 0),
    idlePollMs: integer(options.idlePollMs, DEFAULT_IDLE_POLL_MS, "idlePollMs", 1),
    minBackoffMs: integer(options.minBackoffMs, DEFAULT_MIN_BACKOFF_MS, "minBackoffMs", 1),
    maxBackoffMs: integer(options.maxBackoffMs, DEFAULT_MAX_BACKOFF_MS, "maxBackoffMs", 1),
  };
  if (resolved.maxBackoffMs < resolved.minBackoffMs) {
    throw new ChainError("CHAIN_INVALID_ARGUMENT", "maxBackoffMs must be at least minBackoffMs");
  }
  return resolved;
}
