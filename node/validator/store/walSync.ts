/**
 * Durable group commits without blocking the event loop on fsync.
 *
 * The store runs SQLite in WAL mode with synchronous=NORMAL: a COMMIT appends the
 * transaction's frames to the WAL file (a write into the page cache) and returns. This class
 * then fsyncs the WAL on libuv's thread pool and releases a commit's waiters only once an fsync
 * that *started after* that commit has finished. That is synchronous=FULL's guarantee —
 * an acknowledged write survives power loss — while the event loop keeps serving requests
 * during the fsync. With synchronous=FULL, SQLite's own fsync inside COMMIT held the main
 * thread: 18 % of its time in a profile of bench:rewrap.
 *
 * SQLite keeps the WAL file (same inode) for as long as the connection is open: checkpoints
 * rewrite it from the start and sync its header themselves in NORMAL mode; only the last
 * connection's close deletes it, and this class is closed before that. A process crash loses
 * nothing either way: committed frames are in the page cache.
 *
 * One fsync is in flight at a time; commits made meanwhile wait for the next, so under load
 * one fsync covers every commit of the previous fsync's duration.
 */
import { closeSync, fsync, fsyncSync, openSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { StoreError } from "./errors.js";

export interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

/** fsync(2) with node's callback signature; injectable so tests can delay or fail it. */
export type FsyncFn = (fd: number, callback: (error: NodeJS.ErrnoException | null) => void) => void;

/** fsyncs of the WAL since the store opened, and the seconds they took (mean = seconds / fsyncs). */
export interface WalSyncStats {
  fsyncs: number;
  fsyncSeconds: number;
}

export class WalSync {
  readonly #path: string;
  readonly #fsync: FsyncFn;
  #fd: number | undefined;
  /** Waiters of commits made after the fsync in flight started (or with none in flight). */
  #waiting: Waiter[] = [];
  /** Waiters the fsync in flight will release; undefined when none is. */
  #inFlight: Waiter[] | undefined;
  /** A commit since the last fsync started: syncNow() must fsync. */
  #dirty = false;
  #closed = false;
  #failure: StoreError | undefined;
  readonly #stats: WalSyncStats = { fsyncs: 0, fsyncSeconds: 0 };

  constructor(walPath: string, options: { fsync?: FsyncFn } = {}) {
    this.#path = walPath;
    this.#fsync = options.fsync ?? fsync;
  }

  get stats(): Readonly<WalSyncStats> {
    return this.#stats;
  }

  /** Set once an fsync failed: what was committed may not be durable, so writes are refused. */
  get failure(): StoreError | undefined {
    return this.#failure;
  }

  /** A commit just returned: release `waiters` once it is durable. */
  committed(waiters: Waiter[]): void {
    this.#dirty = true;
    if (this.#failure) {
      for (const waiter of waiters) waiter.reject(this.#failure);
      return;
    }
    this.#waiting.push(...waiters);
    if (!this.#inFlight) this.#start();
  }

  /**
   * Resolves once every commit so far is durable, without blocking: rides on the fsync in
   * flight if that covers them all, else on the next one (started now if none is in flight).
   */
  settled(): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      if (!this.#dirty && this.#waiting.length === 0) {
        if (this.#inFlight === undefined) resolve();
        else this.#inFlight.push({ resolve, reject });
        return;
      }
      this.#waiting.push({ resolve, reject });
      if (!this.#inFlight) this.#start();
    });
  }

  /**
   * Makes every commit so far durable before returning (fsync on this thread) and releases
   * their waiters, those of the fsync in flight included (its callback then has nothing left).
   */
  syncNow(): void {
    if (this.#failure) throw this.#failure;
    // Nothing committed since the last completed fsync.
    if (!this.#dirty && this.#inFlight === undefined && this.#waiting.length === 0) return;
    this.#dirty = false;
    const waiting = [...(this.#inFlight?.splice(0) ?? []), ...this.#waiting];
    this.#waiting = [];
    const started = performance.now();
    try {
      fsyncSync(this.#open());
    } catch (error) {
      this.#fail(error, waiting);
      throw this.#failure;
    }
    this.#count(started);
    for (const waiter of waiting) waiter.resolve();
  }

  /** Syncs what is pending (unless an fsync already failed), then releases the file once no fsync is in flight. */
  close(): void {
    if (this.#closed) return;
    try {
      if (!this.#failure) this.syncNow();
    } finally {
      this.#closed = true;
      if (this.#inFlight === undefined) this.#release();
    }
  }

  #start(): void {
    const batch = this.#waiting;
    this.#waiting = [];
    this.#dirty = false;
    let fd: number;
    try {
      fd = this.#open();
    } catch (error) {
      this.#fail(error, batch);
      return;
    }
    this.#inFlight = batch;
    const started = performance.now();
    this.#fsync(fd, (error) => {
      this.#inFlight = undefined;
      this.#count(started);
      if (this.#closed) {
        // close() synced (or failed) everything, this batch included, on its own thread.
        this.#release();
        return;
      }
      if (error) {
        this.#fail(error, batch);
        return;
      }
      for (const waiter of batch) waiter.resolve();
      if (this.#waiting.length > 0) this.#start();
    });
  }

  #count(started: number): void {
    this.#stats.fsyncs += 1;
    this.#stats.fsyncSeconds += (performance.now() - started) / 1000;
  }

  #open(): number {
    this.#fd ??= openSync(this.#path, "r+");
    return this.#fd;
  }

  #release(): void {
    if (this.#fd === undefined) return;
    closeSync(this.#fd);
    this.#fd = undefined;
  }

  #fail(cause: unknown, batch: Waiter[]): void {
    this.#failure ??= new StoreError("STORE_NOT_DURABLE", "commits could not be made durable (fsync of the WAL failed); restart the node", { cause });
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const waiter of [...batch, ...waiting]) waiter.reject(this.#failure);
  }
}
