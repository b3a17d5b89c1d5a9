/**
 * Crash safety of the submitter with a real child process: a validator's store and TxSubmitter
 * run under load (records appended and DEKs stored continuously, batches going on chain) and
 * are SIGKILLed at seeded random moments, several times, then restarted. After a final flush
 * every acknowledged audit record is on chain exactly once, no record or holding is on chain
 * twice, and batch ids are contiguous.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { copyFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import type { Hex } from "viem";
import { TxSubmitter } from "../../../../node/validator/submitter/index.js";
import { DekStore } from "../../../../node/validator/store/index.js";
import {
  countDigests,
  createPolicy,
  onChainAudit,
  onChainHoldings,
  registerContent,
  setupValidator,
  startTestChain,
  tempDir,
  type TestChain,
} from "../../chain/helpers.js";
import { prng, runAndKill } from "../../helpers/crash.js";

const WORKER = fileURLToPath(new URL("./crashWorker.js", import.meta.url));
const NODE_INDEX = 1;
const ITERATIONS = 5;
/** Fixed so a failing kill schedule replays; DEKMESH_CRASH_SEED tries others. */
const SEED = Number(process.env.DEKMESH_CRASH_SEED ?? 0xc4a1_0b5e);


let chain: TestChain;
before(async () => {
  chain = await startTestChain();
});
after(async () => {
  await chain?.stop();
});

describe("crash safety (SIGKILL during batching)", () => {
  it("every acknowledged audit record reaches the chain exactly once; holdings are never confirmed twice", async (t) => {
    const random = prng(SEED);
    const validator = await setupValidator(chain, NODE_INDEX, 2);
    const publisher = chain.clients(3);
    const policyId = await createPolicy(publisher, "explicit", 0, [validator.address]);
    const contentIds: Hex[] = [];
    for (let i = 0; i < 40; i++) contentIds.push(await registerContent(publisher, policyId, validator.address));

    const dir = tempDir();
    const storageKey = randomBytes(32);
    const contentsFile = join(dir, "contents.json");
    copyFileSync(chain.deploymentFile, join(dir, "deployment.json")); // the worker's own copy, next to its store
    writeFileSync(contentsFile, JSON.stringify({ policyId: policyId.toString(), ids: contentIds }));
    const config = {
      rpcUrl: chain.rpcUrl,
      deploymentFile: join(dir, "deployment.json"),
      accountIndex: NODE_INDEX,
      storeDir: join(dir, "store"),
      storageKeyHex: storageKey.toString("hex"),
      contentsFile,
      batchSize: 25,
    };
    const configFile = join(dir, "config.json");
    writeFileSync(configFile, JSON.stringify(config));

    const acked = new Set<Hex>();
    const ackedDeks = new Set<Hex>();
    const kills: number[] = [];
    const leftBehind = { assigned: 0, submitted: 0, dekSubmitted: 0 };
    for (let iteration = 0; iteration < ITERATIONS; iteration++) {
      const killAfterMs = 150 + Math.floor(random() * 1200);
      kills.push(killAfterMs);
      for (const line of await runAndKill(WORKER, [configFile, `it${iteration}`], killAfterMs)) {
        const [kind, value] = line.split(" ") as [string, Hex];
        if (kind === "A") acked.add(value);
        else if (kind === "D") ackedDeks.add(value);
      }
      // What the crash left in flight (diagnostics: the kills should land mid-transaction sometimes).
      const crashed = DekStore.open({ directory: config.storeDir, storageKey });
      for (const batch of await crashed.pendingBatches()) leftBehind[batch.state === "submitted" ? "submitted" : "assigned"] += 1;
      leftBehind.dekSubmitted += (await crashed.listUnconfirmed({ state: "submitted" })).length;
      crashed.close();
      // Between crashes: what is on chain is never duplicated and batch ids never skip.
      const audit = await onChainAudit(validator.node, validator.address);
      assert.deepEqual([...countDigests(audit).values()].filter((n) => n !== 1), [], `no duplicate after kill ${iteration}`);
      assert.deepEqual(audit.batches.map((b) => b.batchId), audit.batches.map((_, i) => BigInt(i + 1)));
    }

    // Restart in this process and drain.
    const store = DekStore.open({ directory: config.storeDir, storageKey });
    const submitter = new TxSubmitter({ clients: validator.node, store }, { auditBatchSize: 25, idlePollMs: 10 });
    await submitter.start();
    try {
      await submitter.flush();
    } finally {
      await submitter.stop();
    }
    const audit = await onChainAudit(validator.node, validator.address);
    const counts = countDigests(audit);
    for (const digest of acked) assert.equal(counts.get(digest), 1, `acknowledged record ${digest} on chain once`);
    for (const [digest, n] of counts) assert.equal(n, 1, `record ${digest} on chain ${n} times`);
    assert.deepEqual(audit.batches.map((b) => b.batchId), audit.batches.map((_, i) => BigInt(i + 1)), "batch ids 1..n");
    assert.equal((await store.pendingBatches()).length, 0);
    assert.equal(store.unbatchedAuditCount(), 0);
    // Each local batch is the chain's batch of the same id, record for record.
    let offset = 0;
    for (const { batchId, count } of audit.batches) {
      const local = store.getBatch(batchId)!;
      assert.equal(local.state, "recorded");
      assert.deepEqual(store.batchRecords(batchId).map((r) => r.requestDigest), audit.digests.slice(offset, offset + count), `batch ${batchId}`);
      offset += count;
    }

    const holdings = await onChainHoldings(validator.node, validator.address);
    assert.equal(new Set(holdings).size, holdings.length, "no holding confirmed twice");
    for (const contentId of ackedDeks) {
      assert.ok(holdings.includes(contentId), `acknowledged DEK ${contentId} confirmed`);
      assert.equal(store.getDekInfo(contentId)!.confirmation.state, "confirmed");
    }
    store.close();

    t.diagnostic(`seed ${SEED}, kills after ${kills.join(", ")} ms: ${acked.size} acknowledged records in ${audit.batches.length} batches, ${ackedDeks.size} acknowledged DEKs; left in flight by the kills: ${JSON.stringify(leftBehind)}`);
    assert.ok(acked.size > 500, `the worker made progress (${acked.size} acknowledged records)`);
    assert.ok(audit.batches.length > 20, `batches went on chain (${audit.batches.length})`);
  });
});
