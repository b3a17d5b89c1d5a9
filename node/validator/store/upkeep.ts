/**
 * The store's upkeep reads and copies on its database: a fsync'd snapshot (backup), SQLite's
 * integrity check and the table sizes reported in stats. The caller (DekStore) flushes pending
 * writes first and maps SQLite failures to store errors.
 */
import { closeSync, constants as fsConstants, existsSync, fsyncSync, openSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { DatabaseSync } from "node:sqlite";
import { fromSqliteError, StoreError } from "./errors.js";

export function fsyncPath(path: string, flags: number = fsConstants.O_RDONLY): void {
  const fd = openSync(path, flags);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** VACUUM INTO a new file at `path`, fsync'd together with its directory entry. */
export function backupDatabase(db: DatabaseSync, path: string): { path: string; bytes: number } {
  const target = resolve(path);
  if (existsSync(target)) throw new StoreError("STORE_EXISTS", "backup target already exists", { details: { path: target } });
  try {
    db.prepare("VACUUM INTO ?").run(target);
    fsyncPath(target, fsConstants.O_RDWR);
    fsyncPath(dirname(target));
  } catch (error) {
    throw fromSqliteError(error, "backup");
  }
  return { path: target, bytes: statSync(target).size };
}

/** PRAGMA integrity_check: ["ok"] or a list of problems. */
export function integrityCheck(db: DatabaseSync): string[] {
  return (db.prepare("PRAGMA integrity_check").all() as { integrity_check: string }[]).map((row) => row.integrity_check);
}

/** The sizes of stats() that are counted in SQL. Counting DEKs scans the table: a few ms per million. */
export function tableCounts(db: DatabaseSync): { deks: number; kasKeys: number; pendingAuditBatches: number } {
  const count = (sql: string): number => Number((db.prepare(sql).get() as { n: number }).n);
  return {
    deks: count("SELECT count(*) AS n FROM deks"),
    kasKeys: count("SELECT count(*) AS n FROM kas_keys"),
    pendingAuditBatches: count("SELECT count(*) AS n FROM audit_batches WHERE state <> 'recorded'"),
  };
}
