/**
 * The validator node's durable, encrypted store (SPEC §7): DEKs, KAS keys, the audit outbox
 * and replay nonces in one SQLite database (node:sqlite, WAL journal, exclusive locking).
 *
 * Writes return promises that resolve once the write is committed — with the default
 * `synchronous: "full"`, fsync'd, off the event loop (walSync.ts). Concurrent writes share one
 * commit (see committer.ts).
 * Reads are synchronous and see every write already made through this store, including
 * writes whose promise has not resolved yet; the reads that feed chain transactions
 * (listUnconfirmed, pendingBatches) resolve only once what they read is durable.
 *
 * Secrets (DEKs, KAS private keys) are sealed under the storage key with the crypto core's
 * sealed-record format; everything else is plain, non-secret bookkeeping. See docs/store.md.
 */
import { closeSync, copyFileSync, constants as fsConstants, existsSync, fsyncSync, mkdirSync, openSync, rmSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { SealingKey, type P256PrivateKey, type KasKeyRing } from "../../crypto/keys/index.js";
import { AuditOutbox, type AuditBatch, type AuditBatchState, type AuditRecord, type AuditRecordInput, type ReconcileResult } from "./audit.js";
import { invalidArgument, nowSeconds, type BytesLike, type Hex } from "./codec.js";
import { Committer } from "./committer.js";
import { DATABASE_FILE, DEFAULT_MAX_GROUP_SIZE, DEFAULT_MAX_NONCES, MAX_AUDIT_BATCH } from "./constants.js";
import { DekTable, type DekInfo, type DekMeta, type ListUnconfirmedOptions } from "./deks.js";
import { fromSqliteError, StoreError } from "./errors.js";
import { KasKeyTable, type KasKeyInfo } from "./kasKeys.js";
import { acquireLock, type DirectoryLock } from "./lock.js";
import { NonceTable } from "./nonces.js";
import { assertSupportedVersion, isEmpty, migrate, SCHEMA_VERSION, schemaVersion } from "./schema.js";
import { sealKeyCheck, verifyKeyCheck } from "./sealing.js";
import { WalSync, type FsyncFn, type WalSyncStats } from "./walSync.js";

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
  /** Commit a group early once this many writes wait (default DEFAULT_MAX_GROUP_SIZE). */
  maxGroupSize?: number;
  /** The store's clock in unix seconds (default: wall clock); injectable for tests. */
  now?: () => number;
}

export interface StoreStats {
  deks: number;
  kasKeys: number;
  unbatchedAuditRecords: number;
  pendingAuditBatches: number;
  nonces: number;
  commits: number;
}

function fsyncPath(path: string, flags: number = fsConstants.O_RDONLY): void {
  const fd = openSync(path, flags);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function positiveInteger(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) throw invalidArgument(name, "expected a positive integer");
  return value;
}

export class DekStore {
  readonly directory: string;
  readonly #db: DatabaseSync;
  readonly #lock: DirectoryLock;
  readonly #now: () => number;
  readonly #committer: Committer;
  readonly #deks: DekTable;
  readonly #kasKeys: KasKeyTable;
  readonly #audit: AuditOutbox;
  readonly #nonces: NonceTable;
  #closed = false;

  private constructor(directory: string, db: DatabaseSync, lock: DirectoryLock, options: DekStoreOptions) {
    this.directory = directory;
    this.#db = db;
    this.#lock = lock;
    this.#now = options.now ?? nowSeconds;
    const sealingKey = SealingKey.derive(options.storageKey);
    // SQLite never fsyncs in a commit (NORMAL); with "full", WalSync does it off the event loop
    // before a write's promise resolves.
    db.exec("PRAGMA synchronous = NORMAL");
    this.#committer = new Committer(db, {
      maxGroupSize: positiveInteger(options.maxGroupSize, DEFAULT_MAX_GROUP_SIZE, "maxGroupSize"),
      onRollback: () => this.#nonces.resync(),
      ...((options.synchronous ?? "full") === "full" && {
        walSync: new WalSync(join(directory, `${DATABASE_FILE}-wal`), options.fsync && { fsync: options.fsync }),
      }),
    });
    this.#deks = new DekTable(db, this.#committer, sealingKey, this.#now);
    this.#kasKeys = new KasKeyTable(db, this.#committer, sealingKey, this.#now);
    this.#audit = new AuditOutbox(db, this.#committer, this.#now);
    this.#nonces = new NonceTable(db, this.#committer, positiveInteger(options.maxNonces, DEFAULT_MAX_NONCES, "maxNonces"));
  }

  /**
   * Opens (or creates) the store in `options.directory`. Fails with STORE_LOCKED if another
   * process or instance has it open, STORE_WRONG_KEY if the storage key is not the store's
   * (before anything in the file is changed), STORE_VERSION_UNSUPPORTED for a newer schema.
   */
  static open(options: DekStoreOptions): DekStore {
    if (!(options.storageKey instanceof Uint8Array) || options.storageKey.length !== 32) {
      throw invalidArgument("storageKey", "expected 32 bytes");
    }
    const directory = resolve(options.directory);
    let lock: DirectoryLock;
    try {
      mkdirSync(directory, { recursive: true, mode: 0o700 });
      lock = acquireLock(directory);
    } catch (error) {
      if (error instanceof StoreError) throw error;
      throw new StoreError("STORE_IO", "cannot lock the store directory", { details: { directory }, cause: error });
    }
    let db: DatabaseSync | undefined;
    try {
      db = new DatabaseSync(join(directory, DATABASE_FILE));
      const synchronous = options.synchronous ?? "full";
      if (synchronous !== "full" && synchronous !== "normal") throw invalidArgument("synchronous", "expected \"full\" or \"normal\"");
      const created = prepareDatabase(db, options.storageKey);
      if (created) fsyncPath(directory);
      return new DekStore(directory, db, lock, options);
    } catch (error) {
      try {
        db?.close();
      } finally {
        lock.release();
      }
      throw fromSqliteError(error, "open");
    }
  }

  /**
   * Recovery: installs a backup file as the store of an empty `options.directory` and opens
   * it. The storage key is checked before the store is kept; with a wrong key the directory
   * is left as it was.
   */
  static restore(backupPath: string, options: DekStoreOptions): DekStore {
    const target = join(resolve(options.directory), DATABASE_FILE);
    if (existsSync(target)) {
      throw new StoreError("STORE_EXISTS", "the directory already holds a store; restore into an empty directory", {
        details: { directory: options.directory },
      });
    }
    mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
    try {
      copyFileSync(backupPath, target, fsConstants.COPYFILE_EXCL);
      fsyncPath(target, fsConstants.O_RDWR);
    } catch (error) {
      throw new StoreError("STORE_IO", "cannot copy the backup into place", { details: { backupPath }, cause: error });
    }
    try {
      return DekStore.open(options);
    } catch (error) {
      if (!(error instanceof StoreError && error.code === "STORE_LOCKED")) rmSync(target, { force: true });
      throw error;
    }
  }

  // ------------------------------------------------------------------------------- DEKs

  /** Stores a DEK; resolves (true if new, false if already held) once it is durable. */
  putDek(contentId: BytesLike, dek: Uint8Array, meta: DekMeta): Promise<boolean> {
    return this.#deks.put(contentId, dek, meta);
  }

  /** The DEK of `contentId`, or undefined. STORE_CORRUPT if its sealed record was tampered with. */
  getDek(contentId: BytesLike): Uint8Array | undefined {
    return this.#call("getDek", () => this.#deks.get(contentId));
  }

  hasDek(contentId: BytesLike): boolean {
    return this.#call("hasDek", () => this.#deks.has(contentId));
  }

  /** Metadata and confirmation state of a held DEK (no secret). */
  getDekInfo(contentId: BytesLike): DekInfo | undefined {
    return this.#call("getDekInfo", () => this.#deks.info(contentId));
  }

  /**
   * Held DEKs not yet confirmed on chain (pending or submitted), oldest first. Resolves once
   * every DEK listed is durable: a confirmation must never go on chain for a DEK a crash could
   * still take back.
   */
  listUnconfirmed(options?: ListUnconfirmedOptions): Promise<DekInfo[]> {
    return this.#readDurable("listUnconfirmed", () => this.#deks.listUnconfirmed(options));
  }

  markConfirmationSubmitted(contentIds: readonly BytesLike[], txHash: BytesLike): Promise<void> {
    return this.#deks.markConfirmationSubmitted(contentIds, txHash);
  }

  markConfirmed(contentIds: readonly BytesLike[], block: bigint | number): Promise<void> {
    return this.#deks.markConfirmed(contentIds, block);
  }

  // --------------------------------------------------------------------------- KAS keys

  /** Stores a KAS key and (unless `current: false`) makes it current. Durable on resolve. */
  addKasKey(key: P256PrivateKey, options?: { current?: boolean; addedAt?: number }): Promise<void> {
    return this.#kasKeys.add(key, options);
  }

  getKasKey(kid: BytesLike): P256PrivateKey | undefined {
    return this.#call("getKasKey", () => this.#kasKeys.get(kid));
  }

  currentKasKey(): P256PrivateKey | undefined {
    return this.#call("currentKasKey", () => this.#kasKeys.current());
  }

  listKasKeys(): KasKeyInfo[] {
    return this.#call("listKasKeys", () => this.#kasKeys.list());
  }

  /** All stored KAS keys, opened, as the crypto core's keyring. */
  kasKeyRing(): KasKeyRing {
    return this.#call("kasKeyRing", () => this.#kasKeys.keyRing());
  }

  /** Deletes a non-current KAS key. Durable on resolve. */
  removeKasKey(kid: BytesLike): Promise<boolean> {
    return this.#kasKeys.remove(kid);
  }

  // -------------------------------------------------------------------------- audit outbox

  /** Appends a rewrap audit record; resolves with its seq once durable. Await it before answering. */
  appendAudit(record: AuditRecordInput): Promise<number> {
    return this.#audit.append(record);
  }

  /** Appends the records of a bulk rewrap atomically; resolves once all are durable. */
  appendAudits(records: readonly AuditRecordInput[]): Promise<number[]> {
    return this.#audit.appendMany(records);
  }

  /** Assigns the next batch id to the oldest unbatched records (≤ maxSize, ≤ 500); durable on resolve. */
  takeBatch(maxSize: number = MAX_AUDIT_BATCH): Promise<AuditBatch | undefined> {
    return this.#audit.takeBatch(maxSize);
  }

  markBatchSubmitted(batchId: bigint | number, txHash: BytesLike): Promise<void> {
    return this.#audit.markBatchSubmitted(batchId, txHash);
  }

  markBatchRecorded(batchId: bigint | number, block: bigint | number): Promise<void> {
    return this.#audit.markBatchRecorded(batchId, block);
  }

  /**
   * Assigned-but-unrecorded batches, lowest id first, with their records: resend these as they
   * are. Resolves once what it read is durable.
   */
  pendingBatches(): Promise<AuditBatch[]> {
    return this.#readDurable("pendingBatches", () => this.#audit.pendingBatches());
  }

  getBatch(batchId: bigint | number): AuditBatch | undefined {
    return this.#call("getBatch", () => this.#audit.batch(batchId));
  }

  /** A batch's records, one object each, in the order they are sent (empty once pruned). */
  batchRecords(batchId: bigint | number): AuditRecord[] {
    return this.#call("batchRecords", () => this.#audit.batchRecords(batchId));
  }

  /** The state of batch `batchId` (undefined if there is none), without reading its records. */
  getBatchState(batchId: bigint | number): AuditBatchState | undefined {
    return this.#call("getBatchState", () => this.#audit.batchState(batchId));
  }

  /** The id the next takeBatch will assign. */
  nextBatchId(): bigint {
    return this.#call("nextBatchId", () => this.#audit.nextBatchId());
  }

  unbatchedAuditCount(): number {
    return this.#call("unbatchedAuditCount", () => this.#audit.unbatchedCount());
  }

  /** Aligns the outbox with RewrapAuditLog.nextBatchId(validator) read from the chain (see audit.ts). */
  reconcileBatches(nextBatchIdOnChain: bigint | number): Promise<ReconcileResult> {
    return this.#audit.reconcile(nextBatchIdOnChain);
  }

  /** Deletes records of batches recorded at or before `throughBlock`; returns how many. */
  pruneAudit(throughBlock: bigint | number): Promise<number> {
    return this.#audit.pruneRecorded(throughBlock);
  }

  // ------------------------------------------------------------------------- replay nonces

  /**
   * Atomic check-and-insert of a request nonce: true if new, false for a replay or an
   * expired request. Throws STORE_NONCES_FULL when the table is full of unexpired nonces.
   * Durable with the next commit (the rewrap's appendAudit).
   */
  rememberNonce(requester: BytesLike, nonce: bigint | Hex, expiresAt: number): boolean {
    return this.#call("rememberNonce", () => this.#nonces.remember(requester, nonce, expiresAt, this.#now()));
  }

  /** Whether rememberNonce would refuse (requester, nonce) as a replay now; changes nothing. */
  nonceSeen(requester: BytesLike, nonce: bigint | Hex): boolean {
    return this.#call("nonceSeen", () => this.#nonces.seen(requester, nonce, this.#now()));
  }

  pruneNonces(): number {
    return this.#call("pruneNonces", () => this.#nonces.prune(this.#now()));
  }

  // ------------------------------------------------------------------------------ upkeep

  /** Resolves once every write made so far is durable, without blocking the event loop. */
  durable(): Promise<void> {
    return this.#committer.durable();
  }

  /** Commits pending grouped writes now and fsyncs them before returning (blocks the event loop). */
  flush(): void {
    this.#assertOpen();
    this.#committer.flush();
  }

  /**
   * Writes a consistent snapshot of the whole store to `path` (VACUUM INTO; a new file,
   * fsync'd). It holds sealed records only, so it is as safe to keep as the store itself; the
   * storage key re-derived from the operator mnemonic opens it (DekStore.restore).
   */
  backup(path: string): { path: string; bytes: number } {
    this.flush();
    const target = resolve(path);
    if (existsSync(target)) throw new StoreError("STORE_EXISTS", "backup target already exists", { details: { path: target } });
    try {
      this.#db.prepare("VACUUM INTO ?").run(target);
      fsyncPath(target, fsConstants.O_RDWR);
      fsyncPath(dirname(target));
    } catch (error) {
      throw fromSqliteError(error, "backup");
    }
    return { path: target, bytes: statSync(target).size };
  }

  /** SQLite's full consistency check: ["ok"] or a list of problems. */
  integrityCheck(): string[] {
    this.flush();
    return this.#call("integrityCheck", () =>
      (this.#db.prepare("PRAGMA integrity_check").all() as { integrity_check: string }[]).map((row) => row.integrity_check),
    );
  }

  /** Sizes for metrics. Counting DEKs scans the table: a few ms per million. */
  stats(): StoreStats {
    return this.#call("stats", () => {
      const count = (sql: string): number => Number((this.#db.prepare(sql).get() as { n: number }).n);
      return {
        deks: count("SELECT count(*) AS n FROM deks"),
        kasKeys: count("SELECT count(*) AS n FROM kas_keys"),
        unbatchedAuditRecords: this.#audit.unbatchedCount(),
        pendingAuditBatches: count("SELECT count(*) AS n FROM audit_batches WHERE state <> 'recorded'"),
        nonces: this.#nonces.size,
        commits: this.#committer.commits,
      };
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** fsyncs of the WAL that made commits durable (zeros with `synchronous: "normal"`). */
  walStats(): WalSyncStats {
    return { ...(this.#committer.walStats ?? { fsyncs: 0, fsyncSeconds: 0 }) };
  }

  /** STORE_NOT_DURABLE once an fsync failed (every write is refused from then on), else undefined. */
  get failure(): StoreError | undefined {
    return this.#committer.failure;
  }

  /** Commits pending writes, closes the database and releases the directory lock. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#committer.close();
    } finally {
      try {
        this.#db.close();
      } finally {
        this.#lock.release();
      }
    }
  }

  /** Runs a synchronous call; SQLite failures (e.g. a damaged file) surface as typed store errors. */
  #call<T>(operation: string, call: () => T): T {
    this.#assertOpen();
    try {
      return call();
    } catch (error) {
      throw fromSqliteError(error, operation);
    }
  }

  /** Reads now, then resolves once everything read (and every write before it) is durable. */
  async #readDurable<T>(operation: string, read: () => T): Promise<T> {
    const result = this.#call(operation, read);
    await this.durable();
    return result;
  }

  #assertOpen(): void {
    if (this.#closed) throw new StoreError("STORE_CLOSED", "the store is closed");
  }
}

/**
 * Takes the database's exclusive lock, checks the storage key before changing anything,
 * then switches to WAL and migrates (or creates) the schema, fsync'd (synchronous=FULL; the
 * store relaxes it once its own WAL syncing is in place). Returns true for a new store.
 */
function prepareDatabase(db: DatabaseSync, storageKey: Uint8Array): boolean {
  // Held until close: no other connection, in this process or another, can read or write.
  db.exec("PRAGMA locking_mode = EXCLUSIVE");
  db.exec("BEGIN IMMEDIATE");
  let created: boolean;
  let version: number;
  try {
    created = isEmpty(db);
    version = schemaVersion(db);
    if (!created) {
      if (version === 0) throw new StoreError("STORE_CORRUPT", "the file is an SQLite database but not a dekmesh store");
      assertSupportedVersion(version);
      const keyCheck = db.prepare("SELECT value FROM meta WHERE name = 'key_check'").get() as { value: Uint8Array } | undefined;
      if (keyCheck === undefined || !(keyCheck.value instanceof Uint8Array)) {
        throw new StoreError("STORE_CORRUPT", "the store has no key-check record");
      }
      verifyKeyCheck(storageKey, keyCheck.value);
    }
  } finally {
    db.exec("ROLLBACK");
  }
  const mode = (db.prepare("PRAGMA journal_mode = WAL").get() as { journal_mode: string }).journal_mode;
  if (mode !== "wal") throw new StoreError("STORE_IO", "cannot switch the database to WAL", { details: { mode } });
  db.exec("PRAGMA synchronous = FULL");
  db.exec("PRAGMA foreign_keys = ON");
  // Statement journals in memory. SQLite journals what each savepoint and statement of an open
  // transaction changes, and spills that journal to a temporary file past 64 KiB (a 500-record
  // takeBatch does); in exclusive locking mode the file then stays open and every later
  // savepoint journals through it. Measured with 17 rewraps' writes per commit after one full
  // batch: 610 against 185 KB written and ~85 µs more CPU per commit (docs/store.md). The
  // journal never has to survive a crash (recovery ignores uncommitted WAL frames).
  db.exec("PRAGMA temp_store = MEMORY");
  if (created || version < SCHEMA_VERSION) {
    db.exec("BEGIN IMMEDIATE");
    try {
      migrate(db, version);
      if (created) {
        const insert = db.prepare("INSERT INTO meta (name, value) VALUES (?, ?)");
        insert.run("key_check", sealKeyCheck(storageKey));
        insert.run("created_at", nowSeconds());
      }
      db.exec("COMMIT");
    } catch (error) {
      db.exec("ROLLBACK");
      throw error;
    }
  }
  return created;
}
