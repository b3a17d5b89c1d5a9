/**
 * RPC failures between the submitter and the chain, through a loopback proxy that fails on
 * command: records and confirmations are retried until they are on chain, never lost and never
 * duplicated — including when the node mined a transaction whose answer never arrived.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { decodeFunctionData, type Hex } from "viem";
import {
  decodeAuditRecords,
  recordRewrapsGasLimit,
  rewrapAuditLogAbi,
  stakeTokenAbi,
  TxSender,
} from "../../../node/chain/index.js";
import { recordVerifiableRewrapsGasLimit } from "../../../node/chain/actions/recordVerifiableRewraps.js";
import { TxSubmitter } from "../../../node/validator/submitter/index.js";
import type { DekStore } from "../../../node/validator/store/index.js";
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
      assert.equal((await store.pendingBatches()).length, 0);
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

const AUDIT_CALLS = new Set(["recordRewraps", "recordVerifiableRewraps"]);

describe("sending", () => {
  it("estimates an audit batch by its first record only and sends it whole with the computed gas limit", async () => {
    const validator = await setupValidator(chain, 8, 9);
    const { store } = openStore();
    const submitter = proxiedSubmitter(validator, store);
    await submitter.start();
    try {
      const estimatedBefore = proxy.estimated.length;
      const labels = Array.from({ length: 10 }, (_, i) => `probe:${i}`);
      await store.appendAudits(labels.map(auditRecord));
      await within(submitter.flush(), 20_000, "flush");
      await assertExactlyOnce(validator, labels.map((l) => auditRecord(l).requestDigest), []);
      const estimatedRecords = proxy.estimated
        .slice(estimatedBefore)
        .map((data) => decodeFunctionData({ abi: rewrapAuditLogAbi, data: data as Hex }))
        // A batch goes with its evidence commitment (recordVerifiableRewraps) or, stored without, as recordRewraps: records are args[1] in both.
        .map((call) => (AUDIT_CALLS.has(call.functionName) ? decodeAuditRecords((call.args as readonly unknown[])[1] as Hex).length : -1));
      // Batch 2 is estimated too unless it went while batch 1 still awaited its receipt (then
      // nothing: "pipelines audit batches…" in submitter.test.ts).
      assert.equal(estimatedRecords[0], 1, "batch 1 estimated with one record");
      assert.ok(estimatedRecords.length <= 2 && estimatedRecords.every((n) => n === 1), `nothing else estimated: ${estimatedRecords}`);
      for (const batchId of [1n, 2n]) {
        const sent = await validator.node.publicClient.getTransaction({ hash: store.getBatch(batchId)!.txHash! });
        const { functionName } = decodeFunctionData({ abi: rewrapAuditLogAbi, data: sent.input });
        assert.equal(sent.gas, (functionName === "recordVerifiableRewraps" ? recordVerifiableRewrapsGasLimit : recordRewrapsGasLimit)(5));
      }
    } finally {
      await submitter.stop();
      store.close();
    }
  });

  it("reads fees once per block time and the nonce once, and estimates gas in one round trip", async () => {
    const clients = chain.clients(7, { rpcUrl: proxy.url });
    const sender = new TxSender({ clients }, { minDelayMs: 50, maxDelayMs: 300 });
    sender.open();
    const approve = (amount: bigint) => ({
      address: chain.deployment.addresses.stakeToken,
      abi: stakeTokenAbi,
      functionName: "approve",
      args: [clients.account!.address, amount],
    });
    const feeReads = () => proxy.seen.get("eth_maxPriorityFeePerGas") ?? 0;
    const seen = (method: string) => proxy.seen.get(method) ?? 0;
    const calls = ["eth_getTransactionCount", "eth_estimateGas", "eth_fillTransaction", "eth_sendRawTransaction"];
    try {
      const before = feeReads();
      const callsBefore = calls.map(seen);
      const sent = [await sender.send(approve(1n)), await sender.send(approve(2n)), await sender.send(approve(3n))];
      assert.equal(feeReads() - before, 1, "one fee read for three transactions sent at once");
      await delay(1_100);
      sent.push(await sender.send(approve(4n)));
      assert.equal(feeReads() - before, 2, "a fresh read after the cache time");
      assert.deepEqual(sent.map((s) => s.nonce - sent[0]!.nonce), [0, 1, 2, 3]);
      assert.deepEqual(
        calls.map((method, i) => seen(method) - callsBefore[i]!),
        [1, 4, 0, 4],
        "per transaction one estimate and one broadcast; the nonce read once; nothing filled by the node",
      );
      for (const { hash } of sent) {
        const receipt = await clients.publicClient.waitForTransactionReceipt({ hash, pollingInterval: 20 });
        assert.equal(receipt.status, "success", "each transaction paid enough to be mined");
      }
    } finally {
      sender.close();
    }
  });
});
