import type { DekStore } from "../store/index.js";
import type { IndexerClient } from "../../indexer-client/index.js";
import type { AccessDecider } from "../access/index.js";
import type { P2pNode } from "../p2p/index.js";
import type { RewrapCrypto } from "./crypto.js";
import type { ShareSource } from "./share.js";
import {
  DEFAULT_FORWARD_TIMEOUT_MS,
  DEFAULT_MAX_FORWARD_ATTEMPTS,
  DEFAULT_MAX_INBOUND_FORWARDS,
  DEFAULT_MAX_REQUEST_LIFETIME_S,
  DEFAULT_MAX_SESSION_LIFETIME_S,
  DEFAULT_SESSION_CACHE_SIZE,
} from "./constants.js";
import { MAX_BULK_CONTENTS } from "../../protocol/rewrap/constants.js";
import type { Address, Hex } from "../../protocol/rewrap/types.js";
import type { Logger } from "../../protocol/logger.js";

/** The store calls the rewrap path makes (DekStore has them all). */
export type RewrapStore = Pick<DekStore, "getDek" | "nonceSeen" | "rememberNonce" | "appendAudit" | "appendAudits">;

/** The access decisions the rewrap path asks for (AccessDecider has them all). */
export type RewrapAccess = Pick<AccessDecider, "access" | "cachedAccess" | "accessMany">;

/** The indexer reads the rewrap path makes besides access: holders to forward to (IndexerClient has them). */
export type RewrapIndexer = Pick<IndexerClient, "holders">;

/** The p2p calls forwarding makes (P2pNode has them all). */
export type RewrapP2p = Pick<P2pNode, "peerId" | "handle" | "unhandle" | "request" | "findProviders">;

export interface RewrapServiceComponents {
  store: RewrapStore;
  access: RewrapAccess;
  indexer: RewrapIndexer;
  /** Without it the node cannot forward: a content it lacks is refused REWRAP_NOT_HOLDER. */
  p2p?: RewrapP2p;
  /** EIP-712 domain: the chain id and the RewrapAuditLog address. */
  chainId: bigint | number;
  auditLog: Address;
  /** Milliseconds since the epoch; default Date.now. */
  clock?: () => number;
  logger?: Logger;
  /**
   * Called (not awaited) when a request the policy allows names a content this node lacks —
   * the replication engine's cue to pull the DEK if the node is in the replica set.
   */
  onMissingDek?: (contentId: Hex) => void;
  /**
   * Whether this node may serve from the DEKs it holds; default always. A validator that left
   * the active set lost that power: it forwards every request to the content's active holders
   * and refuses forwarded ones (REWRAP_NOT_HOLDER), so nothing it serves after its exit needs a
   * record the chain would no longer accept.
   */
  mayServe?: () => boolean;
  /** Where signature checks and wraps run; default per `cryptoWorkers`. Not closed by the service. */
  crypto?: RewrapCrypto;
  /** This node's threshold shares (../threshold/member.ts); without it every share request is refused REWRAP_NOT_HOLDER. */
  shares?: ShareSource;
}

export interface RewrapServiceOptions {
  /** A request may expire at most this many seconds ahead (bounds the replay table). Default 300. */
  maxRequestLifetimeS?: number;
  /** A session grant may expire at most this many seconds ahead. Default 86,400 (24 h). */
  maxSessionLifetimeS?: number;
  /** Contents per bulk request, at most 1,000. Default 1,000. */
  maxBulkContents?: number;
  /** Verified session grants kept in memory. Default 100,000. */
  sessionCacheSize?: number;
  /** Holders tried per content when forwarding. Default 3. */
  maxForwardAttempts?: number;
  /** Deadline of one forwarded request. Default 5 s. */
  forwardTimeoutMs?: number;
  /** Forwarded requests this node serves at once. Default 256. */
  maxInboundForwards?: number;
  /**
   * Worker threads for signature checks, recoveries and wraps; 0 (default) runs them on the
   * main thread. With workers the main thread keeps only the store, the caches and the order of
   * checks (~half its per-request CPU). Measure with the HTTP benchmark on the target machine:
   * on a shared 2-core machine neither setting won consistently (docs/rewrap.md).
   */
  cryptoWorkers?: number;
}

export type ResolvedRewrapServiceOptions = Required<RewrapServiceOptions>;

function integer(name: string, value: number | undefined, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < min || v > max) throw new RangeError(`rewrap option ${name} must be an integer in [${min}, ${max}]`);
  return v;
}

export function resolveOptions(options: RewrapServiceOptions): ResolvedRewrapServiceOptions {
  return {
    maxRequestLifetimeS: integer("maxRequestLifetimeS", options.maxRequestLifetimeS, DEFAULT_MAX_REQUEST_LIFETIME_S, 1),
    maxSessionLifetimeS: integer("maxSessionLifetimeS", options.maxSessionLifetimeS, DEFAULT_MAX_SESSION_LIFETIME_S, 1),
    maxBulkContents: integer("maxBulkContents", options.maxBulkContents, MAX_BULK_CONTENTS, 1, MAX_BULK_CONTENTS),
    sessionCacheSize: integer("sessionCacheSize", options.sessionCacheSize, DEFAULT_SESSION_CACHE_SIZE, 1),
    maxForwardAttempts: integer("maxForwardAttempts", options.maxForwardAttempts, DEFAULT_MAX_FORWARD_ATTEMPTS, 1),
    forwardTimeoutMs: integer("forwardTimeoutMs", options.forwardTimeoutMs, DEFAULT_FORWARD_TIMEOUT_MS, 1),
    maxInboundForwards: integer("maxInboundForwards", options.maxInboundForwards, DEFAULT_MAX_INBOUND_FORWARDS, 1),
    cryptoWorkers: integer("cryptoWorkers", options.cryptoWorkers, 0, 0, 64),
  };
}
