/**
 * The validator node's durable, encrypted store (docs/architecture.md#the-validator-node): DEKs, KAS keys, the audit outbox
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
 *
 * DekStore is the facade: each table lives in its own file (deks.ts, kasKeys.ts, audit.ts,
 * nonces.ts), opening and restoring in open.ts, backup and sizes in upkeep.ts.
 */
import { join } from "node:path";
import type { DatabaseSync } from "node:sqlite";
import { SealingKey, type P256PrivateKey, type KasKeyRing } from "../../crypto/keys/index.js";
import {
  AuditOutbox,
  type AuditBatch,
  type AuditBatchState,
  type AuditRecord,
  type AuditRecordInput,
  type ReconcileResult,
} from "./audit.js";
import type { AuditEvidence } from "../../protocol/auditEvidence.js";
import { nowSeconds, type BytesLike, type Hex } from "./codec.js";
import { Committer } from "./committer.js";
import { DATABASE_FILE, DEFAULT_MAX_GROUP_SIZE, DEFAULT_MAX_NONCES, DEFAULT_MAX_NONCES_PER_ACCOUNT } from "./constants.js";
import { MAX_AUDIT_BATCH } from "../../protocol/limits.js";
import { DekTable, type DekInfo, type DekMeta, type ListUnconfirmedOptions } from "./deks.js";
import { fromSqliteError, StoreError } from "./errors.js";
import { KasKeyTable, type KasKeyInfo } from "./kasKeys.js";
import { ShareTable, type ShareInfo } from "./shares.js";
import type { Share } from "../../crypto/threshold/index.js";
import type { DirectoryLock } from "./lock.js";
import { NonceTable } from "./nonces.js";
import { openStoreFiles, restoreStoreFiles } from "./open.js";
import { positiveInteger, type DekStoreOptions } from "./options.js";
import { backupDatabase, integrityCheck, tableCounts } from "./upkeep.js";
import { WalSync, type WalSyncStats } from "./walSync.js";

export type { DekStoreOptions } from "./options.js";

export interface StoreStats {
  deks: number;
  kasKeys: number;
  unbatchedAuditRecords: number;
  pendingAuditBatches: number;
  nonces: number;
  commits: number;
}

export class DekStore {
  readonly directory: string;
  readonly #db: DatabaseSync;
  readonly #lock: DirectoryLock;
  readonly #now: () => number;
  readonly #committer: Committer;
  readonly #deks: DekTable;
  readonly #shares: ShareTable;
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
    this.#shares = new ShareTable(db, this.#committer, sealingKey, this.#now);
    this.#deks = new DekTable(db, this.#committer, sealingKey, this.#now, this.#shares);
    this.#kasKeys = new KasKeyTable(db, this.#committer, sealingKey, this.#now);
    this.#audit = new AuditOutbox(db, this.#committer, this.#now);
    this.#nonces = new NonceTable(
      db,
      this.#committer,
      positiveInteger(options.maxNonces, DEFAULT_MAX_NONCES, "maxNonces"),
      positiveInteger(options.maxNoncesPerAccount, DEFAULT_MAX_NONCES_PER_ACCOUNT, "maxNoncesPerAccount"),
    );
  }

  /**
   * Opens (or creates) the store in `options.directory`. Fails with STORE_LOCKED if another
   * process or instance has it open, STORE_WRONG_KEY if the storage key is not the store's
   * (before anything in the file is changed), STORE_VERSION_UNSUPPORTED for a newer schema.
   */
  static open(options: DekStoreOptions): DekStore {
    return openStoreFiles(options, (directory, db, lock) => new DekStore(directory, db, lock, options));
  }

  /**
   * Recovery: installs a backup file as the store of an empty `options.directory` and opens
   * it. The storage key is checked before the store is kept; with a wrong key the directory
   * is left as it was.
   */
  static restore(backupPath: string, options: DekStoreOptions): DekStore {
    return restoreStoreFiles(backupPath, options.directory, () => DekStore.open(options));
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

  // ------------------------------------------------------------------- threshold shares

  /** Stores this member's checked share of a threshold content; resolves (true if new) once durable. */
  putShare(contentId: BytesLike, share: Share, kid: BytesLike): Promise<boolean> {
    return this.#shares.put(contentId, share, kid);
  }

  /** The share and the KID of the KAS key it was sealed to, or undefined. */
  getShare(contentId: BytesLike): { share: Share; kid: Hex } | undefined {
    return this.#call("getShare", () => this.#shares.get(contentId));
  }

  getShareInfo(contentId: BytesLike): ShareInfo | undefined {
    return this.#call("getShareInfo", () => this.#shares.info(contentId));
  }

  /** The contents this node holds a share of, oldest first. */
  shareContentIds(): Hex[] {
    return this.#call("shareContentIds", () => this.#shares.contentIds());
  }

  /** Held shares not yet confirmed on chain, oldest first; resolves once they are durable. */
  listUnconfirmedShares(limit?: number): Promise<ShareInfo[]> {
    return this.#readDurable("listUnconfirmedShares", () => this.#shares.listUnconfirmed(limit));
  }

  /** For DEKs and shares alike (a content is held one way or the other). */
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

  /**
   * Appends a rewrap audit record with the signed request behind it (its evidence, in the same
   * insert); resolves with its seq once durable. Await it before answering.
   */
  appendAudit(record: AuditRecordInput, evidence?: AuditEvidence): Promise<number> {
    return this.#audit.append(record, evidence);
  }

  /** Appends the records of a bulk rewrap, with the one signed request behind them, atomically; resolves once all are durable. */
  appendAudits(records: readonly AuditRecordInput[], evidence?: AuditEvidence): Promise<number[]> {
    return this.#audit.appendMany(records, evidence);
  }

  /** Batch `batchId`'s evidence blob (GET /v1/audit/:batchId), or undefined. */
  evidenceBlob(batchId: bigint | number): Uint8Array | undefined {
    return this.#call("evidenceBlob", () => this.#audit.evidenceBlob(batchId));
  }

  /** Records the CID of batch `batchId`'s evidence blob; durable on resolve. */
  setEvidenceCid(batchId: bigint | number, cid: string): Promise<void> {
    return this.#audit.setEvidenceCid(batchId, cid);
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
    return backupDatabase(this.#db, path);
  }

  /** SQLite's full consistency check: ["ok"] or a list of problems. */
  integrityCheck(): string[] {
    this.flush();
    return this.#call("integrityCheck", () => integrityCheck(this.#db));
  }

  /** Sizes for metrics. Counting DEKs scans the table: a few ms per million. */
  stats(): StoreStats {
    return this.#call("stats", () => {
      const { deks, kasKeys, pendingAuditBatches } = tableCounts(this.#db);
      return {
        deks,
        kasKeys,
        unbatchedAuditRecords: this.#audit.unbatchedCount(),
        pendingAuditBatches,
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
