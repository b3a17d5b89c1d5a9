/**
 * The validator's transaction submitter: audit records and holding confirmations, batched from
 * the store onto the chain (docs/chain.md).
 */
export { TxSubmitter } from "./txSubmitter.js";
export type { TxSubmitterComponents, TxSubmitterOptions } from "./options.js";
export type { TxSubmitterMetrics } from "./metrics.js";
