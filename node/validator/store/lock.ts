/**
 * The one-process lock on a store directory: a lock file naming the owner's pid and process
 * start time. It is created atomically (written in full to a private file, then hard-linked
 * into place, which fails if the lock exists), so a crash never leaves a half-written lock.
 * A lock whose process is gone — or whose pid now belongs to a process started at another
 * time (pid reuse) — is stale and taken over. The database's own exclusive lock (see
 * store.ts) backs this up: even if two processes raced through stale-lock recovery, only one
 * could open the database.
 */
import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, linkSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { LOCK_FILE } from "./constants.js";
import { StoreError } from "./errors.js";

interface LockOwner {
  pid: number;
  /** Start time of the process in clock ticks since boot (Linux), or null where unknown. */
  startTime: string | null;
  host: string;
}

function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Field 22 (starttime); fields are counted after the parenthesised command name.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
  } catch {
    return null;
  }
}

function isAlive(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return true; // a shared file system: we cannot tell, so never steal
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ESRCH") return false;
  }
  const startTime = processStartTime(owner.pid);
  return owner.startTime === null || startTime === null || startTime === owner.startTime;
}

function readOwner(path: string): LockOwner | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, "utf8")) as Partial<LockOwner>;
    if (typeof parsed.pid !== "number" || typeof parsed.host !== "string") return undefined;
    return { pid: parsed.pid, startTime: typeof parsed.startTime === "string" ? parsed.startTime : null, host: parsed.host };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

export interface DirectoryLock {
  readonly path: string;
  release(): void;
}

export function acquireLock(directory: string): DirectoryLock {
  const path = join(directory, LOCK_FILE);
  const owner: LockOwner = { pid: process.pid, startTime: processStartTime(process.pid), host: hostname() };
  const staging = `${path}.${process.pid}.${randomBytes(6).toString("hex")}`;
  const fd = openSync(staging, "wx", 0o600);
  try {
    writeSync(fd, JSON.stringify(owner));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        linkSync(staging, path);
        return { path, release: () => releaseLock(path, owner) };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
      const holder = readOwner(path);
      if (holder !== undefined && isAlive(holder)) {
        throw new StoreError("STORE_LOCKED", "the store directory is in use by another process or store instance", {
          details: { lockFile: path, pid: holder.pid, host: holder.host },
        });
      }
      if (attempt >= 3) {
        throw new StoreError("STORE_LOCKED", "could not take over a stale store lock", { details: { lockFile: path } });
      }
      // Stale (or unreadable, which only a foreign writer could produce): take it over.
      try {
        unlinkSync(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      }
    }
  } finally {
    unlinkSync(staging);
  }
}

function releaseLock(path: string, owner: LockOwner): void {
  const holder = readOwner(path);
  if (holder?.pid === owner.pid && holder.startTime === owner.startTime) unlinkSync(path);
}
