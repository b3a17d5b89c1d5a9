/**
 * Group commit. Every write runs at once, atomically (inside a savepoint), in one open
 * transaction; the transaction is committed at the end of the current event-loop turn, or as
 * soon as `maxGroupSize` writes are waiting, or when a write that must be durable before it
 * returns (`commitNow`) comes along. A write's promise resolves only after the commit that
 * contains it is durable: with `walSync`, once the WAL has been fsync'd off the event loop
 * (walSync.ts); `commitNow` and `flush` fsync before they return.
 *
 * Consequences callers rely on:
 *  - work runs synchronously at call time, so check-and-insert logic sees every earlier write
 *    (committed or not) and needs no locking;
 *  - reads on the same connection also see writes whose promise has not resolved yet; code
 *    that acts on the outside world from what it reads (e.g. sends a chain transaction) must
 *    await `durable()` (or call `flush()`) first — the store's methods that feed such
 *    decisions do;
 *  - if a commit fails, the whole group is rolled back and every waiter in it is rejected.
 */
import type { DatabaseSync, StatementSync } from "node:sqlite";
import { fromSqliteError, StoreError } from "./errors.js";
import type { WalSync, WalSyncStats, Waiter } from "./walSync.js";

export interface CommitterOptions {
  maxGroupSize: number;
  /** Called after a rollback of the group, to drop in-memory state derived from it. */
  onRollback(): void;
  /** Makes commits durable; without it a commit is acknowledged as soon as SQLite returns. */
  walSync?: WalSync;
}

export class Committer {
  readonly #db: DatabaseSync;
  readonly #options: CommitterOptions;
  readonly #begin: StatementSync;
  readonly #commit: StatementSync;
  readonly #savepoint: StatementSync;
  readonly #release: StatementSync;
  readonly #rollbackToSavepoint: StatementSync;
  #waiters: Waiter[] = [];
  #open = false;
  #closed = false;
  #scheduled: NodeJS.Immediate | undefined;
  #commits = 0;

  constructor(db: DatabaseSync, options: CommitterOptions) {
    this.#db = db;
    this.#options = options;
    this.#begin = db.prepare("BEGIN IMMEDIATE");
    this.#commit = db.prepare("COMMIT");
    this.#savepoint = db.prepare("SAVEPOINT write");
    this.#release = db.prepare("RELEASE write");
    this.#rollbackToSavepoint = db.prepare("ROLLBACK TO write");
  }

  get walStats(): Readonly<WalSyncStats> | undefined {
    return this.#options.walSync?.stats;
  }

  /** Why writes are refused for good (a failed fsync), if they are. */
  get failure(): StoreError | undefined {
    return this.#options.walSync?.failure;
  }

  /** Commits performed so far (for metrics and tests of batching). */
  get commits(): number {
    return this.#commits;
  }

  /** Runs `work` now; the promise resolves with its result once it is committed. */
  grouped<T>(operation: string, work: () => T): Promise<T> {
    let result: T;
    try {
      result = this.#run(operation, work);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<T>((resolve, reject) => {
      this.#waiters.push({ resolve: () => resolve(result), reject });
      if (this.#waiters.length >= this.#options.maxGroupSize) this.#flushQuietly();
      else this.#schedule();
    });
  }

  /**
   * Runs `work` now and lets it ride on the next commit without waiting for it — for state
   * whose durability another write's promise already covers (see DekStore.rememberNonce).
   */
  piggyback<T>(operation: string, work: () => T): T {
    const result = this.#run(operation, work);
    this.#schedule();
    return result;
  }

  /**
   * Resolves once every write made so far is durable: the open group commits at the end of
   * this event-loop turn and the fsync runs off the loop, as for `grouped`. The asynchronous
   * `flush` — for code that reads and then acts on the outside world.
   */
  durable(): Promise<void> {
    if (this.#closed) return Promise.reject(new StoreError("STORE_CLOSED", "the store is closed"));
    if (this.failure) return Promise.reject(this.failure);
    if (this.#open) {
      return new Promise((resolve, reject) => {
        this.#waiters.push({ resolve, reject });
        this.#schedule();
      });
    }
    return this.#options.walSync?.settled() ?? Promise.resolve();
  }

  /** Runs `work` and commits it (with every grouped write before it) before returning. */
  commitNow<T>(operation: string, work: () => T): T {
    const result = this.#run(operation, work);
    this.flush();
    return result;
  }

  /**
   * Commits the open group and makes every commit so far durable before returning. Throws
   * (after rejecting the group's waiters) if either fails.
   */
  flush(): void {
    this.#commitGroup();
    this.#options.walSync?.syncNow();
  }

  /** Commits the open group; its waiters are released once it is durable. */
  #commitGroup(): void {
    if (this.#scheduled !== undefined) {
      clearImmediate(this.#scheduled);
      this.#scheduled = undefined;
    }
    if (!this.#open) return;
    const waiters = this.#waiters;
    this.#waiters = [];
    this.#open = false;
    try {
      this.#commit.run();
    } catch (error) {
      const failure = fromSqliteError(error, "commit");
      this.#abort(failure, waiters);
      throw failure;
    }
    this.#commits++;
    const { walSync } = this.#options;
    if (walSync) walSync.committed(waiters);
    else for (const waiter of waiters) waiter.resolve();
  }

  /** Commits what is pending, makes it durable and refuses further writes. */
  close(): void {
    if (this.#closed) return;
    try {
      this.#commitGroup();
    } finally {
      this.#closed = true;
      this.#options.walSync?.close();
    }
  }

  #run<T>(operation: string, work: () => T): T {
    if (this.#closed) throw new StoreError("STORE_CLOSED", "the store is closed", { details: { operation } });
    if (this.failure) throw this.failure;
    try {
      if (!this.#open) {
        this.#begin.run();
        this.#open = true;
      }
      this.#savepoint.run();
    } catch (error) {
      throw fromSqliteError(error, operation);
    }
    try {
      const result = work();
      this.#release.run();
      return result;
    } catch (error) {
      const failure = fromSqliteError(error, operation);
      if (this.#db.isTransaction) {
        this.#rollbackToSavepoint.run();
        this.#release.run();
      } else {
        // SQLite rolled the whole transaction back (I/O error, disk full): the group is lost.
        const waiters = this.#waiters;
        this.#waiters = [];
        this.#open = false;
        this.#abort(failure, waiters);
      }
      throw failure;
    }
  }

  #abort(failure: StoreError, waiters: Waiter[]): void {
    try {
      if (this.#db.isTransaction) this.#db.exec("ROLLBACK");
    } finally {
      this.#options.onRollback();
      for (const waiter of waiters) waiter.reject(failure);
    }
  }

  #schedule(): void {
    this.#scheduled ??= setImmediate(() => {
      this.#scheduled = undefined;
      this.#flushQuietly();
    });
  }

  #flushQuietly(): void {
    try {
      this.#commitGroup();
    } catch {
      // Already delivered to every waiter of the failed group.
    }
  }
}
