import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { deriveNodeKeys, P256PrivateKey } from "../../../../node/crypto/keys/index.js";
import { DekStore } from "../../../../node/validator/store/index.js";
import { SCHEMA_VERSION } from "../../../../node/validator/store/schema.js";
import { assertBytes, auditRecord, dekFor, hex32, rejectsWith, tempDir } from "./helpers.js";

const MNEMONIC = "test test test test test test test test test test test junk";
const WORKER = fileURLToPath(new URL("./crashWorker.js", import.meta.url));
const meta = { policyId: 3n, mode: "explicit", source: "initial" } as const;

/** Tries to open the store from another process; returns what it printed. */
function openFromOtherProcess(directory: string, storageKey: Uint8Array): string {
  const child = spawnSync(process.execPath, ["--import", "tsx", WORKER, "probe", directory, Buffer.from(storageKey).toString("hex")], {
    encoding: "utf8",
    timeout: 20_000,
  });
  return child.stdout.trim();
}

describe("store lifecycle", () => {
  it("error: a second open of the same directory fails with STORE_LOCKED, in this process and in another", () => {
    const directory = tempDir();
    const storageKey = randomBytes(32);
    const store = DekStore.open({ directory, storageKey });
    assert.throws(() => DekStore.open({ directory, storageKey }), { code: "STORE_LOCKED" });
    assert.equal(openFromOtherProcess(directory, storageKey), "STORE_LOCKED");
    store.close();
    assert.equal(openFromOtherProcess(directory, storageKey), "opened");
    DekStore.open({ directory, storageKey }).close();
  });

  it("error: the database's own lock still refuses a second open if the lock file is deleted", async () => {
    const directory = tempDir();
    const storageKey = randomBytes(32);
    const store = DekStore.open({ directory, storageKey });
    rmSync(join(directory, "store.lock"));
    assert.throws(() => DekStore.open({ directory, storageKey }), { code: "STORE_LOCKED" });
    assert.equal(openFromOtherProcess(directory, storageKey), "STORE_LOCKED");
    await store.putDek(hex32("still-works"), dekFor("x"), meta);
    store.close();
  });

  it("a stale lock (dead pid, or a reused pid with another start time) is taken over", () => {
    const directory = tempDir();
    const storageKey = randomBytes(32);
    DekStore.open({ directory, storageKey }).close();
    const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
    writeFileSync(join(directory, "store.lock"), JSON.stringify({ pid: Number(dead.stdout), startTime: "1", host: hostname() }));
    DekStore.open({ directory, storageKey }).close();
    writeFileSync(join(directory, "store.lock"), JSON.stringify({ pid: process.pid, startTime: "1", host: hostname() }));
    DekStore.open({ directory, storageKey }).close();
    assert.deepEqual(readdirSync(directory).sort(), ["store.sqlite"]);
  });

  it("a new store is in WAL mode at the current schema version; a newer version is refused unchanged", () => {
    const directory = tempDir();
    const storageKey = randomBytes(32);
    DekStore.open({ directory, storageKey }).close();
    const db = new DatabaseSync(join(directory, "store.sqlite"));
    assert.equal((db.prepare("PRAGMA journal_mode").get() as { journal_mode: string }).journal_mode, "wal");
    assert.equal((db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version, SCHEMA_VERSION);
    db.exec("PRAGMA user_version = 99");
    db.close();
    assert.throws(() => DekStore.open({ directory, storageKey }), { code: "STORE_VERSION_UNSUPPORTED" });
    const check = new DatabaseSync(join(directory, "store.sqlite"));
    assert.equal((check.prepare("PRAGMA user_version").get() as { user_version: number }).user_version, 99);
    check.close();
  });

  it("backup + mnemonic: a backup opened with the re-derived storage key yields every DEK, KAS key and pending batch", async () => {
    const directory = tempDir();
    const node = deriveNodeKeys(MNEMONIC, 0);
    const store = DekStore.open({ directory, storageKey: node.storageKey });
    const ids = Array.from({ length: 100 }, (_, i) => hex32(`backup${i}`));
    await Promise.all(ids.map((id) => store.putDek(id, dekFor(id), meta)));
    const rotated = P256PrivateKey.generate();
    await store.addKasKey(node.kasKey);
    await store.addKasKey(rotated);
    await store.appendAudits([auditRecord("b1"), auditRecord("b2")]);
    const batch = await store.takeBatch();
    void store.appendAudit(auditRecord("b3")); // not awaited: backup commits pending writes first
    const backupPath = join(tempDir(), "node0.backup");
    const { bytes } = store.backup(backupPath);
    assert.ok(bytes > 0);
    await rejectsWith(() => store.backup(backupPath), "STORE_EXISTS");
    await store.putDek(hex32("after-backup"), dekFor("after"), meta);
    store.close();
    rmSync(directory, { recursive: true });

    const recoveredKey = deriveNodeKeys(MNEMONIC, 0).storageKey;
    const restoredDir = join(tempDir(), "restored");
    await rejectsWith(() => DekStore.restore(backupPath, { directory: restoredDir, storageKey: deriveNodeKeys(MNEMONIC, 1).storageKey }), "STORE_WRONG_KEY");
    assert.equal(existsSync(join(restoredDir, "store.sqlite")), false, "a refused restore leaves no store behind");

    const restored = DekStore.restore(backupPath, { directory: restoredDir, storageKey: recoveredKey });
    for (const id of ids) assertBytes(restored.getDek(id), dekFor(id));
    assert.equal(restored.hasDek(hex32("after-backup")), false);
    assertBytes(restored.currentKasKey()!.kid, rotated.kid);
    assertBytes(restored.getKasKey(node.kid)!.exportPrivateKey(), node.kasKey.exportPrivateKey());
    assert.deepEqual(await restored.pendingBatches(), [batch]);
    assert.equal(restored.unbatchedAuditCount(), 1);
    assert.deepEqual(restored.integrityCheck(), ["ok"]);
    restored.close();
    await rejectsWith(() => DekStore.restore(backupPath, { directory: restoredDir, storageKey: recoveredKey }), "STORE_EXISTS");
  });

  it("error: a closed store refuses every operation with STORE_CLOSED; close is idempotent", async () => {
    const store = DekStore.open({ directory: tempDir(), storageKey: randomBytes(32) });
    const pending = store.appendAudit(auditRecord("last"));
    store.close();
    await pending; // close commits what was pending
    store.close();
    assert.equal(store.closed, true);
    await rejectsWith(store.appendAudit(auditRecord("late")), "STORE_CLOSED");
    await rejectsWith(store.takeBatch(), "STORE_CLOSED");
    await rejectsWith(() => store.rememberNonce(hex32("r").slice(0, 42) as `0x${string}`, 1n, 2e9), "STORE_CLOSED");
    await rejectsWith(() => store.pendingBatches(), "STORE_CLOSED");
    await rejectsWith(() => store.backup(join(tempDir(), "x")), "STORE_CLOSED");
  });
});
