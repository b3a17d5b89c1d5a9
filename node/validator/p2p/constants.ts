/**
 * Protocol ids, defaults and hard limits of the validator's libp2p layer. Every number a
 * reviewer may want to tune lives here; `options.ts` documents which ones are configurable.
 */

/** Namespace of every dekmesh protocol id: `/dekmesh/<name>/<semver>`. */
export const PROTOCOL_NAMESPACE = "dekmesh";

/** Shape of a dekmesh protocol id; names are lower-case words joined by dashes. */
export const PROTOCOL_ID_PATTERN = /^\/dekmesh\/[a-z][a-z0-9-]{0,31}\/\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/** Builds a versioned protocol id, e.g. `protocolId("replicate")` → `/dekmesh/replicate/1.0.0`. */
export function protocolId(name: string, version = "1.0.0"): string {
  return `/${PROTOCOL_NAMESPACE}/${name}/${version}`;
}

/** DEK replication between validators (docs/architecture.md#replication). */
export const PROTOCOL_REPLICATE = protocolId("replicate");
/** Forwarded rewrap requests (docs/architecture.md#rewrap-and-forwarding forward-if-not-have). */
export const PROTOCOL_REWRAP = protocolId("rewrap");
/** "Do you hold the DEK of this content?" (docs/architecture.md#rewrap-and-forwarding discovery). */
export const PROTOCOL_HAS = protocolId("has");

/**
 * Our own Kademlia protocol id, so a validator never joins (or answers) the public IPFS DHT
 * even if a foreign peer slipped past the gater.
 */
export const DHT_PROTOCOL = protocolId("kad");

/**
 * Delay before the DHT's first self-lookup after start. DHT queries wait for that lookup, so it
 * bounds how soon a freshly started validator can publish or find provider records
 * (kad-dht's own default is 1 s).
 */
export const DHT_INITIAL_SELF_QUERY_MS = 250;

/** Default ceiling for one request or response body (the frame, without its length prefix). */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024;

/**
 * Absolute ceiling for any frame on any protocol. It equals libp2p's default per-stream read
 * buffer (4 MiB): a larger frame could not be buffered by the stream anyway.
 */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

/**
 * Longest length prefix we accept: 5 bytes of unsigned LEB128 carry 35 bits, more than
 * MAX_MESSAGE_BYTES needs. Anything longer is malformed, not merely large.
 */
export const MAX_VARINT_BYTES = 5;

/** Time a responder allows for reading the request, running the handler and writing the answer. */
export const DEFAULT_HANDLER_TIMEOUT_MS = 10_000;

/** Time a requester allows for dialing, sending and receiving, unless the caller's signal says otherwise. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

/** Concurrent inbound streams per protocol, across all peers; more get a `P2P_BUSY` answer. */
export const DEFAULT_MAX_INBOUND_STREAMS = 64;

/**
 * Streams per protocol and connection libp2p accepts beyond our own limit, so that excess
 * requests get a `P2P_BUSY` answer rather than a bare stream reset; past this, libp2p resets.
 */
export const BUSY_ANSWER_HEADROOM = 16;

/**
 * Concurrent outbound streams per protocol and connection that libp2p allows before it refuses
 * to open another one (its own default is 64; a validator relaying bulk requests needs more).
 */
export const DEFAULT_MAX_OUTBOUND_STREAMS = 256;

/**
 * Streams a peer may open on a new connection before our side has finished setting it up (the
 * gate's check runs in between). Yamux's default of 10 resets the whole connection when a peer
 * fires more requests than that at a fresh connection; this matches the outbound stream limit.
 */
export const MAX_EARLY_STREAMS = DEFAULT_MAX_OUTBOUND_STREAMS;

/**
 * After a responder has answered it waits this long for the requester to close its side before
 * resetting the stream, so a peer that never closes cannot pin a stream.
 */
export const CLOSE_GRACE_MS = 2_000;

/**
 * A responder that refused a peer no longer allowed hangs up on it this long after the refusal.
 * Hanging up at once let the requester's muxer close the stream before it had delivered the
 * refusal, so the requester saw an empty answer (P2P_TRUNCATED): 7 of 180 refusals on a loaded
 * machine, 0 of 240 with a 200 ms wait and 0 of 240 with this one. Every new stream is checked
 * against the gate anyway, so the wait gives the peer nothing but the refusal.
 */
export const REFUSED_PEER_HANG_UP_DELAY_MS = 500;

/** How long an allow/deny decision about a peer is reused. */
export const DEFAULT_PEER_CACHE_TTL_MS = 30_000;

/** Default deadline for DHT queries (provide, findProviders). */
export const DEFAULT_DHT_QUERY_TIMEOUT_MS = 15_000;

/**
 * Default number of `provide` queries under way at once; more wait their turn. Each is a
 * Kademlia lookup plus an ADD_PROVIDER to every closest peer, about eight streams. Unbounded,
 * a stream of stored xor DEKs (bench:replication: 30 a second across 5 validators) kept dozens
 * of lookups open at once, and one process spent its time on them, not on pulls: convergence
 * p50 2.2 s. With 1, 2 or 4 at a time the queue still drained as fast as DEKs arrived and p50
 * was 1.0–1.7 s (1 at a time: 1.06 s in one run; 2: 1.06–1.49 s in three; 4: 1.46–1.67 s in
 * two). Where lookups wait on WAN round trips rather than on CPU, raise it (`dhtProvideConcurrency`).
 */
export const DEFAULT_DHT_PROVIDE_CONCURRENCY = 2;

/** Default number of providers `findProviders` collects before it stops the query. */
export const DEFAULT_FIND_PROVIDERS_LIMIT = 20;

/** Delay between bootstrap dial rounds while the node has no connection at all. */
export const DEFAULT_BOOTSTRAP_RETRY_MS = 5_000;

/** Where a node listens unless told otherwise: one TCP port the OS picks, on IPv4 loopback. */
export const DEFAULT_LISTEN: readonly string[] = ["/ip4/127.0.0.1/tcp/0"];

/** New inbound connections per second from one IP address, before any handshake (libp2p's own default). */
export const DEFAULT_INBOUND_CONNECTIONS_PER_HOST_PER_SECOND = 5;

/** First byte of a response frame: what follows is the handler's answer. */
export const RESPONSE_OK = 0x00;
/** First byte of a response frame: what follows is a JSON error `{ code, message, details, retryable }`. */
export const RESPONSE_ERROR = 0x01;

/** Limits on the error a peer may send back, so a hostile peer cannot flood logs. */
export const MAX_ERROR_CODE_LENGTH = 64;
export const MAX_ERROR_MESSAGE_LENGTH = 512;
export const ERROR_CODE_PATTERN = /^[A-Z][A-Z0-9_]{0,63}$/;
