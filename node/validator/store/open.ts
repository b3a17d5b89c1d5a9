/**
 * Opening a store's files: the directory lock, the SQLite connection, the storage-key check,
 * WAL mode and schema migration (prepareDatabase), and installing a backup (restore). The
 * DekStore facade (store.ts) is built on what openStoreFiles hands it.
 */
import { copyFileSync, constants as fsConstants, existsSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { invalidArgument, nowSeconds } from "./codec.js";
import { DATABASE_FILE } from "./constants.js";
import { fromSqliteError, StoreError } from "./errors.js";
import { acquireLock, type DirectoryLock } from "./lock.js";
import type { DekStoreOptions } from "./options.js";
import { assertSupportedVersion, isEmpty, migrate, SCHEMA_VERSION, schemaVersion } from "./schema.js";
import { sealKeyCheck, verifyKeyCheck } from "./sealing.js";
import { fsyncPath } from "./upkeep.js";

/**
 * Locks `options.directory` (created with mode 0700 if missing), opens and prepares its
 * database and hands both to `build`. If anything fails, `build` included, the database is
 * closed and the lock released before the error is thrown as a StoreError.
 */
export function openStoreFiles<T>(
  options: DekStoreOptions,
  build: (directory: string, db: DatabaseSync, lock: DirectoryLock) => T,
): T {
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
    return build(directory, db, lock);
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
 * Copies `backupPath` into place as the store of the empty `directory`, then opens it with
 * `open`. If opening fails (a wrong storage key, say) the copy is removed again, unless the
 * failure was another holder's lock.
 */
export function restoreStoreFiles<T>(backupPath: string, directory: string, open: () => T): T {
  const target = join(resolve(directory), DATABASE_FILE);
  if (existsSync(target)) {
    throw new StoreError("STORE_EXISTS", "the directory already holds a store; restore into an empty directory", {
      details: { directory },
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
    return open();
  } catch (error) {
    if (!(error instanceof StoreError && error.code === "STORE_LOCKED")) rmSync(target, { force: true });
    throw error;
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
