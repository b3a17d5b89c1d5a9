/**
 * The database schema, versioned with SQLite's `user_version`. Each migration moves the
 * schema from version i to i+1 and runs in the same transaction as the version bump, so a
 * crash mid-migration leaves the previous version intact. Never edit a released migration;
 * append a new one. Every version keeps the `meta` table and its `key_check` row, because
 * the storage key is checked before any migration runs.
 */
import type { DatabaseSync } from "node:sqlite";
import { StoreError } from "./errors.js";

const MIGRATIONS: readonly string[] = [
  // 0 → 1: DEKs, KAS keys, the audit outbox, replay nonces.
  `
  CREATE TABLE meta (
    name  TEXT PRIMARY KEY,
    value ANY NOT NULL
  ) STRICT;

  -- One row per content whose DEK this node holds. Only sealed_dek is secret.
  CREATE TABLE deks (
    content_id      BLOB PRIMARY KEY CHECK (length(content_id) = 32),
    sealed_dek      BLOB NOT NULL,
    policy_id       INTEGER NOT NULL,
    mode            TEXT NOT NULL CHECK (mode IN ('all', 'stake', 'xor', 'explicit')),
    source          TEXT NOT NULL CHECK (source IN ('initial', 'replicated', 'recovered')),
    received_at     INTEGER NOT NULL,
    confirmation    TEXT NOT NULL DEFAULT 'pending' CHECK (confirmation IN ('pending', 'submitted', 'confirmed')),
    confirmation_tx BLOB,
    confirmed_block INTEGER
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX deks_unconfirmed ON deks (received_at) WHERE confirmation <> 'confirmed';

  -- The node's KAS private keys (sealed); exactly one may be current.
  CREATE TABLE kas_keys (
    kid                BLOB PRIMARY KEY CHECK (length(kid) = 8),
    public_key         BLOB NOT NULL,
    sealed_private_key BLOB NOT NULL,
    is_current         INTEGER NOT NULL CHECK (is_current IN (0, 1)),
    added_at           INTEGER NOT NULL,
    retired_at         INTEGER
  ) STRICT, WITHOUT ROWID;
  CREATE UNIQUE INDEX kas_keys_one_current ON kas_keys (is_current) WHERE is_current = 1;

  -- Audit batches: ids 1, 2, 3, … exactly as RewrapAuditLog expects; a batch's records never change.
  CREATE TABLE audit_batches (
    batch_id       INTEGER PRIMARY KEY CHECK (batch_id > 0),
    state          TEXT NOT NULL CHECK (state IN ('assigned', 'submitted', 'recorded')),
    record_count   INTEGER NOT NULL CHECK (record_count > 0),
    assigned_at    INTEGER NOT NULL,
    tx_hash        BLOB,
    recorded_block INTEGER
  ) STRICT;

  -- The audit outbox. seq orders records (AUTOINCREMENT: never reused after pruning).
  CREATE TABLE audit_records (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    content_id     BLOB NOT NULL,
    requester      BLOB NOT NULL,
    request_digest BLOB NOT NULL,
    served_at      INTEGER NOT NULL,
    batch_id       INTEGER REFERENCES audit_batches (batch_id)
  ) STRICT;
  CREATE INDEX audit_records_unbatched ON audit_records (seq) WHERE batch_id IS NULL;
  CREATE INDEX audit_records_by_batch ON audit_records (batch_id, seq) WHERE batch_id IS NOT NULL;

  -- Replay protection: (requester, nonce) seen, until the request expires.
  CREATE TABLE nonces (
    requester  BLOB NOT NULL,
    nonce      BLOB NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (requester, nonce)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX nonces_by_expiry ON nonces (expires_at);
  `,
  // 1 → 2: unconfirmed DEKs indexed by mode as well. DEKs in the modes confirmed off chain
  // (all, xor: a DHT provider record) stay 'pending' for good, so with the index on
  // received_at alone every poll of the holdings lane read all of them to find the few
  // stake/explicit DEKs awaiting a confirmation transaction.
  `
  DROP INDEX deks_unconfirmed;
  CREATE INDEX deks_unconfirmed ON deks (mode, received_at) WHERE confirmation <> 'confirmed';
  `,
  // 2 → 3: threshold shares (docs/threshold.md). A member of a threshold(m, n) content holds
  // f(index), never the DEK: its own table, so no path that serves DEKs can read a share.
  // Only sealed_share is secret; kid names the KAS key the share answers are signed with.
  `
  CREATE TABLE shares (
    content_id      BLOB PRIMARY KEY CHECK (length(content_id) = 32),
    share_index     INTEGER NOT NULL CHECK (share_index BETWEEN 1 AND 65535),
    sealed_share    BLOB NOT NULL,
    kid             BLOB NOT NULL CHECK (length(kid) = 8),
    received_at     INTEGER NOT NULL,
    confirmation    TEXT NOT NULL DEFAULT 'pending' CHECK (confirmation IN ('pending', 'submitted', 'confirmed')),
    confirmation_tx BLOB,
    confirmed_block INTEGER
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX shares_unconfirmed ON shares (received_at) WHERE confirmation <> 'confirmed';
  `,
  // 3 → 4: audit evidence (docs/accountability.md). Each record keeps the signed request behind
  // it (store/evidence.ts; NULL for records appended before this version), in the same insert;
  // a bulk request's content ids once per request. When a batch is assigned, its evidence blob
  // and Merkle root are written in the same transaction; the blob's CID follows before the
  // batch is sent. Blobs outlive their records' pruning: they are the batch's evidence.
  `
  ALTER TABLE audit_records ADD COLUMN evidence BLOB;
  CREATE TABLE audit_bulk_requests (
    ids_hash    BLOB PRIMARY KEY CHECK (length(ids_hash) = 32),
    content_ids BLOB NOT NULL CHECK (length(content_ids) % 32 = 0)
  ) STRICT, WITHOUT ROWID;
  CREATE TABLE audit_evidence (
    batch_id      INTEGER PRIMARY KEY REFERENCES audit_batches (batch_id),
    evidence_root BLOB NOT NULL CHECK (length(evidence_root) = 32),
    blob          BLOB NOT NULL,
    cid           TEXT
  ) STRICT;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export function schemaVersion(db: DatabaseSync): number {
  return Number((db.prepare("PRAGMA user_version").get() as { user_version: number | bigint }).user_version);
}

/** Whether the file holds no tables at all (a fresh database). */
export function isEmpty(db: DatabaseSync): boolean {
  return db.prepare("SELECT 1 FROM sqlite_schema LIMIT 1").get() === undefined;
}

export function assertSupportedVersion(version: number): void {
  if (version > SCHEMA_VERSION) {
    throw new StoreError("STORE_VERSION_UNSUPPORTED", "the store was written by a newer dekmesh", {
      details: { version, supported: SCHEMA_VERSION },
    });
  }
}

/** Applies the migrations above `from`; the caller holds the write transaction. */
export function migrate(db: DatabaseSync, from: number): void {
  assertSupportedVersion(from);
  for (let version = from; version < SCHEMA_VERSION; version++) {
    db.exec(MIGRATIONS[version]!);
    db.exec(`PRAGMA user_version = ${version + 1}`);
  }
}
