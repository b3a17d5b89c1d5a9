/**
 * The validator HTTP API's paths, limits and defaults (docs/http.md). Body limits are the
 * transport's: the rewrap wire decoders (node/protocol/rewrap/wire.ts) apply their own, tighter ones
 * after the body is read.
 */

/** POST /v1/rewrap body. */
export const MAX_REWRAP_BODY_BYTES = 16 * 1024;
/** POST /v1/rewrap/bulk body. */
export const MAX_BULK_BODY_BYTES = 512 * 1024;
/** POST /v1/session body. */
export const MAX_SESSION_BODY_BYTES = 4 * 1024;
/** POST /v1/recover body (a recovery seed is ~600 bytes). */
export const MAX_RECOVER_BODY_BYTES = 4 * 1024;
/** PUT /v1/content/:cid body, unless the node says otherwise. */
export const DEFAULT_MAX_UPLOAD_BYTES = 1024 * 1024 * 1024;

/** Receiving a JSON body must finish within this; an upload may not stall longer between chunks. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/**
 * An upload's average rate since its body started, once past the grace period. 32 KiB/s (256
 * kbit/s) passes any real uplink; a client trickling to hold a connection must pay for it: 1,024
 * connections cost 32 MiB/s sustained.
 */
export const DEFAULT_UPLOAD_MIN_BYTES_PER_SECOND = 32 * 1024;
/** The minimum upload rate is first checked this long after the body started (TCP slow start, a slow first import). */
export const DEFAULT_UPLOAD_GRACE_MS = 10_000;
/** Receiving the request line and headers must finish within this (slowloris). */
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
/** An idle keep-alive connection is closed after this. */
export const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** Open TCP connections; the kernel's backlog holds the rest, Node drops those over it. */
export const DEFAULT_MAX_CONNECTIONS = 1_024;
/**
 * Open TCP connections from one remote address: a single host cannot take every slot. Behind a
 * reverse proxy every connection comes from the proxy: set it to `maxConnections` there.
 */
export const DEFAULT_MAX_CONNECTIONS_PER_IP = 256;
/** Requests served on one keep-alive connection; the last answer says `Connection: close`. */
export const DEFAULT_MAX_REQUESTS_PER_CONNECTION = 10_000;
/** An upload of a CID the indexer does not know yet waits this long for it to catch up. */
export const DEFAULT_REGISTRATION_WAIT_MS = 10_000;
/** How often that wait asks the indexer again. */
export const REGISTRATION_POLL_MS = 250;
/** stop(): in-flight requests get this long before their connections are cut. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 5_000;

/** Latency histogram buckets (seconds): rewraps sit in the low milliseconds, uploads in seconds. */
export const LATENCY_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Seconds a client should wait before retrying a 503 (HTTP errors; rewrap refusals say `retryable` in their body). */
export const RETRY_AFTER_S = 1;

/**
 * Status line and headers of every rewrap refusal, padded to exactly this with `x-padding`: with
 * the REFUSAL_BYTES body (256) every refusal is 576 bytes on the wire, whatever its code, status
 * or connection handling, so a TLS observer cannot tell an access denial from a replay. The
 * longest unpadded head (500, keep-alive with the longest hint the options allow) is ~265 bytes.
 */
export const REFUSAL_HEAD_BYTES = 320;
/** Padding header of rewrap refusals (see REFUSAL_HEAD_BYTES). */
export const PADDING_HEADER = "x-padding";
