import type { PrivateKey } from "@libp2p/interface";
import { multiaddr, type Multiaddr } from "@multiformats/multiaddr";
import {
  DEFAULT_BOOTSTRAP_RETRY_MS,
  DEFAULT_DHT_PROVIDE_CONCURRENCY,
  DEFAULT_DHT_QUERY_TIMEOUT_MS,
  DEFAULT_HANDLER_TIMEOUT_MS,
  DEFAULT_INBOUND_CONNECTIONS_PER_HOST_PER_SECOND,
  DEFAULT_LISTEN,
  DEFAULT_MAX_INBOUND_STREAMS,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_PEER_CACHE_TTL_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  MAX_MESSAGE_BYTES,
  PROTOCOL_ID_PATTERN,
} from "./constants.js";
import { P2pError } from "./errors.js";
import type { Logger } from "../../protocol/logger.js";

/** What the p2p layer needs from the rest of the node. */
export interface P2pNodeComponents {
  /** The node's libp2p identity: a secp256k1 key the crypto core derives from the operator root. */
  privateKey: PrivateKey;
  /**
   * Whether a peer id belongs to an active, non-revoked validator (answered from the indexer).
   * A rejection or error counts as "no" for new connections.
   */
  isAllowedPeer(peerId: string): Promise<boolean>;
  logger?: Logger;
}

export interface P2pNodeOptions {
  /** Addresses to listen on. Default: one TCP port on IPv4 loopback. */
  listen?: string[];
  /** Addresses to advertise instead of the listening ones (e.g. behind NAT). */
  announce?: string[];
  /** Peers to dial at start, each `…/p2p/<peer id>`; the only discovery besides the DHT itself. */
  bootstrap?: string[];
  /** Delay between bootstrap rounds while the node has no connection. Default 5 s. */
  bootstrapRetryMs?: number;
  /** How long an allow/deny decision about a peer is reused. Default 30 s. */
  peerCacheTtlMs?: number;
  /**
   * How often connected peers are checked again. Default: half the cache TTL, so a validator
   * that left the active set loses its connections within one TTL. 0 turns the timer off
   * (then only `revalidate()` drops connections).
   */
  revalidateIntervalMs?: number;
  /** `server` answers DHT queries (validators); `client` only asks. Default `server`. */
  dhtMode?: "server" | "client";
  /** Deadline for `provide` and `findProviders` unless a signal says otherwise (from the query's start). Default 15 s. */
  dhtQueryTimeoutMs?: number;
  /** `provide` queries under way at once; the rest wait their turn. Default 2. */
  dhtProvideConcurrency?: number;
  /** Deadline for `request` unless a signal says otherwise. Default 10 s. */
  requestTimeoutMs?: number;
  /**
   * New inbound connections accepted per second from one IP address, before any handshake.
   * Default 5 (libp2p's); a devnet with many validators on one host needs more.
   */
  inboundConnectionsPerHostPerSecond?: number;
}

export interface ResolvedP2pNodeOptions {
  listen: Multiaddr[];
  announce: Multiaddr[];
  bootstrap: Multiaddr[];
  bootstrapRetryMs: number;
  peerCacheTtlMs: number;
  revalidateIntervalMs: number;
  dhtMode: "server" | "client";
  dhtQueryTimeoutMs: number;
  dhtProvideConcurrency: number;
  requestTimeoutMs: number;
  inboundConnectionsPerHostPerSecond: number;
}

export interface HandleOptions {
  /** Largest request body the handler accepts. Default 64 KiB, at most 4 MiB. */
  maxRequestBytes?: number;
  /** Largest answer the handler may send (its status byte included). Default 64 KiB, at most 4 MiB. */
  maxResponseBytes?: number;
  /** Deadline for reading the request, running the handler and answering. Default 10 s. */
  timeoutMs?: number;
  /** Requests of this protocol served at once, across all peers; more are answered `P2P_BUSY`. Default 64. */
  maxInboundStreams?: number;
}

export type ResolvedHandleOptions = Required<HandleOptions>;

export interface RequestOptions {
  signal?: AbortSignal;
  /** Overrides the node's request deadline for this call. */
  timeoutMs?: number;
  /** Largest answer accepted (its status byte included). Default 64 KiB, at most 4 MiB. */
  maxResponseBytes?: number;
}

/** A validator this node may join the DHT through: its peer id and registered addresses. */
export interface DhtSeed {
  peerId: string;
  multiaddrs: readonly string[];
}

export interface DhtQueryOptions {
  signal?: AbortSignal;
  /**
   * Where to join the DHT when no DHT peer is connected (the node met nobody yet — no bootstrap,
   * no pull — or every peer it knew is gone): up to `DHT_SEED_DIALS` of them are dialed before
   * the query. Called only then. The daemon passes the active validators.
   */
  seeds?: () => Promise<readonly DhtSeed[]>;
}

export interface FindProvidersOptions extends DhtQueryOptions {
  /** Stop once this many providers are known. Default 20. */
  limit?: number;
}

export function resolveNodeOptions(options: P2pNodeOptions): ResolvedP2pNodeOptions {
  const peerCacheTtlMs = positive("peerCacheTtlMs", options.peerCacheTtlMs ?? DEFAULT_PEER_CACHE_TTL_MS);
  const bootstrap = addresses("bootstrap", options.bootstrap ?? []);
  for (const address of bootstrap) {
    if (address.getComponents().every((component) => component.name !== "p2p")) {
      throw invalid(`bootstrap address ${address.toString()} has no /p2p/<peer id>`);
    }
  }
  const dhtMode = options.dhtMode ?? "server";
  if (dhtMode !== "server" && dhtMode !== "client") throw invalid(`dhtMode must be "server" or "client"`);
  return {
    listen: addresses("listen", options.listen ?? DEFAULT_LISTEN),
    announce: addresses("announce", options.announce ?? []),
    bootstrap,
    bootstrapRetryMs: positive("bootstrapRetryMs", options.bootstrapRetryMs ?? DEFAULT_BOOTSTRAP_RETRY_MS),
    peerCacheTtlMs,
    revalidateIntervalMs: nonNegative(
      "revalidateIntervalMs",
      options.revalidateIntervalMs ?? Math.max(1, Math.floor(peerCacheTtlMs / 2)),
    ),
    dhtMode,
    dhtQueryTimeoutMs: positive("dhtQueryTimeoutMs", options.dhtQueryTimeoutMs ?? DEFAULT_DHT_QUERY_TIMEOUT_MS),
    dhtProvideConcurrency: positive("dhtProvideConcurrency", options.dhtProvideConcurrency ?? DEFAULT_DHT_PROVIDE_CONCURRENCY),
    requestTimeoutMs: positive("requestTimeoutMs", options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS),
    inboundConnectionsPerHostPerSecond: positive(
      "inboundConnectionsPerHostPerSecond",
      options.inboundConnectionsPerHostPerSecond ?? DEFAULT_INBOUND_CONNECTIONS_PER_HOST_PER_SECOND,
    ),
  };
}

export function resolveHandleOptions(options: HandleOptions): ResolvedHandleOptions {
  return {
    maxRequestBytes: messageLimit("maxRequestBytes", options.maxRequestBytes ?? DEFAULT_MAX_MESSAGE_BYTES),
    maxResponseBytes: messageLimit("maxResponseBytes", options.maxResponseBytes ?? DEFAULT_MAX_MESSAGE_BYTES),
    timeoutMs: positive("timeoutMs", options.timeoutMs ?? DEFAULT_HANDLER_TIMEOUT_MS),
    maxInboundStreams: positive("maxInboundStreams", options.maxInboundStreams ?? DEFAULT_MAX_INBOUND_STREAMS),
  };
}

export function assertProtocolId(protocol: string): void {
  if (!PROTOCOL_ID_PATTERN.test(protocol)) {
    throw invalid(`protocol id ${JSON.stringify(protocol)} is not /dekmesh/<name>/<major>.<minor>.<patch>`);
  }
}

export function messageLimit(name: string, value: number): number {
  // The error answer must fit too: status byte plus a short JSON object.
  if (!Number.isSafeInteger(value) || value < 128 || value > MAX_MESSAGE_BYTES) {
    throw invalid(`${name} must be an integer between 128 and ${MAX_MESSAGE_BYTES}`);
  }
  return value;
}

function positive(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw invalid(`${name} must be a positive integer`);
  return value;
}

function nonNegative(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) throw invalid(`${name} must be a non-negative integer`);
  return value;
}

function addresses(name: string, values: readonly string[]): Multiaddr[] {
  return values.map((value) => {
    try {
      return multiaddr(value);
    } catch (cause) {
      throw invalid(`${name}: ${JSON.stringify(value)} is not a multiaddr`, cause);
    }
  });
}

function invalid(message: string, cause?: unknown): P2pError {
  return new P2pError("P2P_INVALID_ARGUMENT", message, { cause });
}
