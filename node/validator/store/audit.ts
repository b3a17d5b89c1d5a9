/**
 * The audit outbox. A rewrap's audit record is appended — durably — before its answer
 * leaves; records then go on chain in numbered batches. RewrapAuditLog accepts batch ids
 * 1, 2, 3, … per validator, each exactly once, so a batch id is assigned once, to a fixed
 * set of records, and that assignment is persisted before the batch is ever sent: after a
 * crash the same batch (same id, same records) is sent again, and the chain's id check
 * makes the resend idempotent.
 */
import type { DatabaseSync, StatementSync } from "node:sqlite";
import { invalidArgument, toBlob, toInteger, toSeconds, type BytesLike, type Hex } from "./codec.js";
import { bytesToHex } from "viem";
import { canonicalEvidence, contentIdsHash, evidenceRoot, type AuditEvidence, type AuditGrantEvidence, type EvidencedRecord } from "../../protocol/auditEvidence.js";
import { encodeEvidenceBlob } from "../../protocol/auditEvidenceBlob.js";
import { decodeStoredEvidence, encodeStoredEvidence } from "./evidence.js";
import type { Committer } from "./committer.js";
import { ADDRESS_LENGTH, CONTENT_ID_LENGTH, DIGEST_LENGTH, TX_HASH_LENGTH } from "./constants.js";
import { MAX_AUDIT_BATCH } from "../../protocol/limits.js";
import { StoreError } from "./errors.js";

/** One served rewrap, as RewrapAuditLog records it (packed: node/protocol/auditRecords.ts). */
export interface AuditRecordInput {
  contentId: BytesLike;
  requester: BytesLike;
  /** The EIP-712 digest of the signed request. */
  requestDigest: BytesLike;
  /** Unix seconds. */
  servedAt: number;
}

export interface AuditRecord {
  /** Local sequence number: the order records were appended in. */
  seq: number;
  contentId: Hex;
  requester: Hex;
  requestDigest: Hex;
  servedAt: number;
}

export type AuditBatchState = "assigned" | "submitted" | "recorded";

export interface AuditBatch {
  batchId: bigint;
  state: AuditBatchState;
  /** How many records the batch was assigned. */
  recordCount: number;
  /**
   * Its records back to back in seq order, in the layout RewrapAuditLog takes: contentId ‖
   * requester ‖ requestDigest ‖ servedAt as a big-endian uint64, AUDIT_RECORD_BYTES each
   * (node/protocol/auditRecords.ts). Exactly what is sent, every time; empty once pruned.
   * `DekStore.batchRecords` reads them as records.
   */
  packedRecords: Uint8Array;
  /** The Merkle root over its records' evidence (protocol/auditEvidence.ts); undefined for a batch assigned before evidence was kept. */
  evidenceRoot: Hex | undefined;
  /** The CID of its evidence blob, once computed (setEvidenceCid). */
  evidenceCid: string | undefined;
  txHash: Hex | undefined;
  block: bigint | undefined;
}

export interface ReconcileResult {
  /** Local batches the chain already has, now marked recorded (block unknown). */
  markedRecorded: bigint[];
  /** Batches marked recorded locally that the chain does not have (a reorg): back to assigned. */
  reopened: bigint[];
  /** The id the next takeBatch will assign. */
  nextBatchId: bigint;
}

interface RecordRow {
  seq: number;
  content_id: Uint8Array;
  requester: Uint8Array;
  request_digest: Uint8Array;
  served_at: number;
}

interface BatchRow {
  batch_id: bigint;
  state: AuditBatchState;
  record_count: bigint;
  tx_hash: Uint8Array | null;
  recorded_block: bigint | null;
  evidence_root: Uint8Array | null;
  cid: string | null;
}

type Row = [Buffer, Buffer, Buffer, number, Uint8Array | null];

const FLOOR_KEY = "next_batch_id_floor";

function toRecord(row: RecordRow): AuditRecord {
  return {
    seq: row.seq,
    contentId: bytesToHex(row.content_id),
    requester: bytesToHex(row.requester),
    requestDigest: bytesToHex(row.request_digest),
    servedAt: row.served_at,
  };
}

function recordRow(record: AuditRecordInput, evidence: Uint8Array | null): Row {
  if (typeof record !== "object" || record === null) throw invalidArgument("record", "expected an audit record");
  return [
    toBlob(record.contentId, CONTENT_ID_LENGTH, "contentId"),
    toBlob(record.requester, ADDRESS_LENGTH, "requester"),
    toBlob(record.requestDigest, DIGEST_LENGTH, "requestDigest"),
    toSeconds(record.servedAt, "servedAt"),
    evidence,
  ];
}

/** The stored evidence and, for a bulk request, its ids to keep once (hash, ids back to back). */
function storedEvidence(evidence: AuditEvidence | undefined): { column: Uint8Array | null; bulk?: [Uint8Array, Buffer] } {
  if (evidence === undefined) return { column: null };
  const ids = evidence.bulkContentIds;
  if (ids === undefined) return { column: encodeStoredEvidence(evidence, undefined) };
  const hash = contentIdsHash(ids);
  return { column: encodeStoredEvidence(evidence, hash), bulk: [hash, Buffer.concat(ids.map((id) => Buffer.from(id.slice(2), "hex")))] };
}

function batchIdOf(value: bigint | number): bigint {
  const id = toInteger(value, "batchId");
  if (id === 0n) throw invalidArgument("batchId", "batch ids start at 1");
  return id;
}

export class AuditOutbox {
  readonly #committer: Committer;
  readonly #now: () => number;
  readonly #insert: StatementSync;
  readonly #oldestUnbatched: StatementSync;
  readonly #assign: StatementSync;
  readonly #insertBatch: StatementSync;
  readonly #maxBatchId: StatementSync;
  readonly #floor: StatementSync;
  readonly #setFloor: StatementSync;
  readonly #batch: StatementSync;
  readonly #batchRecords: StatementSync;
  readonly #packedRecords: StatementSync;
  readonly #pending: StatementSync;
  readonly #unrecordedBefore: StatementSync;
  readonly #setSubmitted: StatementSync;
  readonly #setRecorded: StatementSync;
  readonly #markRecordedBelow: StatementSync;
  readonly #recordedFrom: StatementSync;
  readonly #reopen: StatementSync;
  readonly #unbatchedCount: StatementSync;
  readonly #prune: StatementSync;
  readonly #insertBulk: StatementSync;
  readonly #bulkIds: StatementSync;
  readonly #pruneBulk: StatementSync;
  readonly #evidenceRows: StatementSync;
  readonly #insertEvidence: StatementSync;
  readonly #evidenceBlob: StatementSync;
  readonly #setCid: StatementSync;

  constructor(db: DatabaseSync, committer: Committer, now: () => number) {
    this.#committer = committer;
    this.#now = now;
    this.#insert = db.prepare("INSERT INTO audit_records (content_id, requester, request_digest, served_at, evidence) VALUES (?, ?, ?, ?, ?)");
    this.#insertBulk = db.prepare("INSERT OR IGNORE INTO audit_bulk_requests (ids_hash, content_ids) VALUES (?, ?)");
    this.#bulkIds = db.prepare("SELECT content_ids FROM audit_bulk_requests WHERE ids_hash = ?");
    // A bulk request's ids are needed until its records' blob is written; the blob keeps them after.
    this.#pruneBulk = db.prepare(
      `DELETE FROM audit_bulk_requests WHERE ids_hash NOT IN (
         SELECT substr(evidence, ${1 + 1 + 33 + 32 + 8}, 32) FROM audit_records INDEXED BY audit_records_unbatched
         WHERE batch_id IS NULL AND evidence IS NOT NULL AND (unicode(substr(evidence, 1, 1)) & 2) = 2)`,
    );
    this.#evidenceRows = db.prepare(
      "SELECT content_id, requester, request_digest, served_at, evidence FROM audit_records INDEXED BY audit_records_by_batch WHERE batch_id = ? ORDER BY seq",
    );
    this.#insertEvidence = db.prepare("INSERT INTO audit_evidence (batch_id, evidence_root, blob) VALUES (?, ?, ?)");
    this.#evidenceBlob = db.prepare("SELECT blob FROM audit_evidence WHERE batch_id = ?");
    this.#setCid = db.prepare("UPDATE audit_evidence SET cid = ? WHERE batch_id = ? AND (cid IS NULL OR cid = ?)");
    this.#oldestUnbatched = db.prepare(
      "SELECT seq FROM audit_records INDEXED BY audit_records_unbatched WHERE batch_id IS NULL ORDER BY seq LIMIT 1 OFFSET ?",
    );
    this.#assign = db.prepare(
      "UPDATE audit_records INDEXED BY audit_records_unbatched SET batch_id = ? WHERE batch_id IS NULL AND seq <= ?",
    );
    this.#insertBatch = db.prepare("INSERT INTO audit_batches (batch_id, state, record_count, assigned_at) VALUES (?, 'assigned', ?, ?)");
    this.#maxBatchId = db.prepare("SELECT coalesce(max(batch_id), 0) AS id FROM audit_batches");
    this.#maxBatchId.setReadBigInts(true);
    this.#floor = db.prepare(`SELECT value FROM meta WHERE name = '${FLOOR_KEY}'`);
    this.#floor.setReadBigInts(true);
    this.#setFloor = db.prepare(`INSERT INTO meta (name, value) VALUES ('${FLOOR_KEY}', ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value`);
    const batchColumns = "b.batch_id, state, record_count, tx_hash, recorded_block, e.evidence_root, e.cid";
    const batches = "audit_batches b LEFT JOIN audit_evidence e ON e.batch_id = b.batch_id";
    this.#batch = db.prepare(`SELECT ${batchColumns} FROM ${batches} WHERE b.batch_id = ?`);
    this.#batch.setReadBigInts(true);
    this.#batchRecords = db.prepare(
      "SELECT seq, content_id, requester, request_digest, served_at FROM audit_records INDEXED BY audit_records_by_batch WHERE batch_id = ? ORDER BY seq",
    );
    // Packed by SQLite in one row: reading 500 rows into objects and hex strings and packing
    // them again cost the event loop ~1.5 ms per batch (bench:rewrap). `||` concatenates blobs
    // byte for byte (as text, hence the casts); unhex(printf('%016x')) is the big-endian uint64.
    this.#packedRecords = db.prepare(
      `SELECT CAST(group_concat(CAST(content_id || requester || request_digest || unhex(printf('%016x', served_at)) AS BLOB), '' ORDER BY seq) AS BLOB) AS packed
       FROM audit_records INDEXED BY audit_records_by_batch WHERE batch_id = ?`,
    );
    this.#pending = db.prepare(`SELECT ${batchColumns} FROM ${batches} WHERE state <> 'recorded' ORDER BY b.batch_id`);
    this.#pending.setReadBigInts(true);
    this.#unrecordedBefore = db.prepare("SELECT batch_id FROM audit_batches WHERE batch_id < ? AND state <> 'recorded' LIMIT 1");
    this.#setSubmitted = db.prepare("UPDATE audit_batches SET state = 'submitted', tx_hash = ? WHERE batch_id = ?");
    this.#setRecorded = db.prepare("UPDATE audit_batches SET state = 'recorded', recorded_block = ? WHERE batch_id = ?");
    this.#markRecordedBelow = db.prepare(
      "UPDATE audit_batches SET state = 'recorded' WHERE batch_id < ? AND state <> 'recorded' RETURNING batch_id",
    );
    this.#markRecordedBelow.setReadBigInts(true);
    this.#recordedFrom = db.prepare(
      "SELECT batch_id, record_count, (SELECT count(*) FROM audit_records r WHERE r.batch_id = b.batch_id) AS present FROM audit_batches b WHERE batch_id >= ? AND state = 'recorded' ORDER BY batch_id",
    );
    this.#recordedFrom.setReadBigInts(true);
    this.#reopen = db.prepare("UPDATE audit_batches SET state = 'assigned', tx_hash = NULL, recorded_block = NULL WHERE batch_id = ?");
    this.#unbatchedCount = db.prepare("SELECT count(*) AS n FROM audit_records INDEXED BY audit_records_unbatched WHERE batch_id IS NULL");
    this.#prune = db.prepare(
      "DELETE FROM audit_records WHERE batch_id IN (SELECT batch_id FROM audit_batches WHERE state = 'recorded' AND (recorded_block IS NULL OR recorded_block <= ?))",
    );
  }

  /** Appends one record with the signed request behind it; resolves with its seq once both are durable. */
  append(record: AuditRecordInput, evidence?: AuditEvidence): Promise<number> {
    let row: Row;
    let stored: ReturnType<typeof storedEvidence>;
    try {
      stored = storedEvidence(evidence);
      row = recordRow(record, stored.column);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#committer.grouped("appendAudit", () => {
      if (stored.bulk !== undefined) this.#insertBulk.run(...stored.bulk);
      return Number(this.#insert.run(...row).lastInsertRowid);
    });
  }

  /** Appends many records (a bulk rewrap, one signed request behind all) atomically; resolves once all are durable. */
  appendMany(records: readonly AuditRecordInput[], evidence?: AuditEvidence): Promise<number[]> {
    let rows: Row[];
    let stored: ReturnType<typeof storedEvidence>;
    try {
      stored = storedEvidence(evidence);
      rows = records.map((record) => recordRow(record, stored.column));
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#committer.grouped("appendAudits", () => {
      if (stored.bulk !== undefined) this.#insertBulk.run(...stored.bulk);
      return rows.map((row) => Number(this.#insert.run(...row).lastInsertRowid));
    });
  }

  /** Records appended but not yet in a batch. */
  unbatchedCount(): number {
    return Number((this.#unbatchedCount.get() as { n: number }).n);
  }

  /**
   * Assigns the next batch id to the oldest unbatched records (at most `maxSize`); resolves
   * with the batch once the assignment (and the records in it) is durable. Undefined when
   * there is nothing to batch.
   */
  takeBatch(maxSize: number = MAX_AUDIT_BATCH): Promise<AuditBatch | undefined> {
    try {
      if (!Number.isSafeInteger(maxSize) || maxSize < 1 || maxSize > MAX_AUDIT_BATCH) {
        throw invalidArgument("maxSize", `expected 1–${MAX_AUDIT_BATCH} (RewrapAuditLog's limit)`, { maxSize });
      }
      return this.#committer.grouped("takeBatch", () => {
        // The newest record of the batch: the maxSize-th unbatched one, or the last if fewer.
        let count = maxSize;
        let last = this.#oldestUnbatched.get(maxSize - 1) as { seq: number } | undefined;
        if (last === undefined) {
          count = this.unbatchedCount();
          if (count === 0) return undefined;
          last = this.#oldestUnbatched.get(count - 1) as { seq: number };
        }
        const id = this.nextBatchId();
        this.#insertBatch.run(id, count, this.#now());
        const assigned = Number(this.#assign.run(id, last.seq).changes);
        if (assigned !== count) {
          throw new StoreError("STORE_CORRUPT", "the unbatched-records index disagrees with the table", { details: { count, assigned } });
        }
        this.#writeEvidence(id);
        return this.batch(id);
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** The id the next takeBatch will assign. */
  nextBatchId(): bigint {
    const afterMax = (this.#maxBatchId.get() as { id: bigint }).id + 1n;
    const floor = (this.#floor.get() as { value: bigint } | undefined)?.value ?? 1n;
    return afterMax > floor ? afterMax : floor;
  }

  /** A batch's evidence blob (protocol/auditEvidenceBlob.ts), or undefined for an unknown batch or one without evidence. */
  evidenceBlob(batchId: bigint | number): Uint8Array | undefined {
    return (this.#evidenceBlob.get(batchIdOf(batchId)) as { blob: Uint8Array } | undefined)?.blob;
  }

  /** Records the CID of a batch's evidence blob (computed from the blob, so the same after any crash). Durable on resolve. */
  setEvidenceCid(batchId: bigint | number, cid: string): Promise<void> {
    return this.#transition("setEvidenceCid", batchId, (id, row) => {
      if (row.evidence_root === null) throw new StoreError("STORE_NOT_FOUND", "the batch has no evidence", { details: { batchId: id } });
      if (Number(this.#setCid.run(cid, id, cid).changes) !== 1) {
        throw new StoreError("STORE_BATCH_STATE", "the batch's evidence already has another CID", { details: { batchId: id, cid } });
      }
    });
  }

  /** A batch's state without reading its records. */
  batchState(batchId: bigint | number): AuditBatchState | undefined {
    return (this.#batch.get(batchIdOf(batchId)) as BatchRow | undefined)?.state;
  }

  batch(batchId: bigint | number): AuditBatch | undefined {
    const row = this.#batch.get(batchIdOf(batchId)) as BatchRow | undefined;
    return row === undefined ? undefined : this.#withRecords(row);
  }

  /** A batch's records in seq order, one object each (empty once pruned or for an unknown id). */
  batchRecords(batchId: bigint | number): AuditRecord[] {
    return (this.#batchRecords.all(batchIdOf(batchId)) as unknown as RecordRow[]).map(toRecord);
  }

  /** Batches assigned but not yet recorded on chain, lowest id first: send these, in order, after a restart. */
  pendingBatches(): AuditBatch[] {
    return (this.#pending.all() as unknown as BatchRow[]).map((row) => this.#withRecords(row));
  }

  /** Records that batch `batchId` was sent in `txHash` (again, for a resend). Durable on resolve. */
  markBatchSubmitted(batchId: bigint | number, txHash: BytesLike): Promise<void> {
    return this.#transition("markBatchSubmitted", batchId, (id, row) => {
      if (row.state === "recorded") {
        throw new StoreError("STORE_BATCH_STATE", "the batch is already recorded on chain", { details: { batchId: id } });
      }
      this.#setSubmitted.run(toBlob(txHash, TX_HASH_LENGTH, "txHash"), id);
    });
  }

  /** Records that batch `batchId` is on chain in `block`. Every earlier batch must be recorded. Durable on resolve. */
  markBatchRecorded(batchId: bigint | number, block: bigint | number): Promise<void> {
    return this.#transition("markBatchRecorded", batchId, (id) => {
      const earlier = this.#unrecordedBefore.get(id) as { batch_id: number } | undefined;
      if (earlier !== undefined) {
        throw new StoreError("STORE_BATCH_STATE", "an earlier batch is not recorded yet; the chain records batches in order", {
          details: { batchId: id, earlier: earlier.batch_id },
        });
      }
      this.#setRecorded.run(toInteger(block, "block"), id);
    });
  }

  /**
   * Aligns the outbox with RewrapAuditLog.nextBatchId(this validator), read from the chain:
   * batches below it are on chain (a crash after the transaction was mined but before
   * markBatchRecorded), batches from it up that were marked recorded are not (a reorg) and
   * go back to assigned, and if the chain is ahead of every local batch (the store was
   * restored from an older backup) new batches start at the chain's next id.
   */
  reconcile(nextBatchIdOnChain: bigint | number): Promise<ReconcileResult> {
    try {
      const next = batchIdOf(nextBatchIdOnChain);
      return this.#committer.grouped("reconcileBatches", () => {
        const markedRecorded = (this.#markRecordedBelow.all(next) as unknown as { batch_id: bigint }[]).map((r) => r.batch_id);
        const reopened: bigint[] = [];
        for (const row of this.#recordedFrom.all(next) as unknown as { batch_id: bigint; record_count: bigint; present: bigint }[]) {
          if (row.present !== row.record_count) {
            throw new StoreError("STORE_BATCH_STATE", "the chain lacks a batch whose records were already pruned", {
              details: { batchId: row.batch_id, nextBatchIdOnChain: next },
            });
          }
          this.#reopen.run(row.batch_id);
          reopened.push(row.batch_id);
        }
        if (next > this.nextBatchId()) this.#setFloor.run(next);
        return { markedRecorded, reopened, nextBatchId: this.nextBatchId() };
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Deletes the records of batches recorded at or before `throughBlock` (batch rows stay). */
  pruneRecorded(throughBlock: bigint | number): Promise<number> {
    try {
      const block = toInteger(throughBlock, "throughBlock");
      return this.#committer.grouped("pruneAudit", () => {
        const pruned = Number(this.#prune.run(block).changes);
        this.#pruneBulk.run();
        return pruned;
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #transition(operation: string, batchId: bigint | number, apply: (id: bigint, row: BatchRow) => void): Promise<void> {
    try {
      const id = batchIdOf(batchId);
      return this.#committer.grouped(operation, () => {
        const row = this.#batch.get(id) as BatchRow | undefined;
        if (row === undefined) throw new StoreError("STORE_NOT_FOUND", "no such audit batch", { details: { batchId: id } });
        apply(id, row);
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * The batch's evidence blob and root, written in the transaction that assigns it: the records'
   * stored evidence with signatures folded to a low s (as the contract takes them).
   */
  #writeEvidence(batchId: bigint): void {
    // Read and decoded once per bulk request: its records share the one list (and its hash).
    const lists = new Map<string, Hex[]>();
    const bulkIds = (hash: Uint8Array): Hex[] => {
      const key = Buffer.from(hash).toString("hex");
      let ids = lists.get(key);
      if (ids !== undefined) return ids;
      const row = this.#bulkIds.get(hash) as { content_ids: Uint8Array } | undefined;
      if (row === undefined) throw new StoreError("STORE_CORRUPT", "a bulk record's request ids are missing", { details: { batchId } });
      const hex = Buffer.from(row.content_ids.buffer, row.content_ids.byteOffset, row.content_ids.byteLength).toString("hex");
      ids = [];
      for (let at = 0; at < hex.length; at += 64) ids.push(`0x${hex.slice(at, at + 64)}`);
      lists.set(key, ids);
      return ids;
    };
    const grants = new Map<string, AuditGrantEvidence>();
    const rows = this.#evidenceRows.all(batchId) as unknown as (Omit<RecordRow, "seq"> & { evidence: Uint8Array | null })[];
    const entries: EvidencedRecord[] = rows.map((row) => ({
      record: {
        contentId: bytesToHex(row.content_id),
        requester: bytesToHex(row.requester),
        requestDigest: bytesToHex(row.request_digest),
        servedAt: row.served_at,
      },
      evidence: row.evidence === null ? undefined : canonicalEvidence(decodeStoredEvidence(row.evidence, bulkIds, grants)),
    }));
    this.#insertEvidence.run(batchId, Buffer.from(evidenceRoot(entries).slice(2), "hex"), encodeEvidenceBlob(batchId, entries));
  }

  #withRecords(row: BatchRow): AuditBatch {
    return {
      batchId: row.batch_id,
      state: row.state,
      recordCount: Number(row.record_count),
      packedRecords: (this.#packedRecords.get(row.batch_id) as { packed: Uint8Array | null }).packed ?? new Uint8Array(0),
      evidenceRoot: row.evidence_root === null ? undefined : bytesToHex(row.evidence_root),
      evidenceCid: row.cid ?? undefined,
      txHash: row.tx_hash === null ? undefined : bytesToHex(row.tx_hash),
      block: row.recorded_block ?? undefined,
    };
  }
}
