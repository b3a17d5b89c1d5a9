import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { describe, it } from "node:test";
import { P256PrivateKey } from "../../../../node/crypto/keys/index.js";
import { DekStore } from "../../../../node/validator/store/index.js";
import { assertBytes, dekFor, hex32, rejectsWith, tempDir } from "./helpers.js";

const meta = { policyId: 1n, mode: "stake", source: "initial" } as const;

async function populatedStore(): Promise<{ directory: string; key: Uint8Array; ids: `0x${string}`[]; kasKey: P256PrivateKey }> {
  const directory = tempDir();
  const key = randomBytes(32);
  const store = DekStore.open({ directory, storageKey: key });
  const ids = Array.from({ length: 5 }, (_, i) => hex32(`enc${i}`));
  for (const id of ids) await store.putDek(id, dekFor(id), meta);
  const kasKey = P256PrivateKey.generate();
  await store.addKasKey(kasKey);
  store.close();
  return { directory, key, ids, kasKey };
}

const dbFile = (directory: string) => join(directory, "store.sqlite");
const sha256 = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

function rawQuery<T>(directory: string, sql: string, ...params: (string | Uint8Array)[]): T[] {
  const db = new DatabaseSync(dbFile(directory));
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

function flipByteInColumn(directory: string, table: string, key: string, column: string, offset: number): void {
  const db = new DatabaseSync(dbFile(directory));
  const select = db.prepare(`SELECT ${key} AS id, ${column} AS value FROM ${table}`);
  for (const row of select.all() as { id: Uint8Array | string; value: Uint8Array }[]) {
    if (!(row.value instanceof Uint8Array)) continue;
    const value = Buffer.from(row.value);
    value[offset]! ^= 0x80;
    db.prepare(`UPDATE ${table} SET ${column} = ? WHERE ${key} = ?`).run(value, row.id);
  }
  db.close();
}

describe("encryption at rest", () => {
  it("no plaintext DEK or KAS private key appears in the database file", async () => {
    const { directory, ids, kasKey } = await populatedStore();
    assert.equal(existsSync(`${dbFile(directory)}-wal`), false, "a clean close checkpoints the WAL away");
    const file = readFileSync(dbFile(directory));
    for (const id of ids) assert.equal(file.indexOf(Buffer.from(dekFor(id))), -1);
    assert.equal(file.indexOf(Buffer.from(kasKey.exportPrivateKey())), -1);
  });

  it("error: opening with the wrong storage key fails with STORE_WRONG_KEY and changes nothing", async () => {
    const { directory, key, ids } = await populatedStore();
    const before = sha256(dbFile(directory));
    await rejectsWith(() => DekStore.open({ directory, storageKey: randomBytes(32) }), "STORE_WRONG_KEY");
    assert.equal(sha256(dbFile(directory)), before);
    assert.equal(existsSync(join(directory, "store.lock")), false, "the lock is released");
    const store = DekStore.open({ directory, storageKey: key });
    for (const id of ids) assertBytes(store.getDek(id), dekFor(id));
    store.close();
  });

  it("error: a flipped byte anywhere in a sealed DEK in the file is STORE_CORRUPT, never other bytes", async () => {
    const { directory, key, ids } = await populatedStore();
    const [{ sealed_dek: sealed }] = rawQuery<{ sealed_dek: Uint8Array }>(directory, "SELECT sealed_dek FROM deks WHERE content_id = ?", Buffer.from(ids[2]!.slice(2), "hex"));
    const original = readFileSync(dbFile(directory));
    const at = original.indexOf(Buffer.from(sealed!));
    assert.ok(at > 0, "the sealed record is stored contiguously in the file");
    // version byte, key id, nonce, ciphertext, tag
    for (const offset of [0, 2, 8, 20, 40, sealed!.length - 1]) {
      const tampered = Buffer.from(original);
      tampered[at + offset]! ^= 0x01;
      writeFileSync(dbFile(directory), tampered);
      const store = DekStore.open({ directory, storageKey: key });
      await rejectsWith(() => store.getDek(ids[2]!), "STORE_CORRUPT");
      assertBytes(store.getDek(ids[1]!), dekFor(ids[1]!));
      store.close();
    }
    writeFileSync(dbFile(directory), original);
  });

  it("error: a sealed DEK moved to another content's row is STORE_CORRUPT (AAD binds the content id)", async () => {
    const { directory, key, ids } = await populatedStore();
    const db = new DatabaseSync(dbFile(directory));
    db.prepare("UPDATE deks SET sealed_dek = (SELECT sealed_dek FROM deks WHERE content_id = ?) WHERE content_id = ?").run(
      Buffer.from(ids[0]!.slice(2), "hex"),
      Buffer.from(ids[1]!.slice(2), "hex"),
    );
    db.close();
    const store = DekStore.open({ directory, storageKey: key });
    assertBytes(store.getDek(ids[0]!), dekFor(ids[0]!));
    await rejectsWith(() => store.getDek(ids[1]!), "STORE_CORRUPT");
    store.close();
  });

  it("error: a tampered KAS key or key-check record is STORE_CORRUPT", async () => {
    const { directory, key, kasKey } = await populatedStore();
    flipByteInColumn(directory, "kas_keys", "kid", "sealed_private_key", 30);
    const store = DekStore.open({ directory, storageKey: key });
    await rejectsWith(() => store.getKasKey(kasKey.kid), "STORE_CORRUPT");
    await rejectsWith(() => store.currentKasKey(), "STORE_CORRUPT");
    store.close();

    flipByteInColumn(directory, "meta", "name", "value", 30);
    await rejectsWith(() => DekStore.open({ directory, storageKey: key }), "STORE_CORRUPT");
  });

  it("error: a file that is not a dekmesh store is refused without being changed", async () => {
    const garbage = tempDir();
    writeFileSync(dbFile(garbage), randomBytes(8192));
    const before = sha256(dbFile(garbage));
    await rejectsWith(() => DekStore.open({ directory: garbage, storageKey: randomBytes(32) }), "STORE_CORRUPT");
    assert.equal(sha256(dbFile(garbage)), before);

    const foreign = tempDir();
    const db = new DatabaseSync(dbFile(foreign));
    db.exec("CREATE TABLE other (x)");
    db.close();
    await rejectsWith(() => DekStore.open({ directory: foreign, storageKey: randomBytes(32) }), "STORE_CORRUPT");
  });
});
