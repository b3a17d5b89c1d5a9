/**
 * RPC failures between the submitter and the chain, through a loopback proxy that fails on
 * command: records and confirmations are retried until they are on chain, never lost and never
 * duplicated — including when the node mined a transaction whose answer never arrived.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import type { Hex } from "viem";
import { TxSubmitter } from "../../../node/chain/index.js";
import type { DekStore } from "../../../node/store/index.js";
import { RpcProxy } from "./rpcProxy.js";
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
} from "./helpers.js";

let chain: TestChain;
let proxy: RpcProxy;
before(async () => {
  chain = await startTestChain();
  proxy = await RpcProxy.start(chain.rpcUrl);
});
after(async () => {
  await proxy?.close();
  await chain?.stop();
});

async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  const timer = new AbortController();
  try {
    return await Promise.race([promise, delay(ms, undefined, { signal: timer.signal }).then(() => assert.fail(`${what} took over ${ms} ms`))]);
  } finally {
    timer.abort();
  }
}

/** A submitter that reaches the chain only through the proxy, with short timeouts. */
function proxiedSubmitter(validator: TestValidator, store: DekStore): TxSubmitter {
  const clients = chain.clients(validator.node.account!, { rpcUrl: proxy.url, timeoutMs: 400, retryCount: 0 });
  return new TxSubmitter(
    { clients, store },
    { auditBatchSize: 5, auditIntervalMs: 50, holdingsIntervalMs: 0, idlePollMs: 20, minBackoffMs: 50, maxBackoffMs: 300, droppedAfterMs: 2_000 },
  );
}

/** Stake-mode contents the validator holds, registered on chain directly (not through the proxy). */
async function holdStakeContents(validator: TestValidator, store: DekStore, publisherIndex: number, count: number): Promise<Hex[]> {
  const publisher = chain.clients(publisherIndex);
  const policyId = await createPolicy(publisher, "explicit", 0, [validator.address]);
  const ids: Hex[] = [];
  for (let i = 0; i < count; i++) {
    const contentId = await registerContent(publisher, policyId, validator.address);
    await store.putDek(contentId, new Uint8Array(32).fill(9), { policyId, mode: "explicit", source: "initial" });
    ids.push(contentId);
  }
  return ids;
}

async function assertExactlyOnce(validator: TestValidator, digests: Hex[], holdings: Hex[]): Promise<void> {
  const audit = await onChainAudit(validator.node, validator.address);
  const counts = countDigests(audit);
  for (const digest of digests) assert.equal(counts.get(digest), 1, `record ${digest} on chain once`);
  assert.equal(audit.digests.length, digests.length, "no other records");
  assert.deepEqual(audit.batches.map((b) => b.batchId), audit.batches.map((_, i) => BigInt(i + 1)), "batch ids 1..n");
  const confirmed = await onChainHoldings(validator.node, validator.address);
  assert.deepEqual([...confirmed].sort(), [...holdings].sort(), "each holding confirmed once");
}

describe("RPC failures", () => {
  it("endpoint down, then stuck, then back: everything is retried and lands once", async () => {
    const validator = await setupValidator(chain, 1, 2);
    const { store } = openStore();
    const holdings = await holdStakeContents(validator, store, 3, 3);
    const submitter = proxiedSubmitter(validator, store);
    proxy.setMode("down");
    await submitter.start();
    try {
      const labels = Array.from({ length: 12 }, (_, i) => `down:${i}`);
      await store.appendAudits(labels.map(auditRecord));
      await delay(800);
      assert.equal((await onChainAudit(validator.node, validator.address)).digests.length, 0, "nothing got through");
      assert.ok(submitter.metrics.retries > 0, "retried");
      assert.equal(submitter.metrics.lastErrorCode, "CHAIN_RPC");
      assert.equal(submitter.halted, undefined, "an unreachable endpoint never halts the submitter");

      proxy.setMode("hang");
      const retriesBefore = submitter.metrics.retries;
      await delay(1_000);
      assert.ok(submitter.metrics.retries > retriesBefore, "timed-out calls are retried");

      proxy.setMode("pass");
      await within(submitter.flush(), 20_000, "flush after the endpoint came back");
      await assertExactlyOnce(validator, labels.map((l) => auditRecord(l).requestDigest), holdings);
      assert.equal(store.pendingBatches().length, 0);
    } finally {
      proxy.setMode("pass");
      await submitter.stop();
      store.close();
    }
  });

  it("answers to broadcasts lost: mined transactions are found by their hash and never sent twice", async (t) => {
    const validator = await setupValidator(chain, 4, 5);
    const { store } = openStore();
    const holdings = await holdStakeContents(validator, store, 6, 4);
    const submitter = proxiedSubmitter(validator, store);
    proxy.setMode("lose-sends");
    await submitter.start();
    try {
      const labels = Array.from({ length: 15 }, (_, i) => `lost:${i}`);
      await store.appendAudits(labels.map(auditRecord));
      // Every broadcast's answer is lost, yet flush completes: each transaction is found by hash.
      await within(submitter.flush(), 30_000, "flush while every broadcast answer is lost");
      assert.ok(proxy.sabotaged > 0, "broadcast answers were lost");
      assert.ok(submitter.metrics.retries > 0);
      await assertExactlyOnce(validator, labels.map((l) => auditRecord(l).requestDigest), holdings);
      const audit = await onChainAudit(validator.node, validator.address);
      assert.deepEqual(audit.batches.map((b) => b.count), [5, 5, 5]);
      t.diagnostic(`broadcasts ${proxy.seen.get("eth_sendRawTransaction")}, answers lost ${proxy.sabotaged}, metrics ${JSON.stringify(submitter.metrics)}`);
    } finally {
      proxy.setMode("pass");
      await submitter.stop();
      store.close();
    }
  });
});
