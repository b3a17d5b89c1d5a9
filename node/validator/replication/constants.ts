/** Limits and defaults of lazy replication (docs/replication.md). */

/** A pull request is `{"contentId":"0x…"}`: 80 bytes; anything much larger is not one. */
export const MAX_PULL_REQUEST_BYTES = 256;
/** The answer is one 251-byte replication envelope; the p2p status byte and slack on top. */
export const MAX_PULL_ANSWER_BYTES = 1024;
/** A has query / answer. */
export const MAX_HAS_REQUEST_BYTES = 256;
export const MAX_HAS_ANSWER_BYTES = 256;
/** How long an envelope a holder seals stays valid: long enough for a slow link, short for the replay cache. */
export const ENVELOPE_LIFETIME_S = 60n;
/** The longest envelope lifetime a puller accepts (bounds its replay cache). */
export const MAX_ENVELOPE_LIFETIME_S = 300n;
/** Pull requests a holder serves at once. */
export const MAX_INBOUND_PULLS = 64;
/** Sources tried per pull before the content waits for the next pass. */
export const MAX_PULL_ATTEMPTS = 3;
/**
 * The first retry of failed work (a pull, a derive, a verdict's transaction) waits about this
 * long; each further failure in a row doubles the wait (./backoff.ts), jittered to ½–1×.
 */
export const RETRY_BASE_MS = 1_000;
/** The longest wait between retries: a content nobody can serve costs a member one try per few minutes. */
export const RETRY_MAX_MS = 300_000;
/** repairMany reverts only when nothing changed, which the indexed state must show first: its first retry waits longer. */
export const REPAIR_RETRY_BASE_MS = 5_000;
/** reportUnusable transactions one node has under way at once (side by side, consecutive nonces). */
export const MAX_REPORTS_IN_FLIGHT = 4;
/** How often the node compares its store with its assignments (the work list), unless configured. */
export const DEFAULT_REPLICATION_INTERVAL_MS = 500;
/** DEK pulls under way at once, unless configured. */
export const DEFAULT_PULL_CONCURRENCY = 16;
/** Deadline of one pull request, unless configured. */
export const DEFAULT_PULL_TIMEOUT_MS = 10_000;
/** Indexer page size of the work list. */
export const WORK_PAGE_LIMIT = 1000;
/** repairMany transactions one node has under way at once (side by side, consecutive nonces). */
export const MAX_REPAIR_BATCHES_IN_FLIGHT = 4;
/** A recovery seed may expire at most this far ahead of the validator's clock (bounds its nonce table entry). */
export const MAX_RECOVERY_LIFETIME_S = 300;
