/**
 * Crash safety with real processes: a child appends audit records (and takes batches) or puts
 * DEKs as fast as it can and reports every write whose promise resolved; it is SIGKILLed at a
 * seeded random moment; the store is reopened and every acknowledged write must be there
 * exactly once, batches must be contiguous and unchanged, and SQLite's integrity check must pass.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { DekStore, type AuditBatch, type Hex } from "../../../../node/validator/store/index.js";
import { assertBytes, tempDir } from "./helpers.js";
import { prng, runAndKill } from "../../helpers/crash.js";

const WORKER = fileURLToPath(new URL("./crashWorker.js", import.meta.url));


describe("crash safety (SIGKILL at random moments)", () => {
  it("every acknowledged audit record survives exactly once; batch ids stay contiguous and batches unchanged", async (t) => {
    const random = prng(0x5eed_a0d1);
    const directory = join(tempDir(), "audit");
    const storageKey = randomBytes(32);
    const keyHex = Buffer.from(storageKey).toString("hex");
    DekStore.open({ directory, storageKey }).close();
    const acked = new Set<Hex>();
    const ackedBatches = new Map<string, { count: number; firstSeq: number }>();
    let previousPending: AuditBatch[] = [];

    for (let iteration = 0; iteration < 5; iteration++) {
      const lines = await runAndKill(WORKER, ["audit", directory, keyHex, `it${iteration}`], 80 + Math.floor(random() * 500), 20_000);
      for (const line of lines) {
        const [kind, a, b, c] = line.split(" ");
        if (kind === "A") acked.add(a as Hex);
        else if (kind === "B") ackedBatches.set(a!, { count: Number(b), firstSeq: Number(c) });
      }

      const store = DekStore.open({ directory, storageKey }); // takes over the stale lock
      assert.deepEqual(store.integrityCheck(), ["ok"]);
      const pending = await store.pendingBatches();
      // Batches pending before this run are exactly as they were: same ids, same records.
      for (const batch of previousPending) assert.deepEqual(pending.find((p) => p.batchId === batch.batchId), batch);
      // The "submitter" records the older half, so later runs see both recorded and pending batches.
      for (const batch of pending.slice(0, Math.floor(pending.length / 2))) await store.markBatchRecorded(batch.batchId, 1000n + batch.batchId);
      previousPending = await store.pendingBatches();
      store.close();

      const db = new DatabaseSync(join(directory, "store.sqlite"), { readOnly: true });
      const counts = new Map(
        (db.prepare("SELECT request_digest AS d, count(*) AS n FROM audit_records GROUP BY request_digest").all() as { d: Uint8Array; n: number }[]).map((r) => [
          `0x${Buffer.from(r.d).toString("hex")}` as Hex,
          r.n,
        ]),
      );
      for (const digest of acked) assert.equal(counts.get(digest), 1, `acknowledged record ${digest} present once`);
      for (const [digest, n] of counts) assert.equal(n, 1, `record ${digest} duplicated`);

      const batches = db
        .prepare(
          "SELECT b.batch_id AS id, b.record_count AS count, min(r.seq) AS first, max(r.seq) AS last, count(r.seq) AS present FROM audit_batches b LEFT JOIN audit_records r ON r.batch_id = b.batch_id GROUP BY b.batch_id ORDER BY b.batch_id",
        )
        .all() as { id: number; count: number; first: number; last: number; present: number }[];
      assert.deepEqual(batches.map((b) => b.id), batches.map((_, i) => i + 1), "batch ids are 1..n");
      for (const [i, batch] of batches.entries()) {
        assert.equal(batch.present, batch.count, `batch ${batch.id} holds exactly its records`);
        if (i > 0) assert.ok(batch.first > batches[i - 1]!.last, "batches take the oldest records first");
        const seen = ackedBatches.get(String(batch.id));
        if (seen !== undefined) assert.deepEqual({ count: batch.count, firstSeq: batch.first }, seen, `batch ${batch.id} as acknowledged`);
      }
      for (const id of ackedBatches.keys()) assert.ok(Number(id) <= batches.length, `acknowledged batch ${id} exists`);
      const lastBatched = batches.at(-1)?.last ?? 0;
      const early = db.prepare("SELECT count(*) AS n FROM audit_records WHERE batch_id IS NULL AND seq < ?").get(lastBatched) as { n: number };
      assert.equal(early.n, 0, "no record was skipped by a batch");
      db.close();
    }
    t.diagnostic(`${acked.size} acknowledged appends and ${ackedBatches.size} acknowledged batches over 5 kills`);
    assert.ok(acked.size > 1000, `the worker made progress (${acked.size} acknowledged appends)`);
    assert.ok(ackedBatches.size > 5, `the worker took batches (${ackedBatches.size})`);
  });

  it("every acknowledged DEK survives and opens to the DEK that was put", async (t) => {
    const random = prng(0xdec0_0de5);
    const directory = join(tempDir(), "deks");
    const storageKey = randomBytes(32);
    const keyHex = Buffer.from(storageKey).toString("hex");
    DekStore.open({ directory, storageKey }).close();
    const acked = new Set<Hex>();

    for (let iteration = 0; iteration < 4; iteration++) {
      const lines = await runAndKill(WORKER, ["dek", directory, keyHex, `it${iteration}`], 80 + Math.floor(random() * 500), 20_000);
      for (const line of lines) if (line.startsWith("D ")) acked.add(line.slice(2) as Hex);
      const store = DekStore.open({ directory, storageKey });
      assert.deepEqual(store.integrityCheck(), ["ok"]);
      for (const contentId of acked) assertBytes(store.getDek(contentId), createHash("sha256").update(`dek:${contentId}`).digest());
      assert.ok(store.stats().deks >= acked.size);
      store.close();
    }
    t.diagnostic(`${acked.size} acknowledged DEKs over 4 kills`);
    assert.ok(acked.size > 500, `the worker made progress (${acked.size} acknowledged DEKs)`);
  });
});
