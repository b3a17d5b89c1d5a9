/** How a DekStore is opened: its options, their defaults (constants.ts) and their checks. */
import { invalidArgument } from "./codec.js";
import type { FsyncFn } from "./walSync.js";

export interface DekStoreOptions {
  /** The store's own directory (store.sqlite, store.lock); created with mode 0700 if missing. */
  directory: string;
  /** The node's 32-byte storage key (NodeKeys.storageKey). */
  storageKey: Uint8Array;
  /**
   * "full" (default): every commit is fsync'd before its promise resolves, so acknowledged
   * writes survive power loss. "normal": commits survive a process crash but the last ones
   * may be lost on power loss. Measured cost in docs/store.md.
   */
  synchronous?: "full" | "normal";
  /** The fsync used for the WAL (default node:fs fsync); injectable so tests can delay or fail it. */
  fsync?: FsyncFn;
  /** Bound of the replay table (default DEFAULT_MAX_NONCES). */
  maxNonces?: number;
  /** Bound of one requester's unexpired nonces (default DEFAULT_MAX_NONCES_PER_ACCOUNT). */
  maxNoncesPerAccount?: number;
  /** Commit a group early once this many writes wait (default DEFAULT_MAX_GROUP_SIZE). */
  maxGroupSize?: number;
  /** The store's clock in unix seconds (default: wall clock); injectable for tests. */
  now?: () => number;
}

export function positiveInteger(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) throw invalidArgument(name, "expected a positive integer");
  return value;
}
