import type { IndexerClient } from "../../indexer-client/index.js";
import type { PinStore } from "../../ipfs/index.js";
import type { MetricsRegistry } from "../metrics/index.js";
import type { DekRecovery } from "../replication/index.js";
import type { RewrapService } from "../rewrap/index.js";
import type { DekStore } from "../store/index.js";
import {
  DEFAULT_HEADERS_TIMEOUT_MS,
  DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_CONNECTIONS_PER_IP,
  DEFAULT_MAX_REQUESTS_PER_CONNECTION,
  DEFAULT_MAX_UPLOAD_BYTES,
  DEFAULT_REGISTRATION_WAIT_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_SHUTDOWN_GRACE_MS,
  DEFAULT_UPLOAD_GRACE_MS,
  DEFAULT_UPLOAD_MIN_BYTES_PER_SECOND,
} from "./constants.js";
import type { Logger } from "../../protocol/logger.js";

/** GET /v1/info: what a client needs to know about this validator. */
export interface ValidatorInfo {
  address: string;
  peerId: string;
  multiaddrs: string[];
  /** Key id of the current KAS key (NanoTDF headers name it). */
  kid: string;
  /** Current KAS public key, 33-byte compressed P-256, 0x-hex. */
  kasPublicKey: string;
  /** The registered HTTP endpoint (this server's public base URL). */
  endpoint: string;
  chainId: number;
  version: string;
}

export interface ReadinessCheck {
  ok: boolean;
  detail?: string;
  /** Failing, but the node still serves without it (e.g. an indexer the chain stands in for). */
  degraded?: boolean;
}

export interface Readiness {
  ready: boolean;
  checks: Record<string, ReadinessCheck>;
}

export interface ValidatorHttpComponents {
  rewrap: Pick<RewrapService, "rewrap" | "rewrapBulk" | "rewrapShare" | "registerSession">;
  store: Pick<DekStore, "hasDek" | "evidenceBlob">;
  pins: Pick<PinStore, "put" | "has" | "get" | "size">;
  /** Upload: is the CID registered on chain? */
  indexer: Pick<IndexerClient, "holders">;
  /**
   * POST /v1/recover: a publisher re-seeds a DEK (node/validator/replication/recovery.ts). Without it the
   * route is not served (404).
   */
  recovery?: Pick<DekRecovery, "accept">;
  info: () => ValidatorInfo;
  /** Chain reachable, indexer fresh, p2p started, store open… (GET /ready). */
  readiness: () => Promise<Readiness>;
  /** GET /metrics renders it; the server registers its own HTTP metrics on it. */
  metrics: MetricsRegistry;
  /** The server logs routes, statuses and codes — never bodies, keys or signatures. */
  logger: Logger;
}

export interface ValidatorHttpOptions {
  /** Listen address; default 127.0.0.1. */
  host?: string;
  /** Listen port; default 0 (the OS picks one; `url` tells which). */
  port?: number;
  /** PUT /v1/content/:cid body limit; default 1 GiB. */
  maxUploadBytes?: number;
  /** A JSON body must arrive within this; an upload may not stall longer between chunks. Default 10 s. */
  requestTimeoutMs?: number;
  /** An upload's average rate since its body started must stay at least this once past `uploadGraceMs`. Default 32 KiB/s. */
  uploadMinBytesPerSecond?: number;
  /** How long an upload may stay under `uploadMinBytesPerSecond` at its start. Default 10 s. */
  uploadGraceMs?: number;
  /**
   * An upload's body must arrive within this whatever its rate. Default `uploadGraceMs` +
   * `maxUploadBytes` / `uploadMinBytesPerSecond` (1 GiB at 32 KiB/s: ~9.1 h).
   */
  uploadTimeoutMs?: number;
  /** The request line and headers must arrive within this. Default 10 s. */
  headersTimeoutMs?: number;
  /** Open connections at once. Default 1,024. */
  maxConnections?: number;
  /** Open connections from one remote address. Default 256 (behind a reverse proxy: `maxConnections`). */
  maxConnectionsPerIp?: number;
  /** Requests on one keep-alive connection; the last answer closes it. Default 10,000. */
  maxRequestsPerConnection?: number;
  /** Idle keep-alive connections are closed after this. Default 5 s, at most 1 h. */
  keepAliveTimeoutMs?: number;
  /** Upload of a CID the indexer does not know yet: how long to wait for it. Default 10 s. */
  registrationWaitMs?: number;
  /** stop(): how long in-flight requests may finish before connections are cut. Default 5 s. */
  shutdownGraceMs?: number;
}

export type ResolvedHttpOptions = Required<ValidatorHttpOptions>;

/** setTimeout's longest delay (a longer one fires at once). */
const MAX_TIMER_MS = 2 ** 31 - 1;

function integer(name: string, value: number | undefined, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < min || v > max) throw new RangeError(`http option ${name} must be an integer in [${min}, ${max}]`);
  return v;
}

export function resolveHttpOptions(options: ValidatorHttpOptions): ResolvedHttpOptions {
  const maxUploadBytes = integer("maxUploadBytes", options.maxUploadBytes, DEFAULT_MAX_UPLOAD_BYTES, 1);
  const uploadMinBytesPerSecond = integer("uploadMinBytesPerSecond", options.uploadMinBytesPerSecond, DEFAULT_UPLOAD_MIN_BYTES_PER_SECOND, 1);
  const uploadGraceMs = integer("uploadGraceMs", options.uploadGraceMs, DEFAULT_UPLOAD_GRACE_MS, 0, MAX_TIMER_MS);
  return {
    host: options.host ?? "127.0.0.1",
    port: integer("port", options.port, 0, 0, 65_535),
    maxUploadBytes,
    requestTimeoutMs: integer("requestTimeoutMs", options.requestTimeoutMs, DEFAULT_REQUEST_TIMEOUT_MS, 1),
    uploadMinBytesPerSecond,
    uploadGraceMs,
    uploadTimeoutMs: integer(
      "uploadTimeoutMs",
      options.uploadTimeoutMs,
      Math.min(MAX_TIMER_MS, uploadGraceMs + Math.ceil((maxUploadBytes / uploadMinBytesPerSecond) * 1000)),
      1,
      MAX_TIMER_MS,
    ),
    headersTimeoutMs: integer("headersTimeoutMs", options.headersTimeoutMs, DEFAULT_HEADERS_TIMEOUT_MS, 1),
    maxConnections: integer("maxConnections", options.maxConnections, DEFAULT_MAX_CONNECTIONS, 1),
    maxConnectionsPerIp: integer("maxConnectionsPerIp", options.maxConnectionsPerIp, DEFAULT_MAX_CONNECTIONS_PER_IP, 1),
    // The bounds keep the Keep-Alive hint of a refusal within REFUSAL_HEAD_BYTES.
    maxRequestsPerConnection: integer("maxRequestsPerConnection", options.maxRequestsPerConnection, DEFAULT_MAX_REQUESTS_PER_CONNECTION, 1, 1_000_000),
    keepAliveTimeoutMs: integer("keepAliveTimeoutMs", options.keepAliveTimeoutMs, DEFAULT_KEEP_ALIVE_TIMEOUT_MS, 1, 3_600_000),
    registrationWaitMs: integer("registrationWaitMs", options.registrationWaitMs, DEFAULT_REGISTRATION_WAIT_MS, 0),
    shutdownGraceMs: integer("shutdownGraceMs", options.shutdownGraceMs, DEFAULT_SHUTDOWN_GRACE_MS, 0),
  };
}
