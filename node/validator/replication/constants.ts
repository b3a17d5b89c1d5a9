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
/** A content whose header failed verification, or whose repair reverted, is retried after this. */
export const RETRY_AFTER_FAILURE_MS = 5_000;
/** Indexer page size of the work list. */
export const WORK_PAGE_LIMIT = 1000;
/** Sets per repairMany transaction (ContentRegistry's MAX_REPAIR_BATCH). */
export const MAX_REPAIR_BATCH = 100;
/** repairMany transactions one node has under way at once (side by side, consecutive nonces). */
export const MAX_REPAIR_BATCHES_IN_FLIGHT = 4;
/** A recovery seed's JSON (POST /v1/recover): ~600 bytes; 4 KiB is the whole allowance. */
export const MAX_RECOVERY_SEED_BYTES = 4 * 1024;
/** A recovery seed may expire at most this far ahead of the validator's clock (bounds its nonce table entry). */
export const MAX_RECOVERY_LIFETIME_S = 300;
