/**
 * Durable group commits off the event loop (node/validator/store/walSync.ts): a write resolves only after
 * an fsync of the WAL that started after its commit, the event loop keeps running meanwhile,
 * flush() is durable on return, durable() and the writes and reads the tx submitter uses wait
 * for an fsync without blocking, and a failed fsync fails the writes and stops the store from
 * accepting more. The fsync is the real one, wrapped so a test can hold or fail it.
 */
import assert from "node:assert/strict";
import { fsync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { setImmediate as nextTurn } from "node:timers/promises";
import { DekStore, StoreError, type FsyncFn } from "../../../../node/validator/store/index.js";
import { auditRecord, tempDir } from "./helpers.js";

/** The real fsync, held until the test releases it (or fails it). */
class HeldFsync {
  readonly calls: { release(): void; fail(): void }[] = [];
  readonly fn: FsyncFn = (fd, callback) => {
    this.calls.push({
      release: () => fsync(fd, callback),
      fail: () => callback(Object.assign(new Error("EIO: i/o error, fsync"), { code: "EIO" })),
    });
  };
}

/** Whether `promise` has settled by the next event-loop turn. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  await nextTurn();
  return done;
}

function open(fsyncFn: FsyncFn, directory = join(tempDir(), "store")) {
  return DekStore.open({ directory, storageKey: new Uint8Array(32).fill(7), fsync: fsyncFn });
}

describe("store: durable commits off the event loop", () => {
  it("a write resolves after an fsync that started after its commit; the event loop runs meanwhile", async () => {
    const held = new HeldFsync();
    const store = open(held.fn);
    try {
      const first = store.appendAudit(auditRecord("first"));
      assert.equal(await settled(first), false, "committed, not yet durable");
      assert.equal(held.calls.length, 1, "one fsync started, on the thread pool");

      // While it runs, another write commits but must wait for a second fsync.
      const second = store.appendAudit(auditRecord("second"));
      assert.equal(await settled(second), false);
      assert.equal(held.calls.length, 1, "one fsync in flight at a time");

      held.calls[0]!.release();
      await first;
      assert.equal(await settled(second), false, "the first fsync started before the second commit");
      assert.equal(held.calls.length, 2);
      held.calls[1]!.release();
      await second;
      assert.equal(store.stats().unbatchedAuditRecords, 2);
    } finally {
      store.close();
    }
  });

  it("flush() makes every commit durable before it returns, the one in flight included", async () => {
    const held = new HeldFsync();
    const store = open(held.fn);
    try {
      const inFlight = store.appendAudit(auditRecord("a"));
      await nextTurn();
      const waiting = store.appendAudit(auditRecord("b"));
      await nextTurn();
      const open = store.appendAudit(auditRecord("c")); // not committed yet
      store.flush(); // commits "c", fsyncs on this thread
      assert.deepEqual(await Promise.all([inFlight, waiting, open].map(settled)), [true, true, true]);
      held.calls[0]!.release(); // the late callback has nothing left to do
      await nextTurn();
    } finally {
      store.close();
    }
  });

  it("durable() waits for every write so far without blocking: it rides the fsync in flight or the next one", async () => {
    const held = new HeldFsync();
    const store = open(held.fn);
    try {
      assert.equal(await settled(store.durable()), true, "nothing written: settles at once, no fsync");
      assert.equal(held.calls.length, 0);

      const write = store.appendAudit(auditRecord("a"));
      await nextTurn();
      const coveredByInFlight = store.durable(); // the commit of "a" is in the fsync in flight
      assert.equal(await settled(coveredByInFlight), false);
      const open = store.appendAudit(auditRecord("b")); // not committed yet
      const afterOpen = store.durable();
      held.calls[0]!.release();
      await Promise.all([write, coveredByInFlight]);
      assert.equal(await settled(afterOpen), false, "\"b\" was committed after the first fsync started");
      assert.equal(held.calls.length, 2);
      held.calls[1]!.release();
      await Promise.all([open, afterOpen]);
      assert.equal(held.calls.length, 2, "durable() adds no fsync of its own");
    } finally {
      store.close();
    }
  });

  it("the outbox's and holdings' transitions and the reads that feed transactions wait for the fsync, off the event loop", async () => {
    const held = new HeldFsync();
    const store = open(held.fn);
    try {
      const appended = store.appendAudit(auditRecord("a"));
      const taken = store.takeBatch(10);
      assert.equal(await settled(taken), false, "the batch is assigned, its assignment not yet durable");
      assert.equal(store.getBatchState(1n), "assigned", "…but visible at once");
      const pending = store.pendingBatches();
      held.calls[0]!.release();
      const [batch] = await Promise.all([taken, appended]);
      assert.equal(batch?.recordCount, 1);
      assert.deepEqual(await pending, [batch]);

      const submitted = store.markBatchSubmitted(1n, `0x${"ab".repeat(32)}`);
      assert.equal(await settled(submitted), false);
      const unconfirmed = store.listUnconfirmed();
      assert.equal(held.calls.length, 2);
      held.calls[1]!.release();
      await submitted;
      assert.deepEqual(await unconfirmed, []);
      assert.equal(store.getBatchState(1n), "submitted");
    } finally {
      store.close();
    }
  });

  it("durable() rejects once an fsync failed, and on a closed store", async () => {
    const held = new HeldFsync();
    const store = open(held.fn);
    const write = store.appendAudit(auditRecord("a"));
    await nextTurn();
    const waiting = store.durable();
    held.calls[0]!.fail();
    await assert.rejects(write, (e: unknown) => e instanceof StoreError && e.code === "STORE_NOT_DURABLE");
    await assert.rejects(waiting, (e: unknown) => e instanceof StoreError && e.code === "STORE_NOT_DURABLE");
    await assert.rejects(store.durable(), (e: unknown) => e instanceof StoreError && e.code === "STORE_NOT_DURABLE");
    store.close();
    await assert.rejects(store.durable(), (e: unknown) => e instanceof StoreError && e.code === "STORE_CLOSED");
  });

  it("a failed fsync fails the writes waiting on it and every later write; reads still work", async () => {
    const held = new HeldFsync();
    const directory = join(tempDir(), "store");
    const store = open(held.fn, directory);
    const first = store.appendAudit(auditRecord("lost?"));
    await nextTurn();
    const second = store.appendAudit(auditRecord("also"));
    await nextTurn();
    held.calls[0]!.fail();
    for (const write of [first, second]) {
      await assert.rejects(write, (e: unknown) => e instanceof StoreError && e.code === "STORE_NOT_DURABLE" && !e.retryable);
    }
    await assert.rejects(store.appendAudit(auditRecord("later")), (e: unknown) => e instanceof StoreError && e.code === "STORE_NOT_DURABLE");
    assert.throws(() => store.flush(), (e: unknown) => e instanceof StoreError && e.code === "STORE_NOT_DURABLE");
    assert.equal(store.nextBatchId(), 1n, "reads still answer");
    assert.equal(store.failure?.code, "STORE_NOT_DURABLE", "what the node's /ready reports");
    store.close(); // does not throw: nothing more can be promised
    assert.equal(held.calls.length, 1);

    // A restart reopens the store; what SQLite committed is there (the page cache kept it).
    const reopened = DekStore.open({ directory, storageKey: new Uint8Array(32).fill(7) });
    try {
      assert.equal(reopened.stats().unbatchedAuditRecords, 2);
      await reopened.appendAudit(auditRecord("after restart"));
    } finally {
      reopened.close();
    }
  });
});
