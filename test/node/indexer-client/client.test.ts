/**
 * The indexer client against a real chain and Ponder indexer (and, for broken indexers, small
 * local HTTP servers): typed reads, caching, single flight, bounded staleness, typed failures.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import type { Hex } from "viem";
import { getAccessDecision } from "../../../node/chain/index.js";
import { createIndexerClient, IndexerClientError } from "../../../node/indexer-client/index.js";
import { devAccount, removeTempDirs, TestNet } from "../validator/rewrap/helpers.js";

let net: TestNet;
const publisher = devAccount(3);
const reader = devAccount(4).address.toLowerCase() as Hex;
const outsider = devAccount(5).address.toLowerCase() as Hex;
let namespace: Hex;
let policy: bigint;
let publicPolicy: bigint;
let contents: Hex[];
let publicContent: Hex;
const servers: Server[] = [];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<IndexerClientError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof IndexerClientError, `expected an IndexerClientError, got ${String(error)}`);
    assert.equal(error.code, code);
    return error;
  }
  assert.fail(`expected ${code}`);
}

/** A local HTTP server answering every request with `handler`; returns its base URL. */
async function fakeIndexer(handler: (path: string) => { status: number; body: string } | undefined): Promise<string> {
  const server = createServer((req, res) => {
    const answer = handler(req.url ?? "/");
    if (answer === undefined) return; // never answer
    res.writeHead(answer.status, { "content-type": "application/json" });
    res.end(answer.body);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

before(async () => {
  net = await TestNet.start();
  await net.activateValidator(devAccount(1), devAccount(2));
  namespace = await net.createNamespace(publisher, "level", "allOf", ["one", "two"]);
  policy = await net.createPolicy(publisher, { requirements: [{ namespace, value: 1 }] });
  publicPolicy = await net.createPolicy(publisher, {});
  await net.grant(publisher, namespace, reader, 1);
  contents = [];
  for (let i = 0; i < 4; i++) contents.push(await net.registerContent(publisher, policy, devAccount(1).address));
  publicContent = await net.registerContent(publisher, publicPolicy, devAccount(1).address);
  await net.synced();
});

after(async () => {
  for (const server of servers) server.closeAllConnections(), server.close();
  await net?.stop();
  removeTempDirs();
});

describe("indexer client: reads", () => {
  it("access: the decision, its policy and the indexed block", async () => {
    const client = net.indexerClient();
    const granted = await client.access(contents[0]!, reader);
    assert.equal(granted.allowed, true);
    assert.equal(granted.reason, "Granted");
    assert.equal(granted.policyId, policy);
    assert.equal(granted.contentId, contents[0]);
    assert.ok(granted.block.number > 0 && granted.block.timestamp > 0);
    const denied = await client.access(contents[0]!, outsider);
    assert.deepEqual([denied.allowed, denied.reason], [false, "MissingAttribute"]);
    const publisherDecision = await client.access(contents[0]!, publisher.address);
    assert.equal(publisherDecision.reason, "Publisher");
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
    await rejectsWith(client.access(`0x${"ab".repeat(32)}`, reader), "INDEXER_NOT_FOUND");
    await rejectsWith(client.holders(`0x${"ab".repeat(32)}`), "INDEXER_NOT_FOUND");
    await rejectsWith(client.policy(999_999n), "INDEXER_NOT_FOUND");
    await rejectsWith(client.access("0x1234", reader), "INDEXER_INVALID_ARGUMENT");
    await rejectsWith(client.access(contents[0]!, "nobody"), "INDEXER_INVALID_ARGUMENT");
  });
});

describe("indexer client: caching", () => {
  it("one read per (policy, account) within the TTL, shared by concurrent callers and contents of one policy", async () => {
    const client = net.indexerClient({ accessCacheTtlMs: 60_000, accessCacheBlocks: 1_000 });
    await Promise.all(Array.from({ length: 20 }, () => client.access(contents[0]!, reader)));
    assert.equal(client.stats().accessReads, 1);
    // The first read of a content learns its policy; after that the policy's decision is reused.
    await client.access(contents[1]!, reader);
    assert.equal(client.stats().accessReads, 2);
    const again = await client.access(contents[1]!, reader);
    assert.equal(again.contentId, contents[1]);
    assert.equal(client.stats().accessReads, 2);
    await client.access(contents[0]!, outsider);
    assert.equal(client.stats().accessReads, 3);
  });

  it("decisions expire after the TTL", async () => {
    const client = net.indexerClient({ accessCacheTtlMs: 100 });
    await client.access(contents[0]!, reader);
    await client.access(contents[0]!, reader);
    assert.equal(client.stats().accessReads, 1);
    await new Promise((resolve) => setTimeout(resolve, 150));
    await client.access(contents[0]!, reader);
    assert.equal(client.stats().accessReads, 2);
  });

  it("decisions expire once the chain head moves more than accessCacheBlocks past them", async () => {
    let offset = 0n;
    const chain = { getBlockNumber: async () => (await net.public.getBlockNumber({ cacheTime: 0 })) + offset };
    const client = net.indexerClient({ accessCacheTtlMs: 60_000, accessCacheBlocks: 1, chainHeadTtlMs: 0 }, chain);
    await client.access(contents[0]!, reader);
    offset = 3n;
    await client.chainHead();
    await client.access(contents[0]!, reader);
    assert.equal(client.stats().accessReads, 2);
  });

  it("after a decision expires, concurrent misses for different contents of one policy share one read", async () => {
    const client = net.indexerClient({ accessCacheTtlMs: 300, accessCacheBlocks: 1_000 });
    for (const id of contents) await client.access(id, reader); // learns each content's policy
    const learned = client.stats().accessReads;
    await sleep(400);
    const decisions = await Promise.all(contents.flatMap((id) => Array.from({ length: 5 }, () => client.access(id, reader))));
    assert.equal(client.stats().accessReads, learned + 1);
    assert.deepEqual(decisions.map((d) => d.contentId), contents.flatMap((id) => Array(5).fill(id)));
    assert.ok(decisions.every((d) => d.allowed && d.policyId === policy));
  });

  it("a hot decision is re-read in the background before it expires; callers never wait for it", async () => {
    let delayMs = 0;
    const slowAccess = (url: string, init?: RequestInit) =>
      url.includes("/access/") && delayMs > 0 ? sleep(delayMs).then(() => fetch(url, init)) : fetch(url, init);
    const client = createIndexerClient({ chain: net.public, fetch: slowAccess }, { url: net.indexerUrl, accessCacheTtlMs: 2_000, accessCacheBlocks: 1_000 });
    const started = Date.now();
    await client.accessMany(contents, reader); // one GraphQL lookup of the policies, one /access read
    assert.equal(client.stats().accessReads, 1);
    await sleep(1_100); // past half its life
    await client.access(contents[1]!, reader);
    assert.deepEqual([client.stats().accessRefreshes, client.stats().accessReads], [1, 2]);
    await sleep(300); // the refresh completes
    await sleep(Math.max(0, started + 2_200 - Date.now())); // the first read's decision has expired
    delayMs = 1_000;
    const before = client.stats();
    const t0 = Date.now();
    const decision = await client.access(contents[2]!, reader);
    assert.ok(Date.now() - t0 < 200, "served from the refreshed decision");
    assert.equal(decision.contentId, contents[2]);
    assert.equal(client.stats().accessHits, before.accessHits + 1);
  });

  it("cachedAccess answers only from the cache: no read, no refresh, no count", async () => {
    const client = net.indexerClient({ accessCacheTtlMs: 60_000, accessCacheBlocks: 1_000 });
    assert.equal(client.cachedAccess(contents[0]!, reader), undefined);
    assert.equal(client.stats().accessReads, 0);
    const decision = await client.access(contents[0]!, reader);
    const before = client.stats();
    assert.deepEqual(client.cachedAccess(contents[0]!, reader), decision);
    assert.equal(client.cachedAccess(contents[1]!, reader), undefined, "that content's policy is not known yet");
    assert.equal(client.cachedAccess(contents[0]!, outsider), undefined, "another account's decision is not cached");
    assert.deepEqual(client.stats(), before);
  });

  it("a cached decision is not used once its block would fail the staleness check", async () => {
    let offset = 0n;
    const chain = { getBlockNumber: async () => (await net.public.getBlockNumber({ cacheTime: 0 })) + offset };
    const client = net.indexerClient({ accessCacheTtlMs: 60_000, accessCacheBlocks: 1_000, maxStalenessBlocks: 5, chainHeadTtlMs: 0 }, chain);
    await client.access(contents[0]!, reader);
    offset = 10n;
    await client.chainHead();
    await rejectsWith(client.access(contents[1]!, reader), "STATE_STALE");
    assert.equal(client.stats().accessReads, 2);
  });

  it("the chain head is read once per chainHeadTtlMs for every caller, and kept current while all are cache hits", async () => {
    let headReads = 0;
    const chain = { getBlockNumber: (args?: { cacheTime?: number }) => (headReads++, net.public.getBlockNumber(args)) };
    const client = net.indexerClient({ accessCacheTtlMs: 60_000, accessCacheBlocks: 1_000, maxStalenessBlocks: 1_000, chainHeadTtlMs: 200 }, chain);
    await Promise.all(contents.map((id) => client.access(id, reader)));
    assert.equal(headReads, 1);
    const t0 = Date.now();
    let calls = 0;
    while (Date.now() - t0 < 1_000) {
      await Promise.all(contents.flatMap((id) => [client.access(id, reader), client.access(id, outsider)]));
      calls += 2 * contents.length;
      await sleep(10);
    }
    const elapsed = Date.now() - t0;
    assert.ok(calls > 100);
    assert.ok(headReads >= 2, "hits keep the head current");
    assert.ok(headReads <= 2 + Math.ceil(elapsed / 200), `${headReads} head reads in ${elapsed} ms`);
    assert.equal(client.stats().headReads, headReads);
  });

  it("accessMany: one GraphQL lookup, one /access read per policy, unknown contents without reads", async () => {
    const client = net.indexerClient();
    const unknown = [`0x${"01".repeat(32)}`, `0x${"02".repeat(32)}`] as Hex[];
    const results = await client.accessMany([...contents, publicContent, ...unknown], outsider);
    assert.equal(client.stats().accessReads, 2);
    for (const id of contents) assert.equal((results.get(id) as { reason: string }).reason, "MissingAttribute");
    assert.equal((results.get(publicContent) as { reason: string }).reason, "Granted");
    for (const id of unknown) assert.equal((results.get(id) as IndexerClientError).code, "INDEXER_NOT_FOUND");
  });

  it("accessMany falls back to per-content reads when GraphQL fails", async () => {
    const broken = createIndexerClient(
      {
        chain: net.public,
        fetch: (url, init) => (url.endsWith("/graphql") ? Promise.resolve(new Response("nope", { status: 500 })) : fetch(url, init)),
      },
      { url: net.indexerUrl },
    );
    const results = await broken.accessMany([contents[0]!, contents[1]!, `0x${"03".repeat(32)}`], reader);
    assert.equal((results.get(contents[0]!) as { allowed: boolean }).allowed, true);
    assert.equal((results.get(`0x${"03".repeat(32)}`) as IndexerClientError).code, "INDEXER_NOT_FOUND");
    assert.equal(broken.stats().accessReads, 3);
  });
});

describe("indexer client: staleness and failures", () => {
  it("error: state more than maxStalenessBlocks behind the chain head (STATE_STALE), also for 404s", async () => {
    const ahead = { getBlockNumber: async () => (await net.public.getBlockNumber({ cacheTime: 0 })) + 20n };
    const client = net.indexerClient({ maxStalenessBlocks: 5 }, ahead);
    const error = await rejectsWith(client.access(contents[0]!, reader), "STATE_STALE");
    assert.equal(error.retryable, true);
    await rejectsWith(client.access(`0x${"cd".repeat(32)}`, reader), "STATE_STALE");
    await rejectsWith(client.holders(contents[0]!), "STATE_STALE");
    await rejectsWith(client.activeValidators(), "STATE_STALE");
    const bulkClient = net.indexerClient({ maxStalenessBlocks: 5 }, ahead);
    const results = await bulkClient.accessMany([...contents, `0x${"0e".repeat(32)}`, `0x${"0f".repeat(32)}`], reader);
    assert.equal(results.size, contents.length + 2);
    assert.ok([...results.values()].every((r) => r instanceof IndexerClientError && r.code === "STATE_STALE"));
    // One read for the policy; the unknown contents are not asked about one by one.
    assert.equal(bulkClient.stats().accessReads, 1);
    // The same indexer is fresh enough for a looser bound.
    assert.equal((await net.indexerClient({ maxStalenessBlocks: 30 }, ahead).access(contents[0]!, reader)).allowed, true);
  });

  it("a stale indexer's access decisions come from the chain when a ChainAccessReader is given", async () => {
    // An indexer stuck at block 1: the real indexer's answers, labelled with that block.
    const unknown = `0x${"cd".repeat(32)}` as Hex;
    const answers = new Map<string, { status: number; body: string }>();
    for (const [content, account] of [[contents[0]!, reader], [contents[0]!, outsider], [unknown, reader]] as const) {
      const path = `/access/${content}/${account}`;
      const response = await fetch(`${net.indexerUrl}${path}`);
      const body = (await response.json()) as { block: { number: number } };
      body.block.number = 1;
      answers.set(path, { status: response.status, body: JSON.stringify(body) });
    }
    const stuck = await fakeIndexer((path) => answers.get(path) ?? { status: 500, body: "{}" });
    const deployment = { addresses: { contentRegistry: net.addresses.ContentRegistry } };
    let chainReads = 0;
    const fromChain = (contentId: Hex, account: Hex, blockNumber: bigint) => (chainReads++, getAccessDecision({ publicClient: net.public, deployment }, { contentId, account, blockNumber }));
    const client = createIndexerClient({ chain: net.public, chainAccess: fromChain }, { url: stuck, maxStalenessBlocks: 5 });

    const granted = await client.access(contents[0]!, reader);
    assert.deepEqual([granted.allowed, granted.reason, granted.policyId, granted.contentId, granted.account], [true, "Granted", policy, contents[0], reader]);
    assert.ok(granted.block.number > 5, "decided at the chain head, not the indexer's block");
    const denied = await client.access(contents[0]!, outsider);
    assert.deepEqual([denied.allowed, denied.reason], [false, "MissingAttribute"]);
    await rejectsWith(client.access(unknown, reader), "INDEXER_NOT_FOUND");
    assert.equal(chainReads, 3);
    // Cached like an indexer decision: asked again, a hit.
    assert.equal((await client.access(contents[0]!, reader)).allowed, true);
    assert.equal(chainReads, 3);
    assert.equal(client.stats().chainAccessReads, 3);
    assert.equal(client.stats().accessReads, 3, "the indexer is asked first each time");

    // A chain that cannot answer either: the indexer's STATE_STALE stands.
    const failing = createIndexerClient({ chain: net.public, chainAccess: async () => Promise.reject(new Error("rpc down")) }, { url: stuck, maxStalenessBlocks: 5 });
    await rejectsWith(failing.access(contents[0]!, reader), "STATE_STALE");
  });

  it("error: the chain head cannot be read (CHAIN_UNAVAILABLE)", async () => {
    const client = net.indexerClient({}, { getBlockNumber: async () => Promise.reject(new Error("rpc down")) });
    await rejectsWith(client.access(contents[0]!, reader), "CHAIN_UNAVAILABLE");
  });

  it("error: unreachable, failing, not ready or silent indexers (INDEXER_UNAVAILABLE); caller aborts (INDEXER_ABORTED)", async () => {
    const closed = await fakeIndexer(() => ({ status: 200, body: "{}" }));
    servers.at(-1)!.close();
    await rejectsWith(net.indexerClient({ url: closed }).access(contents[0]!, reader), "INDEXER_UNAVAILABLE");
    const failing = await fakeIndexer(() => ({ status: 500, body: "<html>oops</html>" }));
    await rejectsWith(net.indexerClient({ url: failing }).access(contents[0]!, reader), "INDEXER_UNAVAILABLE");
    const notReady = await fakeIndexer(() => ({ status: 503, body: '{"error":{"code":"not_ready","message":"x"}}' }));
    await rejectsWith(net.indexerClient({ url: notReady }).holders(contents[0]!), "INDEXER_UNAVAILABLE");
    const silent = await fakeIndexer(() => undefined);
    const started = Date.now();
    await rejectsWith(net.indexerClient({ url: silent, timeoutMs: 200 }).access(contents[0]!, reader), "INDEXER_UNAVAILABLE");
    assert.ok(Date.now() - started < 2_000);
    const controller = new AbortController();
    const pending = net.indexerClient({ url: silent }).access(contents[0]!, reader, { signal: controller.signal });
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
      await rejectsWith(net.indexerClient({ url, maxResponseBytes: 4_096 }, { getBlockNumber: async () => 1n }).access(contents[0]!, reader), "INDEXER_BAD_RESPONSE");
    }
    // A replication mode the network does not have: refused here, so no caller needs its own check.
    const real = await (await fetch(`${net.indexerUrl}/holders/${contents[0]}`)).json() as { replication: { mode: string } };
    real.replication.mode = "everyone";
    const oddMode = await fakeIndexer(() => ({ status: 200, body: JSON.stringify(real) }));
    await rejectsWith(net.indexerClient({ url: oddMode }).holders(contents[0]!), "INDEXER_BAD_RESPONSE");
    const refusing = await fakeIndexer(() => ({ status: 400, body: '{"error":{"code":"invalid_cid","message":"x"}}' }));
    await rejectsWith(net.indexerClient({ url: refusing }).access(contents[0]!, reader), "INDEXER_BAD_RESPONSE");
  });
});
