/**
 * The indexer client against a real chain and Ponder indexer (and, for broken indexers, small
 * local HTTP servers): typed reads, the uncached access read and policy lookup, bounded
 * staleness, typed failures. Access decisions (their caches, single flight, the chain
 * fallback) are test/node/validator/access/decider.test.ts.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Hex } from "viem";
import { createIndexerClient, IndexerClientError } from "../../../node/indexer-client/index.js";
import { devAccount, type TestNet } from "../validator/rewrap/helpers.js";
import { closedIndexer, fakeIndexer, rejectsWith, sleep, startIndexerFixture, stopIndexerFixture, type IndexerFixture } from "./fixtures.js";

let net: TestNet;
let publisher: IndexerFixture["publisher"];
let namespace: Hex;
let reader: Hex;
let outsider: Hex;
let policy: bigint;
let contents: Hex[];
let publicContent: Hex;
let fixture: IndexerFixture | undefined;

before(async () => {
  fixture = await startIndexerFixture();
  ({ net, publisher, namespace, reader, outsider, policy, contents, publicContent } = fixture);
});

after(() => stopIndexerFixture(fixture));

describe("indexer client: reads", () => {
  it("readAccess: the decision, its policy, the indexed block and the chain head it was checked against", async () => {
    const client = net.indexerClient();
    const { decision: granted, chainHead } = await client.readAccess(contents[0]!, reader);
    assert.equal(granted.allowed, true);
    assert.equal(granted.reason, "Granted");
    assert.equal(granted.policyId, policy);
    assert.equal(granted.contentId, contents[0]);
    assert.ok(granted.block.number > 0 && granted.block.timestamp > 0);
    assert.equal(chainHead, client.stats().chainHead);
    assert.equal(client.highestChainHead, chainHead);
    assert.ok(chainHead >= BigInt(granted.block.number));
    const { decision: denied } = await client.readAccess(contents[0]!, outsider);
    assert.deepEqual([denied.allowed, denied.reason], [false, "MissingAttribute"]);
    const { decision: publisherDecision } = await client.readAccess(contents[0]!, publisher.address);
    assert.equal(publisherDecision.reason, "Publisher");
    // Not cached: every call is a read.
    await client.readAccess(contents[0]!, reader);
    assert.equal(client.stats().accessReads, 4);
    await rejectsWith(client.readAccess(contents[0]!, reader, { policyId: policy + 1n }), "INDEXER_BAD_RESPONSE");
  });

  it("lookupPolicies: the policies of known contents, the others unregistered as of a fresh block", async () => {
    const client = net.indexerClient();
    const unknown = `0x${"01".repeat(32)}` as Hex;
    const { policies, unresolved } = await client.lookupPolicies([...contents, publicContent.toUpperCase().replace("0X", "0x"), unknown]);
    assert.deepEqual([...policies.keys()].sort(), [...contents, publicContent].sort());
    for (const id of contents) assert.equal(policies.get(id), policy);
    assert.deepEqual([...unresolved.keys()], [unknown]);
    assert.equal(unresolved.get(unknown)!.code, "INDEXER_NOT_FOUND");
    assert.equal(client.stats().policyLookups, 1, "one request per 1,000 contents, the head in its answer");
    const stale = await net.indexerClient({ maxStalenessBlocks: 5 }, { getBlockNumber: async () => (await net.public.getBlockNumber({ cacheTime: 0 })) + 20n }).lookupPolicies([contents[0]!, unknown]);
    assert.equal(stale.policies.get(contents[0]!), policy);
    assert.equal(stale.unresolved.get(unknown)!.code, "STATE_STALE");
  });

  it("holders, active validators and policies", async () => {
    const client = net.indexerClient();
    const holders = await client.holders(contents[0]!);
    assert.equal(holders.contentId, contents[0]);
    assert.equal(holders.policyId, policy);
    assert.equal(holders.initialValidator, devAccount(1).address.toLowerCase());
    assert.deepEqual(holders.holders.map((h) => [h.node, h.state]), [[devAccount(1).address.toLowerCase(), "initial"]]);
    const active = await client.activeValidators();
    assert.equal(active.validators.length, 1);
    assert.equal(await client.isActiveValidatorPeer(active.validators[0]!.peerId), true);
    assert.equal(await client.isActiveValidatorPeer("12D3KooWNotAValidator"), false);
    const p = await client.policy(policy);
    assert.deepEqual(p.requirements, [{ namespace: namespace.toLowerCase(), value: 1 }]);
    assert.equal(p.revoked, false);
  });

  it("error: unknown content, policy (INDEXER_NOT_FOUND); bad arguments (INDEXER_INVALID_ARGUMENT)", async () => {
    const client = net.indexerClient();
    await rejectsWith(client.readAccess(`0x${"ab".repeat(32)}`, reader), "INDEXER_NOT_FOUND");
    await rejectsWith(client.holders(`0x${"ab".repeat(32)}`), "INDEXER_NOT_FOUND");
    await rejectsWith(client.policy(999_999n), "INDEXER_NOT_FOUND");
    await rejectsWith(client.readAccess("0x1234", reader), "INDEXER_INVALID_ARGUMENT");
    await rejectsWith(client.readAccess(contents[0]!, "nobody"), "INDEXER_INVALID_ARGUMENT");
    await rejectsWith(client.lookupPolicies(["0x1234"]), "INDEXER_INVALID_ARGUMENT");
  });
});

describe("indexer client: chain head", () => {
  it("read once per chainHeadTtlMs for every caller; keepChainHeadCurrent reads only when it is older", async () => {
    let headReads = 0;
    const chain = { getBlockNumber: (args?: { cacheTime?: number }) => (headReads++, net.public.getBlockNumber(args)) };
    const client = net.indexerClient({ chainHeadTtlMs: 200 }, chain);
    assert.equal(client.highestChainHead, undefined);
    await Promise.all(Array.from({ length: 10 }, () => client.chainHead()));
    assert.equal(headReads, 1);
    client.keepChainHeadCurrent();
    assert.equal(headReads, 1);
    await sleep(250);
    client.keepChainHeadCurrent();
    client.keepChainHeadCurrent();
    assert.equal(headReads, 2);
    assert.equal(client.stats().headReads, 2);
  });
});

describe("indexer client: staleness and failures", () => {
  it("error: state more than maxStalenessBlocks behind the chain head (STATE_STALE), also for 404s", async () => {
    const ahead = { getBlockNumber: async () => (await net.public.getBlockNumber({ cacheTime: 0 })) + 20n };
    const client = net.indexerClient({ maxStalenessBlocks: 5 }, ahead);
    const error = await rejectsWith(client.readAccess(contents[0]!, reader), "STATE_STALE");
    assert.equal(error.retryable, true);
    await rejectsWith(client.readAccess(`0x${"cd".repeat(32)}`, reader), "STATE_STALE");
    await rejectsWith(client.holders(contents[0]!), "STATE_STALE");
    await rejectsWith(client.activeValidators(), "STATE_STALE");
    assert.equal(client.stats().stale, 4);
    // The same indexer is fresh enough for a looser bound.
    assert.equal((await net.indexerClient({ maxStalenessBlocks: 30 }, ahead).readAccess(contents[0]!, reader)).decision.allowed, true);
  });

  it("error: the chain head cannot be read (CHAIN_UNAVAILABLE)", async () => {
    const client = net.indexerClient({}, { getBlockNumber: async () => Promise.reject(new Error("rpc down")) });
    await rejectsWith(client.readAccess(contents[0]!, reader), "CHAIN_UNAVAILABLE");
  });

  it("error: unreachable, failing, not ready or silent indexers (INDEXER_UNAVAILABLE); caller aborts (INDEXER_ABORTED)", async () => {
    const closed = await closedIndexer();
    await rejectsWith(net.indexerClient({ url: closed }).readAccess(contents[0]!, reader), "INDEXER_UNAVAILABLE");
    const failing = await fakeIndexer(() => ({ status: 500, body: "<html>oops</html>" }));
    await rejectsWith(net.indexerClient({ url: failing }).readAccess(contents[0]!, reader), "INDEXER_UNAVAILABLE");
    const notReady = await fakeIndexer(() => ({ status: 503, body: '{"error":{"code":"not_ready","message":"x"}}' }));
    await rejectsWith(net.indexerClient({ url: notReady }).holders(contents[0]!), "INDEXER_UNAVAILABLE");
    const silent = await fakeIndexer(() => undefined);
    const started = Date.now();
    await rejectsWith(net.indexerClient({ url: silent, timeoutMs: 200 }).readAccess(contents[0]!, reader), "INDEXER_UNAVAILABLE");
    assert.ok(Date.now() - started < 2_000);
    const controller = new AbortController();
    const pending = net.indexerClient({ url: silent }).readAccess(contents[0]!, reader, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await rejectsWith(pending, "INDEXER_ABORTED");
  });

  it("error: answers of the wrong shape, oversized, or refusing our request (INDEXER_BAD_RESPONSE)", async () => {
    const block = '"block":{"number":1,"timestamp":1}';
    const bodies = [
      "not json",
      "[]",
      `{${block}}`,
      `{${block},"contentId":"${contents[0]}","policyId":"1","account":"${reader}","at":"1","allowed":true,"reason":"Bribed","reasonCode":9}`,
      `{${block},"contentId":"${contents[0]}","policyId":"1","account":"${reader}","at":"1","allowed":true,"reason":"MissingAttribute","reasonCode":7}`,
      `{${block},"contentId":"${contents[1]}","policyId":"1","account":"${reader}","at":"1","allowed":true,"reason":"Granted","reasonCode":0}`,
      `{"block":{"number":-1,"timestamp":1},"contentId":"${contents[0]}","policyId":"1","account":"${reader}","at":"1","allowed":true,"reason":"Granted","reasonCode":0}`,
      `{${block},"pad":"${"x".repeat(5_000)}"}`,
    ];
    for (const body of bodies) {
      const url = await fakeIndexer(() => ({ status: 200, body }));
      await rejectsWith(net.indexerClient({ url, maxResponseBytes: 4_096 }, { getBlockNumber: async () => 1n }).readAccess(contents[0]!, reader), "INDEXER_BAD_RESPONSE");
    }
    // A replication mode the network does not have: refused here, so no caller needs its own check.
    const real = await (await fetch(`${net.indexerUrl}/holders/${contents[0]}`)).json() as { replication: { mode: string } };
    real.replication.mode = "everyone";
    const oddMode = await fakeIndexer(() => ({ status: 200, body: JSON.stringify(real) }));
    await rejectsWith(net.indexerClient({ url: oddMode }).holders(contents[0]!), "INDEXER_BAD_RESPONSE");
    const refusing = await fakeIndexer(() => ({ status: 400, body: '{"error":{"code":"invalid_cid","message":"x"}}' }));
    await rejectsWith(net.indexerClient({ url: refusing }).readAccess(contents[0]!, reader), "INDEXER_BAD_RESPONSE");
  });
});
