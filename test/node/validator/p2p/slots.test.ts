import assert from "node:assert/strict";
import { test } from "node:test";
import type { P2pError } from "../../../../node/validator/p2p/index.js";
import { Slots } from "../../../../node/validator/p2p/slots.js";

const never = new AbortController().signal;

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (error: Error) => void } {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

test("Slots runs at most `limit` tasks at once, the others in arrival order", async () => {
  const slots = new Slots(2);
  const gates = Array.from({ length: 5 }, deferred);
  const started: number[] = [];
  let running = 0;
  let most = 0;
  const runs = gates.map((gate, i) =>
    slots.run(async () => {
      started.push(i);
      most = Math.max(most, ++running);
      try {
        await gate.promise;
      } finally {
        running--;
      }
      return i;
    }, never),
  );
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(started, [0, 1]);
  assert.equal(slots.waiting, 3);
  gates[1]!.resolve();
  await runs[1];
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(started, [0, 1, 2]);
  gates[0]!.reject(new Error("task failed"));
  await assert.rejects(runs[0]!, /task failed/);
  for (const gate of gates.slice(2)) gate.resolve();
  assert.deepEqual(await Promise.all(runs.slice(2)), [2, 3, 4]);
  assert.deepEqual(started, [0, 1, 2, 3, 4]);
  assert.equal(most, 2);
  assert.equal(slots.waiting, 0);
});

test("Slots: an aborted waiter leaves the line and never runs; a failed task frees its slot", async () => {
  const slots = new Slots(1);
  const gate = deferred();
  const first = slots.run(() => gate.promise, never);
  const cancel = new AbortController();
  let ran = false;
  const cancelled = slots.run(async () => void (ran = true), cancel.signal);
  const third = slots.run(async () => "third", never);
  cancel.abort();
  await assert.rejects(cancelled, (error: P2pError) => error.code === "P2P_ABORTED");
  assert.equal(slots.waiting, 1);
  gate.resolve();
  await first;
  assert.equal(await third, "third");
  assert.equal(ran, false);

  await assert.rejects(slots.run(async () => "late", AbortSignal.abort()), (error: P2pError) => error.code === "P2P_ABORTED");
  await assert.rejects(slots.run(() => Promise.reject(new Error("boom")), never), /boom/);
  assert.equal(await slots.run(async () => "free again", never), "free again");
});
