// The indexer under disruption, on one chain:
// - restart: Ponder is stopped while transactions keep coming, more blocks and events are
//   produced while it is down, and it starts again on the same PGlite database; its state
//   must equal a fresh index of the same chain, table by table and answer by answer;
// - reorg: recent blocks are replaced (evm_snapshot / evm_revert) by different ones; the API
//   must reflect only the canonical chain, cached answers included.
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, test } from "node:test";
import type { Address, Hex } from "viem";
import { contentRegistryAbi, rewrapAuditLogAbi } from "../../build/abi/index.js";
import { decodeAuditRecords } from "../../node/protocol/auditRecords.js";
import { rpcRequest, startIndexer, startStack, type IndexerHandle, type Stack } from "../../node/devnet/index.js";
import { get } from "./helpers/api.js";
import { Driver } from "./helpers/driver.js";
import { dumpIndexer, dumpTables } from "./helpers/dump.js";
import { setUpTraffic, trafficRound, type TrafficWorld } from "./helpers/traffic.js";

let stack: Stack;
let d: Driver;
let w: TrafficWorld;
/** The indexer the tests talk to: the stack's until the restart test replaces it. */
let indexer: IndexerHandle;
const extra: IndexerHandle[] = [];

before(async () => {
  stack = await startStack({ chain: { blockIntervalMs: 1000 } });
  indexer = stack.indexer!;
  d = await Driver.connect(stack);
  w = await setUpTraffic(d);
});

after(async () => {
  for (const i of extra) await i.stop();
  await stack?.stop();
});

/** Waits until `i`'s REST answers are labelled with the chain's current block or later. */
async function caughtUp(i: IndexerHandle, timeoutMs = 60_000): Promise<number> {
  const target = Number(await d.blockNumber());
  const deadline = Date.now() + timeoutMs;
  while ((await get(i.url, "/head")).body.block?.number < target) {
    if (Date.now() > deadline) throw new Error(`indexer did not reach block ${target} (log: ${i.logFile})`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return target;
}

test("restart: a restarted indexer holds exactly what a fresh index of the same chain holds", async () => {
  for (let round = 0; round < 3; round++) await trafficRound(d, w, round);
  await caughtUp(indexer);

  // Stop mid-stream: traffic keeps flowing while Ponder shuts down and while it is down.
  let round = 3;
  let stopped = false;
  let afterStop = 0;
  const producing = (async () => {
    while (!stopped || afterStop++ < 3) await trafficRound(d, w, round++);
  })();
  await new Promise((resolve) => setTimeout(resolve, 150));
  const first = indexer;
  const roundsBeforeStop = round;
  await first.stop();
  stopped = true;
  assert.ok(first.process.exitStatus(), "ponder stopped");
  await producing;
  assert.ok(round > roundsBeforeStop + 3, "transactions kept coming while ponder was stopping and down");
  await d.increaseTime(5);

  const [restarted, fresh] = await Promise.all([
    startIndexer(stack.chain, stack.deployment, { dir: path.join(stack.dir, "restarted"), pgliteDir: first.pgliteDir }),
    startIndexer(stack.chain, stack.deployment, { dir: path.join(stack.dir, "fresh") }),
  ]);
  extra.push(restarted, fresh);
  await Promise.all([caughtUp(restarted), caughtUp(fresh)]);

  const accounts = [w.publisher, ...w.readers];
  const at = (await d.public.getBlock()).timestamp;
  const [a, b] = await Promise.all([dumpIndexer(restarted.url, accounts, at), dumpIndexer(fresh.url, accounts, at)]);
  assert.deepEqual(a, b);
  const tables = a.tables as Record<string, unknown[]>;
  assert.equal(tables.content!.length, round, "every registration indexed exactly once");
  assert.equal(tables.rewrap!.length, 2 * round, "every audit record indexed exactly once");
  await fresh.stop();
  indexer = restarted;
});

test("reorg: replaced blocks vanish from every answer, the replacing ones appear", async () => {
  const [v1, v2, v3] = w.validators as [Address, Address, Address];
  const [reader] = w.readers as [Address];
  await caughtUp(indexer);
  const snapshot = await rpcRequest<string>(stack.chain.url, "evm_snapshot", []);

  // Fork A: a content, an audit batch, a grant, an exit and a new policy.
  const a = await d.registerContent(w.publisher, w.policies[1]!, v1);
  await d.recordRewraps(v1, [{ contentId: a.contentId, requester: reader }]);
  await d.grant(w.authority, w.namespace, d.account(28), 0);
  await d.send(d.account(13), "ValidatorRegistry", "requestExit", [v3]);
  const policyA = await d.createPolicy(w.publisher, { mode: "xor", k: 1 });
  await caughtUp(indexer);
  // Ask for everything once, so the response cache holds fork A's answers.
  assert.equal((await get(indexer.url, `/holders/${a.cid}`)).status, 200);
  assert.equal((await get(indexer.url, `/policies/${policyA}`)).body.policy.replication.mode, "xor");
  const activeA = (await get(indexer.url, "/validators/active")).body.validators.map((v: any) => v.node);
  assert.ok(!activeA.includes(v3));
  const auditA = (await get(indexer.url, "/audit?limit=500")).body.records;
  assert.equal(auditA[0].contentId, a.contentId);

  // Fork B from the snapshot: different transactions, and more blocks than fork A had.
  assert.equal(await rpcRequest<boolean>(stack.chain.url, "evm_revert", [snapshot]), true);
  const b = await d.registerContent(w.publisher, w.policies[0]!, v2);
  await d.recordRewraps(v1, [{ contentId: b.contentId, requester: d.account(29) }]);
  const policyB = await d.createPolicy(w.publisher, { mode: "explicit", explicitMembers: [v2] });
  assert.equal(policyB, policyA, "fork B reuses fork A's policy id");
  for (let i = 0; i < 6; i++) await rpcRequest(stack.chain.url, "evm_mine", []);

  const head = await caughtUp(indexer);
  const deadline = Date.now() + 30_000;
  while ((await get(indexer.url, `/holders/${b.cid}`)).status !== 200) {
    assert.ok(Date.now() < deadline, `fork B never showed up (log: ${indexer.logFile})`);
    await new Promise((r) => setTimeout(r, 50));
  }

  assert.equal((await get(indexer.url, `/holders/${a.cid}`)).status, 404, "fork A's content is gone");
  assert.equal((await get(indexer.url, `/access/${a.contentId}/${reader}`)).status, 404);
  assert.equal((await get(indexer.url, `/policies/${policyB}`)).body.policy.replication.mode, "explicit");
  const activeB = (await get(indexer.url, "/validators/active")).body.validators.map((v: any) => v.node);
  assert.ok(activeB.includes(v3), "fork A's exit is undone");
  const access = (await get(indexer.url, `/access/${b.contentId}/${d.account(28)}`)).body;
  const [allowed, reason] = await d.read<[boolean, number]>("ContentRegistry", "canAccessContent", [b.contentId, d.account(28)], BigInt(access.block.number));
  assert.deepEqual([access.allowed, access.reasonCode], [allowed, reason], "fork A's grant is gone");
  assert.equal(access.reason, "MissingAttribute");

  // Table by table against the canonical chain's own logs.
  const tables = await dumpTables(indexer.url);
  const registered = await d.public.getContractEvents({ address: d.addresses.ContentRegistry, abi: contentRegistryAbi, eventName: "ContentRegistered", fromBlock: 0n, toBlock: BigInt(head) });
  assert.deepEqual(
    (tables.content as { contentId: Hex }[]).map((c) => c.contentId).sort(),
    registered.map((e) => e.args.contentId!.toLowerCase()).sort(),
  );
  const batches = await d.public.getContractEvents({ address: d.addresses.RewrapAuditLog, abi: rewrapAuditLogAbi, eventName: "RewrapBatchRecorded", fromBlock: 0n, toBlock: BigInt(head) });
  const auditB = (await get(indexer.url, "/audit?limit=500")).body.records;
  assert.deepEqual(
    auditB.map((r: any) => [r.txHash, r.logIndex, r.recordIndex, r.requestDigest]),
    batches.flatMap((e) => decodeAuditRecords(e.args.records!).map((r, i) => [e.transactionHash, e.logIndex, i, r.requestDigest])).reverse(),
  );
  assert.ok(!auditB.some((r: any) => r.contentId === a.contentId));
});
