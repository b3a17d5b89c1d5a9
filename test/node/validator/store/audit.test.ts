import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readdirSync, readlinkSync } from "node:fs";
import { describe, it } from "node:test";
import { AUDIT_RECORD_BYTES, decodeAuditRecords } from "../../../../node/protocol/auditRecords.js";
import { DekStore } from "../../../../node/validator/store/index.js";
import { address, auditRecord, hex32, openStore, rejectsWith, tempDir } from "./helpers.js";

async function appendN(store: DekStore, prefix: string, n: number): Promise<number[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => store.appendAudit(auditRecord(`${prefix}${i}`, 1_800_000_000 + i))));
}

/** SQLite temporary files (`etilqs_…`, deleted on creation) this process holds open; Linux only. */
function sqliteTempFilesOpen(): number {
  return readdirSync("/proc/self/fd").filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`).includes("etilqs_");
    } catch {
      return false; // closed since the listing
    }
  }).length;
}

describe("audit outbox", () => {
  it("concurrent appends resolve from one group commit, in append order", async () => {
    const store = openStore();
    const before = store.stats().commits;
    const seqs = await appendN(store, "g", 50);
    assert.equal(store.stats().commits - before, 1);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
    assert.equal(new Set(seqs).size, 50);
    assert.equal(store.unbatchedAuditCount(), 50);
    store.close();
  });

  it("takeBatch assigns ids 1, 2, 3… to the oldest unbatched records, each record once", async () => {
    const store = openStore();
    assert.equal(await store.takeBatch(), undefined, "nothing to batch consumes no id");
    assert.equal(store.nextBatchId(), 1n);
    await appendN(store, "r", 25);
    const first = (await store.takeBatch(10))!;
    const second = (await store.takeBatch(10))!;
    const third = (await store.takeBatch(10))!;
    await appendN(store, "s", 3);
    const fourth = (await store.takeBatch(10))!;
    assert.equal(await store.takeBatch(10), undefined);
    assert.deepEqual([first, second, third, fourth].map((b) => b.batchId), [1n, 2n, 3n, 4n]);
    assert.deepEqual([first, second, third, fourth].map((b) => b.recordCount), [10, 10, 5, 3]);
    const all = [first, second, third, fourth].flatMap((b) => store.batchRecords(b.batchId));
    assert.deepEqual(all.map((r) => r.seq), [...all.map((r) => r.seq)].sort((a, b) => a - b));
    assert.deepEqual(all.map((r) => r.requestDigest), [...Array(25).keys()].map((i) => hex32(`digest:r${i}`)).concat([0, 1, 2].map((i) => hex32(`digest:s${i}`))));
    const [r0] = store.batchRecords(first.batchId);
    assert.deepEqual(r0, { seq: r0!.seq, ...auditRecord("r0", 1_800_000_000) });
    assert.equal(first.state, "assigned");
    store.close();
  });

  it("a batch's packed records are its records, in seq order, in the layout RewrapAuditLog takes", async () => {
    const store = openStore();
    // Bytes SQLite's text concatenation must carry through untouched: NUL, 0xff, invalid UTF-8.
    const records = [
      { contentId: `0x00${"ff".repeat(31)}`, requester: `0x${"00".repeat(20)}`, requestDigest: `0xc328${"00".repeat(30)}`, servedAt: 0 },
      { contentId: hex32("p1"), requester: address("p1"), requestDigest: hex32("d1"), servedAt: 2 ** 40 + 5 },
      ...Array.from({ length: 8 }, (_, i) => auditRecord(`p${i + 2}`, 1_800_000_000 + i)),
    ] as const;
    for (const record of records) await store.appendAudit(record);
    const batch = (await store.takeBatch(500))!;
    assert.equal(batch.packedRecords.length, records.length * AUDIT_RECORD_BYTES);
    const decoded = decodeAuditRecords(`0x${Buffer.from(batch.packedRecords).toString("hex")}`);
    assert.deepEqual(
      decoded,
      records.map((r) => ({ contentId: r.contentId.toLowerCase(), requester: r.requester.toLowerCase(), requestDigest: r.requestDigest.toLowerCase(), servedAt: BigInt(r.servedAt) })),
    );
    assert.deepEqual(
      store.batchRecords(batch.batchId).map(({ seq: _, ...r }) => ({ ...r, servedAt: BigInt(r.servedAt) })),
      decoded,
    );
    store.close();
  });

  it("a full batch's statement journal stays in memory: later group commits write only the store's files", { skip: process.platform !== "linux" }, async () => {
    const store = openStore();
    const before = sqliteTempFilesOpen();
    await appendN(store, "big", 500);
    assert.equal((await store.takeBatch(500))!.recordCount, 500);
    for (let i = 0; i < 20; i++) store.rememberNonce(address(`reader${i}`), BigInt(i), 1_900_000_000);
    await appendN(store, "after", 20);
    assert.equal(sqliteTempFilesOpen(), before);
    store.close();
  });

  it("error: batch sizes outside 1–1,000 (RewrapAuditLog's limit) are refused", async () => {
    const store = openStore();
    await appendN(store, "x", 2);
    await rejectsWith(store.takeBatch(0), "STORE_INVALID_ARGUMENT");
    await rejectsWith(store.takeBatch(1001), "STORE_INVALID_ARGUMENT");
    assert.equal(store.nextBatchId(), 1n);
    store.close();
  });

  it("error: appendAudits is all-or-nothing", async () => {
    const store = openStore();
    await rejectsWith(store.appendAudits([auditRecord("ok"), { ...auditRecord("bad"), requester: hex32("too long") }]), "STORE_INVALID_ARGUMENT");
    assert.equal(store.unbatchedAuditCount(), 0);
    assert.equal((await store.appendAudits([auditRecord("a"), auditRecord("b")])).length, 2);
    store.close();
  });

  it("after a restart, pending batches come back with the same ids and records, and are never re-batched", async () => {
    const directory = tempDir();
    const storageKey = randomBytes(32);
    let store = DekStore.open({ directory, storageKey });
    await appendN(store, "p", 12);
    const one = (await store.takeBatch(5))!;
    const two = (await store.takeBatch(5))!;
    await store.markBatchSubmitted(1n, hex32("tx-1"));
    store.close();

    store = DekStore.open({ directory, storageKey });
    const pending = await store.pendingBatches();
    assert.deepEqual(pending, [{ ...one, state: "submitted", txHash: hex32("tx-1") }, two]);
    assert.deepEqual(await store.pendingBatches(), pending, "idempotent");
    const three = (await store.takeBatch(5))!;
    assert.equal(three.batchId, 3n);
    assert.equal(three.recordCount, 2);
    await store.markBatchRecorded(1n, 100n);
    await store.markBatchRecorded(2n, 101n);
    assert.deepEqual((await store.pendingBatches()).map((b) => b.batchId), [3n]);
    assert.equal(store.getBatch(1n)!.block, 100n);
    assert.deepEqual([1n, 2n, 3n, 4n].map((id) => store.getBatchState(id)), ["recorded", "recorded", "assigned", undefined]);
    store.close();
  });

  it("error: batch state changes that would break the chain's order are refused", async () => {
    const store = openStore();
    await appendN(store, "o", 4);
    await store.takeBatch(2);
    await store.takeBatch(2);
    await rejectsWith(store.markBatchRecorded(2n, 10n), "STORE_BATCH_STATE");
    await rejectsWith(store.markBatchSubmitted(9n, hex32("tx")), "STORE_NOT_FOUND");
    await rejectsWith(store.markBatchRecorded(0n, 10n), "STORE_INVALID_ARGUMENT");
    await store.markBatchRecorded(1n, 10n);
    await rejectsWith(store.markBatchSubmitted(1n, hex32("tx")), "STORE_BATCH_STATE");
    store.close();
  });

  it("reconcileBatches: mined-but-unmarked batches become recorded; a chain ahead moves the next id", async () => {
    const store = openStore();
    await appendN(store, "c", 6);
    for (let i = 0; i < 3; i++) await store.takeBatch(2);
    await store.markBatchSubmitted(1n, hex32("t1"));
    await store.markBatchSubmitted(2n, hex32("t2"));
    // Crash after batches 1 and 2 were mined: the chain expects 3.
    let result = await store.reconcileBatches(3n);
    assert.deepEqual(result, { markedRecorded: [1n, 2n], reopened: [], nextBatchId: 4n });
    assert.deepEqual((await store.pendingBatches()).map((b) => b.batchId), [3n]);
    // Restored from an older backup: the chain is at 10 already.
    result = await store.reconcileBatches(10n);
    assert.deepEqual(result.markedRecorded, [3n]);
    assert.equal(result.nextBatchId, 10n);
    await appendN(store, "d", 1);
    assert.equal((await store.takeBatch())!.batchId, 10n);
    store.close();
  });

  it("reconcileBatches: batches recorded locally but missing on chain (reorg) are reopened with the same records", async () => {
    const store = openStore();
    await appendN(store, "z", 4);
    const one = (await store.takeBatch(2))!;
    const two = (await store.takeBatch(2))!;
    await store.markBatchRecorded(1n, 5n);
    await store.markBatchRecorded(2n, 6n);
    const result = await store.reconcileBatches(2n);
    assert.deepEqual(result, { markedRecorded: [], reopened: [2n], nextBatchId: 3n });
    assert.deepEqual(await store.pendingBatches(), [two]);
    assert.deepEqual(store.getBatch(1n)!.packedRecords, one.packedRecords);
    store.close();
  });

  it("pruneAudit deletes records of recorded batches only", async () => {
    const store = openStore();
    await appendN(store, "q", 6);
    await store.takeBatch(2);
    await store.takeBatch(2);
    await store.markBatchRecorded(1n, 50n);
    await store.markBatchRecorded(2n, 60n);
    assert.equal(await store.pruneAudit(55n), 2);
    assert.deepEqual([store.getBatch(1n)!.recordCount, store.getBatch(1n)!.packedRecords.length, store.batchRecords(1n).length], [2, 0, 0]);
    assert.deepEqual([store.getBatch(2n)!.recordCount, store.getBatch(2n)!.packedRecords.length, store.batchRecords(2n).length], [2, 2 * 92, 2]);
    assert.equal(store.unbatchedAuditCount(), 2);
    assert.equal((await store.takeBatch())!.batchId, 3n);
    await rejectsWith(store.reconcileBatches(1n), "STORE_BATCH_STATE");
    store.close();
  });
});
