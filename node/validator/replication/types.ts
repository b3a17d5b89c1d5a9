/**
 * The replication engine's public types (its components, options and stats), and the context
 * its parts — work list, planner, derives, pulls, repairs, protocol services — share.
 */
import type { Address, Hex } from "viem";
import type { IndexerClient, ReplicationContent } from "../../indexer-client/index.js";
import type { ChainAccount } from "../../crypto/keys/index.js";
import type { P2pNode } from "../p2p/index.js";
import type { DekStore } from "../store/index.js";
import type { UnusableReason } from "../../protocol/unusableReasons.js";
import { Backoff } from "./backoff.js";
import {
  DEFAULT_PULL_CONCURRENCY,
  DEFAULT_PULL_TIMEOUT_MS,
  DEFAULT_REPLICATION_INTERVAL_MS,
  REPAIR_RETRY_BASE_MS,
  RETRY_BASE_MS,
  RETRY_MAX_MS,
} from "./constants.js";
import { silentLogger, type Logger } from "../../protocol/logger.js";

export interface ReplicationComponents {
  store: Pick<DekStore, "getDek" | "hasDek" | "putDek" | "kasKeyRing" | "getDekInfo" | "shareContentIds">;
  indexer: Pick<IndexerClient, "replication" | "holders" | "activeValidators" | "chainHead">;
  p2p: Pick<P2pNode, "handle" | "unhandle" | "request" | "provide" | "findProviders" | "revalidate">;
  /** This node's chain account (signs envelopes it serves). */
  account: ChainAccount;
  /**
   * Sends ContentRegistry.repairMany for 1–MAX_REPAIR_BATCH sets from the node account (through
   * the TxSubmitter's sender); resolves once it is mined. Entries another node repaired first are
   * skipped on chain; it rejects if none changed.
   */
  repair(repairs: readonly { contentId: Hex; members: readonly Address[] }[]): Promise<void>;
  /**
   * Sends ContentRegistry.reportUnusable from the node account (through the TxSubmitter's
   * sender); resolves once it is mined. Only the content's initial validator may, while active,
   * once; `members` is a stake content's current set (address(0) for a vacant slot), else empty.
   */
  reportUnusable(report: { contentId: Hex; reason: UnusableReason; members: readonly Address[] }): Promise<void>;
  /** Wakes the TxSubmitter: a stake/explicit DEK is waiting for its holder confirmation. */
  notifyHoldings(): void;
  /**
   * Told the peer ids of every work list read: the validators this node may talk to (active, or
   * exiting and not revoked). The p2p layer's peer gate follows them.
   */
  onPeers?(peerIds: ReadonlySet<string>): void;
  logger?: Logger;
  clock?: () => number;
}

export interface ReplicationOptions {
  /** Blocks a registration needs (the including one counts) before derive and pulls. Default 1. */
  confirmations?: number;
  /** Work-list poll interval. Default 500 ms. */
  intervalMs?: number;
  /** Pulls under way at once. Default 16. */
  concurrency?: number;
  /** Deadline of one pull request. Default 10 s. */
  pullTimeoutMs?: number;
}

export interface ReplicationStats {
  ticks: number;
  derived: number;
  pulled: number;
  /** DEKs re-seeded by their publisher (POST /v1/recover). */
  recovered: number;
  pullFailures: number;
  /** Of `pulled`, DEKs pulled from a holder found only by its DHT provider record. */
  pulledFromProviders: number;
  served: number;
  refused: Record<string, number>;
  repairsSent: number;
  repairFailures: number;
  /** Contents this node, their initial validator, reported unusable on chain (mined). */
  reportedUnusable: number;
  provided: number;
  /** Contents that concern this node in the last work list. */
  contents: number;
  /** Of those, DEKs this node should hold but does not (yet). */
  missing: number;
  lastError: string | undefined;
  /** Duration of the last pass, and of its work-list read, in ms. */
  lastPassMs: number;
  lastWorkReadMs: number;
}

/** What storing a DEK needs to know about its content. */
export type StoredContent = Pick<ReplicationContent, "contentId" | "policyId" | "mode">;

export interface HandOffResult {
  /** Stake slots still naming this node. */
  slots: number;
  /**
   * Threshold slots of the contents it holds a share of that still name it, as member or as the
   * `previous` of a slot whose replacement has not confirmed (both keep it from withdrawing).
   */
  thresholdSlots: number;
  /** Held contents no other active validator is known to hold yet. */
  unprotected: number;
}

/** What every part of the engine is handed: its components, resolved options, and the state they share. */
export interface ReplicationContext {
  components: ReplicationComponents;
  options: Required<ReplicationOptions>;
  logger: Logger;
  clock: () => number;
  /** This node, lowercase. */
  me: Address;
  /** Counters every part adds to; the engine's `stats()` hands out copies. */
  stats: ReplicationStats;
  /** Contents whose pull or derive failed, by id: when to try again (./backoff.ts). */
  retries: Backoff;
  /** Stake sets whose repairMany failed, by content id. */
  repairRetries: Backoff;
  /** Runs a pass now (or right after the one under way). */
  wake(): void;
}


export function replicationContext(components: ReplicationComponents, options: ReplicationOptions, wake: () => void): ReplicationContext {
  return {
    components,
    options: {
      confirmations: options.confirmations ?? 1,
      intervalMs: options.intervalMs ?? DEFAULT_REPLICATION_INTERVAL_MS,
      concurrency: options.concurrency ?? DEFAULT_PULL_CONCURRENCY,
      pullTimeoutMs: options.pullTimeoutMs ?? DEFAULT_PULL_TIMEOUT_MS,
    },
    logger: components.logger ?? silentLogger,
    clock: components.clock ?? Date.now,
    me: components.account.address.toLowerCase() as Address,
    stats: {
      ticks: 0, derived: 0, pulled: 0, recovered: 0, pullFailures: 0, pulledFromProviders: 0, served: 0, refused: {}, repairsSent: 0, repairFailures: 0, reportedUnusable: 0, provided: 0, contents: 0, missing: 0, lastError: undefined, lastPassMs: 0, lastWorkReadMs: 0,
    },
    retries: new Backoff({ baseMs: RETRY_BASE_MS, maxMs: RETRY_MAX_MS }),
    repairRetries: new Backoff({ baseMs: REPAIR_RETRY_BASE_MS, maxMs: RETRY_MAX_MS }),
    wake,
  };
}

/** Counts a refusal (given or received) under its code. */
export function countRefusal(stats: ReplicationStats, code: string): void {
  stats.refused[code] = (stats.refused[code] ?? 0) + 1;
}
