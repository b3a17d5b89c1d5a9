/**
 * TxSubmitter against a real Hardhat node and a real store: audit records reach RewrapAuditLog
 * exactly once, in batches of the configured size and interval; holder confirmations of
 * stake/explicit contents reach ContentRegistry once, xor/all ones never.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import type { Address, Hex } from "viem";
import {
  ChainError,
  confirmHoldings,
  confirmHoldingsRequest,
  getNextBatchId,
  recordRewraps,
} from "../../../../node/chain/index.js";
import { type Logger } from "../../../../node/protocol/logger.js";
import { TxSubmitter, type TxSubmitterOptions } from "../../../../node/validator/submitter/index.js";
import { rpcRequest } from "../../../../node/devnet/index.js";
import { MAX_AUDIT_IN_FLIGHT } from "../../../../node/validator/submitter/auditLane.js";
import type { DekStore } from "../../../../node/validator/store/index.js";
import {
  auditRecord,
  countDigests,

  createPolicy,
  onChainAudit,
  onChainHoldings,
  openStore,
  registerContent,
  setupValidator,
  startTestChain,
  type TestChain,
  type TestValidator,
} from "../../chain/helpers.js";

let chain: TestChain;
before(async () => {
  chain = await startTestChain();
});
after(async () => {
  await chain?.stop();
});

/** Log lines as a JSON logger would write them: serializing fails on a bigint or a cycle. */
const logLines: string[] = [];
const jsonLogger = Object.fromEntries(
  (["debug", "info", "warn", "error"] as const).map((level) => [level, (message: string, fields?: Record<string, unknown>) => void logLines.push(JSON.stringify({ level, message, ...fields }))]),
) as unknown as Logger;

function submitterFor(validator: TestValidator, store: DekStore, options: TxSubmitterOptions = {}): TxSubmitter {
  return new TxSubmitter({ clients: validator.node, store, logger: jsonLogger }, { idlePollMs: 20, minBackoffMs: 20, maxBackoffMs: 200, ...options });
}

describe("audit batches", () => {
  it("records every appended record once, in batches of the configured size", async () => {
    const validator = await setupValidator(chain, 1, 2);
    const { store } = openStore();
    const submitter = submitterFor(validator, store, { auditBatchSize: 7, auditIntervalMs: 60_000 });
    await submitter.start();
    try {
      const labels = Array.from({ length: 30 }, (_, i) => `size:${i}`);
      await store.appendAudits(labels.map(auditRecord));
      // 28 records make four full batches without waiting for the (long) interval.
      const deadline = Date.now() + 10_000;
      while (submitter.metrics.auditBatchesRecorded < 4 && Date.now() < deadline) await delay(20);
      assert.equal(submitter.metrics.auditBatchesRecorded, 4);
      assert.equal(store.unbatchedAuditCount(), 2, "the last two wait for the interval");
      await submitter.flush();

      const audit = await onChainAudit(validator.node, validator.address);
      assert.deepEqual(audit.digests, labels.map((label) => auditRecord(label).requestDigest), "one-for-one, in order");
      assert.deepEqual(audit.batches, [7, 7, 7, 7, 2].map((count, i) => ({ batchId: BigInt(i + 1), count })));
      assert.equal(await getNextBatchId(validator.node, { validator: validator.address }), 6n);
      assert.equal((await store.pendingBatches()).length, 0);
      assert.equal(submitter.metrics.auditRecordsRecorded, 30);
      assert.equal(submitter.metrics.auditBatchesSent, 5);
    } finally {
      await submitter.stop();
      store.close();
    }
  });

  it("sends a smaller batch once its oldest record waited the interval", async () => {
    const validator = await setupValidator(chain, 3, 4);
    const { store } = openStore();
    const submitter = submitterFor(validator, store, { auditBatchSize: 100, auditIntervalMs: 400 });
    await submitter.start();
    try {
      const started = Date.now();
      await store.appendAudits(["a", "b", "c"].map((l) => auditRecord(`interval:${l}`)));
      submitter.notify();
      await delay(200);
      assert.equal(submitter.metrics.auditBatchesSent, 0, "not before the interval");
      const deadline = Date.now() + 5_000;
      while (submitter.metrics.auditBatchesRecorded < 1 && Date.now() < deadline) await delay(10);
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 400 && elapsed < 2_000, `recorded after ${elapsed} ms`);
      const audit = await onChainAudit(validator.node, validator.address);
      assert.deepEqual(audit.batches, [{ batchId: 1n, count: 3 }]);
    } finally {
      await submitter.stop();
      store.close();
    }
  });

  it("resumes pending batches with their ids after a restart, and reconciles a batch the chain already has", async () => {
    const validator = await setupValidator(chain, 5, 6);
    const { store } = openStore();
    // Batch 1 goes on chain, then the "crash": the store never learned that (still assigned).
    await store.appendAudits(Array.from({ length: 5 }, (_, i) => auditRecord(`resume:${i}`)));
    const first = (await store.takeBatch(3))!;
    const second = (await store.takeBatch(3))!;
    const direct = submitterFor(validator, store);
    await direct.start();
    await direct.flush();
    await direct.stop();
    assert.equal(store.getBatch(first.batchId)!.state, "recorded");
    assert.equal(store.getBatch(second.batchId)!.state, "recorded");
    const audit = await onChainAudit(validator.node, validator.address);
    assert.deepEqual(audit.batches, [{ batchId: 1n, count: 3 }, { batchId: 2n, count: 2 }]);
    assert.equal(countDigests(audit).size, 5);

    // A batch recorded on chain but still "submitted" locally (crash before markBatchRecorded),
    // plus a resend of it: reconciled at start, not sent again.
    await store.appendAudits([auditRecord("resume:5")]);
    const third = (await store.takeBatch(10))!;
    const { hash } = await recordRewraps(validator.node, {
      batchId: third.batchId,
      records: store.batchRecords(third.batchId).map((r) => ({ contentId: r.contentId, requester: r.requester as Address, requestDigest: r.requestDigest, servedAt: r.servedAt })),
    });
    await store.markBatchSubmitted(third.batchId, hash);
    const restarted = submitterFor(validator, store);
    await restarted.start();
    await restarted.flush();
    await restarted.stop();
    assert.equal(store.getBatch(third.batchId)!.state, "recorded");
    assert.equal(restarted.metrics.auditBatchesSent, 0, "nothing was resent");
    assert.equal(restarted.metrics.auditBatchesRecorded, 1, "found on chain by the status lookup");
    const after = await onChainAudit(validator.node, validator.address);
    assert.equal(after.digests.length, 6);
    assert.deepEqual([...countDigests(after).values()].filter((n) => n !== 1), []);
    store.close();
  });
});

/** No blocks while a test looks: every transaction stays in the mempool until evm_mine. */
async function withoutMining<T>(body: () => Promise<T>): Promise<T> {
  await rpcRequest(chain.rpcUrl, "evm_setAutomine", [false]);
  await rpcRequest(chain.rpcUrl, "evm_setIntervalMining", [0]);
  try {
    return await body();
  } finally {
    await rpcRequest(chain.rpcUrl, "evm_setAutomine", [true]);
    await rpcRequest(chain.rpcUrl, "evm_setIntervalMining", [500]);
  }
}

async function waitFor(what: string, done: () => Promise<boolean> | boolean, ms = 10_000): Promise<void> {
  for (const deadline = Date.now() + ms; !(await done()); await delay(20)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
  }
}

describe("audit batches in flight", () => {
  it(`sends up to ${MAX_AUDIT_IN_FLIGHT} batches before the first is mined; they share a block`, async () => {
    const validator = await setupValidator(chain, 23, 24);
    const { store } = openStore();
    const submitter = submitterFor(validator, store, { auditBatchSize: 2, auditIntervalMs: 60_000 });
    const count = (blockTag: "pending" | "latest") => validator.node.publicClient.getTransactionCount({ address: validator.address, blockTag });
    const labels = Array.from({ length: 2 * (MAX_AUDIT_IN_FLIGHT + 2) }, (_, i) => `pipeline:${i}`);
    try {
      await withoutMining(async () => {
        const before = await count("latest");
        await store.appendAudits(labels.map(auditRecord));
        await submitter.start();
        await waitFor(`${MAX_AUDIT_IN_FLIGHT} batches sent`, async () => (await count("pending")) === before + MAX_AUDIT_IN_FLIGHT);
        await delay(300);
        assert.equal(await count("pending"), before + MAX_AUDIT_IN_FLIGHT, "no more until one is recorded");
        assert.equal(await count("latest"), before, "nothing mined yet");
        await rpcRequest(chain.rpcUrl, "evm_mine", []);
        await waitFor("the rest sent", async () => (await count("pending")) === before + MAX_AUDIT_IN_FLIGHT + 2);
      });
      await submitter.flush();
      const audit = await onChainAudit(validator.node, validator.address);
      assert.deepEqual(audit.digests, labels.map((label) => auditRecord(label).requestDigest), "one-for-one, in order");
      assert.deepEqual(audit.batches.map((b) => b.batchId), audit.batches.map((_, i) => BigInt(i + 1)));
      const blocks = Array.from({ length: MAX_AUDIT_IN_FLIGHT }, (_, i) => store.getBatch(i + 1)!.block);
      assert.deepEqual(new Set(blocks).size, 1, `the first ${MAX_AUDIT_IN_FLIGHT} batches in one block: ${blocks}`);
      assert.equal(submitter.metrics.auditBatchesSent, MAX_AUDIT_IN_FLIGHT + 2);
      assert.equal(submitter.metrics.auditRecordsRecorded, labels.length);
    } finally {
      await submitter.stop();
      store.close();
    }
  });

  it("a batch dropped from the mempool ahead of others in flight is sent again; each batch lands once", async () => {
    const validator = await setupValidator(chain, 25, 26);
    const { store } = openStore();
    const submitter = submitterFor(validator, store, { auditBatchSize: 2, auditIntervalMs: 60_000, droppedAfterMs: 300 });
    const labels = Array.from({ length: 6 }, (_, i) => `dropped:${i}`);
    try {
      let dropped: Hex | undefined;
      await withoutMining(async () => {
        const before = await validator.node.publicClient.getTransactionCount({ address: validator.address });
        await store.appendAudits(labels.map(auditRecord));
        await submitter.start();
        const pending = () => validator.node.publicClient.getTransactionCount({ address: validator.address, blockTag: "pending" });
        await waitFor("three batches sent", async () => (await pending()) === before + 3);
        // Batch 1 leaves the mempool: 2 and 3 now wait behind a nonce gap.
        dropped = store.getBatch(1)!.txHash!;
        await rpcRequest(chain.rpcUrl, "hardhat_dropTransaction", [dropped]);
        await waitFor("batch 1 sent again", () => store.getBatch(1)!.txHash !== dropped);
      });
      await submitter.flush();
      const audit = await onChainAudit(validator.node, validator.address);
      assert.deepEqual(audit.digests, labels.map((label) => auditRecord(label).requestDigest), "one-for-one, in order");
      assert.deepEqual(audit.batches, [1n, 2n, 3n].map((batchId) => ({ batchId, count: 2 })));
      assert.equal(submitter.metrics.lastErrorCode, "CHAIN_DROPPED");
      assert.equal(submitter.halted, undefined);
      assert.equal(await validator.node.publicClient.getTransactionReceipt({ hash: dropped! }).catch(() => undefined), undefined, "the dropped one never mined");
    } finally {
      await submitter.stop();
      store.close();
    }
  });
});

describe("holder confirmations", () => {
  it("confirms stake and explicit holdings once and never xor or all ones", async () => {
    const validator = await setupValidator(chain, 7, 8);
    const publisher = chain.clients(9);
    const policies = {
      stake: await createPolicy(publisher, "stake", 1),
      explicit: await createPolicy(publisher, "explicit", 0, [validator.address]),
      xor: await createPolicy(publisher, "xor", 1),
      all: await createPolicy(publisher, "all"),
    };
    const { store } = openStore();
    const held = new Map<Hex, keyof typeof policies>();
    for (const mode of ["stake", "explicit", "xor", "all"] as const) {
      for (let i = 0; i < 3; i++) {
        const contentId = await registerContent(publisher, policies[mode], validator.address);
        await store.putDek(contentId, new Uint8Array(32).fill(i + 1), { policyId: policies[mode], mode, source: "initial" });
        held.set(contentId, mode);
      }
    }
    const submitter = submitterFor(validator, store, { holdingsIntervalMs: 50 });
    await submitter.start();
    try {
      await submitter.flush();
      const confirmed = await onChainHoldings(validator.node, validator.address);
      const expected = [...held].filter(([, mode]) => mode === "stake" || mode === "explicit").map(([id]) => id);
      assert.deepEqual([...confirmed].sort(), [...expected].sort());
      for (const [contentId, mode] of held) {
        const state = store.getDekInfo(contentId)!.confirmation.state;
        assert.equal(state, mode === "stake" || mode === "explicit" ? "confirmed" : "pending", `${mode} content`);
      }
      assert.equal(submitter.metrics.holdingsConfirmed, 6);
      assert.equal(submitter.metrics.holdingBatchesSent, 1, "one transaction for all six");
    } finally {
      await submitter.stop();
      store.close();
    }
  });
});

/**
 * A validator with two registered stake(1) contents it may confirm, an empty store and a
 * submitter not yet started; `sent` counts the node account's transactions including pending.
 */
async function twoContentsToConfirm(accounts: { node: number; operator: number; publisher: number }, options: TxSubmitterOptions) {
  const validator = await setupValidator(chain, accounts.node, accounts.operator);
  const publisher = chain.clients(accounts.publisher);
  const policyId = await createPolicy(publisher, "stake", 1);
  const [first, second] = [await registerContent(publisher, policyId, validator.address), await registerContent(publisher, policyId, validator.address)];
  const { store } = openStore();
  const submitter = submitterFor(validator, store, options);
  const sent = () => validator.node.publicClient.getTransactionCount({ address: validator.address, blockTag: "pending" });
  return { validator, policyId, first, second, store, submitter, sent };
}

describe("holder confirmations in flight", () => {
  it("sends a DEK stored while a confirmation awaits its block without waiting for that block", async () => {
    const { validator, policyId, first, second, store, submitter, sent } = await twoContentsToConfirm({ node: 18, operator: 19, publisher: 17 }, { holdingsIntervalMs: 0 });
    const mined = () => validator.node.publicClient.getTransactionCount({ address: validator.address, blockTag: "latest" });
    try {
      await withoutMining(async () => {
        const before = await mined();
        await store.putDek(first, new Uint8Array(32).fill(1), { policyId, mode: "stake", source: "replicated" });
        await submitter.start();
        await waitFor("the first confirmation", async () => (await sent()) === before + 1);
        await store.putDek(second, new Uint8Array(32).fill(2), { policyId, mode: "stake", source: "replicated" });
        await waitFor("the second confirmation, sent before the first is mined", async () => (await sent()) === before + 2);
        assert.equal(await mined(), before, "nothing mined yet");
        await rpcRequest(chain.rpcUrl, "evm_mine", []);
        await submitter.flush();
      });
      assert.deepEqual((await onChainHoldings(validator.node, validator.address)).sort(), [first, second].sort());
      assert.equal(submitter.metrics.holdingBatchesSent, 2);
      assert.equal(store.getDekInfo(second)!.confirmation.state, "confirmed");
    } finally {
      await submitter.stop();
      store.close();
    }
  });
});

describe("holder confirmations, interval", () => {
  it("sends a DEK stored on a quiet lane at once; one stored within holdingsIntervalMs of that send waits for the interval", async () => {
    const { validator, policyId, first, second, store, submitter, sent } = await twoContentsToConfirm({ node: 20, operator: 21, publisher: 22 }, { holdingsIntervalMs: 3_000 });
    const before = await sent();
    await submitter.start();
    try {
      const started = Date.now();
      await store.putDek(first, new Uint8Array(32).fill(1), { policyId, mode: "stake", source: "replicated" });
      while ((await sent()) === before) await delay(20);
      const firstSentAfter = Date.now() - started;
      assert.ok(firstSentAfter < 1_500, `the first confirmation went out after ${firstSentAfter} ms, not at once`);
      const firstSentAt = Date.now();
      await store.putDek(second, new Uint8Array(32).fill(2), { policyId, mode: "stake", source: "replicated" });
      await delay(1_000);
      assert.equal(await sent(), before + 1, "the second waits for the interval");
      while ((await sent()) === before + 1) await delay(20);
      assert.ok(Date.now() - firstSentAt >= 2_500, "not before the interval has (about) passed");
      await submitter.flush();
      assert.deepEqual((await onChainHoldings(validator.node, validator.address)).sort(), [first, second].sort());
      assert.equal(submitter.metrics.holdingBatchesSent, 2);
    } finally {
      await submitter.stop();
      store.close();
    }
  });
});

describe("holder confirmations after a restart", () => {
  it("finishes a submitted confirmation the chain has, resends one it never saw, and skips contents the chain does not know", async () => {
    const validator = await setupValidator(chain, 10, 11);
    const publisher = chain.clients(12);
    const policyId = await createPolicy(publisher, "stake", 1);
    const [mined, lost, fresh] = [
      await registerContent(publisher, policyId, validator.address),
      await registerContent(publisher, policyId, validator.address),
      await registerContent(publisher, policyId, validator.address),
    ];
    const unknown = `0x${"ab".repeat(32)}` as Hex;
    const { store } = openStore();
    for (const contentId of [mined, lost, fresh, unknown]) {
      await store.putDek(contentId, new Uint8Array(32).fill(7), { policyId, mode: "stake", source: "replicated" });
    }
    // Before the "crash": one confirmation went on chain, another was signed but never broadcast.
    const { hash } = await confirmHoldings(validator.node, { contentIds: [mined] });
    await store.markConfirmationSubmitted([mined], hash);
    await store.markConfirmationSubmitted([lost], `0x${"cd".repeat(32)}`);

    const submitter = submitterFor(validator, store, { holdingsIntervalMs: 0 });
    await submitter.start();
    try {
      await submitter.flush();
      const confirmed = await onChainHoldings(validator.node, validator.address);
      assert.deepEqual([...confirmed].sort(), [mined, lost, fresh].sort(), "each once, the mined one not again");
      assert.equal(store.getDekInfo(mined)!.confirmation.state, "confirmed");
      assert.equal(store.getDekInfo(unknown)!.confirmation.state, "pending", "left for an operator to look at");
      assert.equal(submitter.metrics.holdingsSkipped, 1);
      assert.equal(submitter.metrics.holdingsConfirmed, 3);
    } finally {
      await submitter.stop();
      store.close();
    }
  });
});

describe("one sender per account", () => {
  it("refuses a second submitter for the same account in this process", async () => {
    const validator = await setupValidator(chain, 13, 14);
    const first = openStore();
    const second = openStore();
    const a = submitterFor(validator, first.store);
    const b = submitterFor(validator, second.store);
    await a.start();
    try {
      await assert.rejects(b.start(), (e: unknown) => e instanceof ChainError && e.code === "CHAIN_ACCOUNT_IN_USE");
    } finally {
      await a.stop();
    }
    await b.start(); // free again once the first stopped
    await b.stop();
    first.store.close();
    second.store.close();
  });

  it("ad hoc transactions share the lanes' nonce sequence, and a nonce taken behind its back is resynced", async () => {
    const validator = await setupValidator(chain, 15, 16);
    const publisher = chain.clients(17);
    const policyId = await createPolicy(publisher, "all");
    const contentIds = [
      await registerContent(publisher, policyId, validator.address),
      await registerContent(publisher, policyId, validator.address),
      await registerContent(publisher, policyId, validator.address),
    ];
    const { store } = openStore();
    const submitter = submitterFor(validator, store, { auditBatchSize: 5, auditIntervalMs: 10 });
    await submitter.start();
    try {
      const labels = Array.from({ length: 40 }, (_, i) => `adhoc:${i}`);
      const appending = (async () => {
        for (const label of labels) {
          await store.appendAudit(auditRecord(label));
          submitter.notify();
          await delay(2);
        }
      })();
      // Concurrent with the audit lane's batches: each must get its own nonce.
      const receipts = await Promise.all(contentIds.map((id) => submitter.sendTransaction(confirmHoldingsRequest(validator.node, { contentIds: [id] }))));
      assert.ok(receipts.every((r) => r.receipt.status === "success"));
      await appending;
      await submitter.flush();

      // Someone else sends from the node account (viem's own nonce): the submitter's local
      // nonce is now stale; its next batch hits "nonce too low", resyncs and still lands.
      await confirmHoldings(validator.node, { contentIds: [contentIds[0]!] });
      await store.appendAudits(["late:1", "late:2"].map(auditRecord));
      await submitter.flush();
      assert.ok(submitter.metrics.nonceResyncs >= 1, `resynced (${JSON.stringify(submitter.metrics)})`);

      const audit = await onChainAudit(validator.node, validator.address);
      assert.deepEqual(audit.digests, [...labels, "late:1", "late:2"].map((l) => auditRecord(l).requestDigest));
      assert.deepEqual(audit.batches.map((b) => b.batchId), audit.batches.map((_, i) => BigInt(i + 1)));
      assert.deepEqual((await onChainHoldings(validator.node, validator.address)).sort(), [...contentIds, contentIds[0]!].sort());
    } finally {
      await submitter.stop();
      store.close();
    }
    assert.ok(logLines.length > 0, "the submitter logged (as JSON)");
  });
});
