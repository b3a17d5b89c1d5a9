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
  DEFAULT_MAX_UPLOAD_BYTES,
  DEFAULT_REGISTRATION_WAIT_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_SHUTDOWN_GRACE_MS,
} from "./constants.js";

/** Structured JSON log sink; the server logs routes, statuses and codes — never bodies, keys or signatures. */
export interface HttpLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

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
}

export interface Readiness {
  ready: boolean;
  checks: Record<string, ReadinessCheck>;
}

export interface ValidatorHttpComponents {
  rewrap: Pick<RewrapService, "rewrap" | "rewrapBulk" | "registerSession">;
  store: Pick<DekStore, "hasDek">;
  pins: Pick<PinStore, "put" | "has" | "get" | "size">;
  /** Upload: is the CID registered on chain? */
  indexer: Pick<IndexerClient, "holders">;
  /**
   * POST /v1/recover: a publisher re-seeds a DEK (node/replication/recovery.ts). Without it the
   * route is not served (404).
   */
  recovery?: Pick<DekRecovery, "accept">;
  info: () => ValidatorInfo;
  /** Chain reachable, indexer fresh, p2p started, store open… (GET /ready). */
  readiness: () => Promise<Readiness>;
  /** GET /metrics renders it; the server registers its own HTTP metrics on it. */
  metrics: MetricsRegistry;
  logger: HttpLogger;
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
  /** The request line and headers must arrive within this. Default 10 s. */
  headersTimeoutMs?: number;
  /** Open connections at once. Default 1,024. */
  maxConnections?: number;
  /** Idle keep-alive connections are closed after this. Default 5 s. */
  keepAliveTimeoutMs?: number;
  /** Upload of a CID the indexer does not know yet: how long to wait for it. Default 10 s. */
  registrationWaitMs?: number;
  /** stop(): how long in-flight requests may finish before connections are cut. Default 5 s. */
  shutdownGraceMs?: number;
}

export type ResolvedHttpOptions = Required<ValidatorHttpOptions>;

function integer(name: string, value: number | undefined, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < min || v > max) throw new RangeError(`http option ${name} must be an integer in [${min}, ${max}]`);
  return v;
}

export function resolveHttpOptions(options: ValidatorHttpOptions): ResolvedHttpOptions {
  return {
    host: options.host ?? "127.0.0.1",
    port: integer("port", options.port, 0, 0, 65_535),
    maxUploadBytes: integer("maxUploadBytes", options.maxUploadBytes, DEFAULT_MAX_UPLOAD_BYTES, 1),
    requestTimeoutMs: integer("requestTimeoutMs", options.requestTimeoutMs, DEFAULT_REQUEST_TIMEOUT_MS, 1),
    headersTimeoutMs: integer("headersTimeoutMs", options.headersTimeoutMs, DEFAULT_HEADERS_TIMEOUT_MS, 1),
    maxConnections: integer("maxConnections", options.maxConnections, DEFAULT_MAX_CONNECTIONS, 1),
    keepAliveTimeoutMs: integer("keepAliveTimeoutMs", options.keepAliveTimeoutMs, DEFAULT_KEEP_ALIVE_TIMEOUT_MS, 1),
    registrationWaitMs: integer("registrationWaitMs", options.registrationWaitMs, DEFAULT_REGISTRATION_WAIT_MS, 0),
    shutdownGraceMs: integer("shutdownGraceMs", options.shutdownGraceMs, DEFAULT_SHUTDOWN_GRACE_MS, 0),
  };
}
