/** File names inside the store's directory. */
export const DATABASE_FILE = "store.sqlite";
export const LOCK_FILE = "store.lock";


/**
 * Default bound of the replay table. At ~120 bytes per row (key, index entry, page slack) a
 * full table is ~120 MB; it holds e.g. 3,000 requests/s with a 5-minute request lifetime.
 */
export const DEFAULT_MAX_NONCES = 1_000_000;
/**
 * Default bound of one account's share of the replay table, so that one account (signing
 * requests for anything, registered or not) fills its own share and not the table: 100,000
 * unexpired nonces is ~330 requests/s for the longest request lifetime (5 minutes).
 */
export const DEFAULT_MAX_NONCES_PER_ACCOUNT = 100_000;
/** Grouped writes are committed at the end of the event-loop turn, or earlier at this many. */
export const DEFAULT_MAX_GROUP_SIZE = 2048;
/** How often (in seconds of the store's clock) expired nonces are deleted. */
export const NONCE_PRUNE_INTERVAL_S = 1;

export const DEK_LENGTH = 32;
export const CONTENT_ID_LENGTH = 32;
export const ADDRESS_LENGTH = 20;
export const DIGEST_LENGTH = 32;
export const TX_HASH_LENGTH = 32;
export const NONCE_LENGTH = 32;
