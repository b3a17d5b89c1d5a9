/**
 * Counters of the submitter, as a plain object the node's Prometheus endpoint reads. Counters
 * only grow; `lastErrorCode`/`lastErrorAt` describe the most recent failure, retried or not.
 */
export interface TxSubmitterMetrics {
  /** recordRewraps transactions broadcast (a resend after a crash or drop counts again). */
  auditBatchesSent: number;
  /** Audit batches this process saw on chain with their confirmations (or found there by reconciling). */
  auditBatchesRecorded: number;
  auditRecordsRecorded: number;
  /** confirmHoldings transactions broadcast. */
  holdingBatchesSent: number;
  holdingsConfirmed: number;
  /** Holdings left out because the chain does not know the content (ContentRegistryUnknownContent). */
  holdingsSkipped: number;
  /** Transactions broadcast, all kinds. */
  transactionsSent: number;
  /** Retryable failures that were retried (RPC errors, timeouts, drops, nonce conflicts). */
  retries: number;
  nonceResyncs: number;
  /** Times the outbox was aligned with the chain's nextBatchId. */
  reconciles: number;
  lastErrorCode: string | undefined;
  /** Unix milliseconds. */
  lastErrorAt: number | undefined;
  /** True once a non-retryable error (e.g. CHAIN_NOT_ACTIVE) stopped submitting. */
  halted: boolean;
}

export function createMetrics(): TxSubmitterMetrics {
  return {
    auditBatchesSent: 0,
    auditBatchesRecorded: 0,
    auditRecordsRecorded: 0,
    holdingBatchesSent: 0,
    holdingsConfirmed: 0,
    holdingsSkipped: 0,
    transactionsSent: 0,
    retries: 0,
    nonceResyncs: 0,
    reconciles: 0,
    lastErrorCode: undefined,
    lastErrorAt: undefined,
    halted: false,
  };
}
