/**
 * The access decider over a real indexer client, chain and Ponder indexer (and, for broken
 * indexers, small local HTTP servers): decisions per (policy, account), caching, single flight,
 * background refresh, the staleness check re-applied to cached decisions, bulk lookups, and
 * decisions from the chain behind a stale indexer.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Hex } from "viem";
import { getAccessDecision } from "../../../../node/chain/index.js";
import {
  createIndexerClient,
  IndexerClientError,
  type ChainHeadReader,
  type FetchLike,
  type IndexerClientOptions,
} from "../../../../node/indexer-client/index.js";
import {
  createAccessDecider,
  type AccessDeciderOptions,
  type ChainAccessReader,
} from "../../../../node/validator/access/index.js";
import type { TestNet } from "../rewrap/helpers.js";
import { closedIndexer, fakeIndexer, rejectsWith, sleep, startIndexerFixture, stopIndexerFixture, type IndexerFixture } from "../../indexer-client/fixtures.js";

let net: TestNet;
let publisher: IndexerFixture["publisher"];
let reader: Hex;
let outsider: Hex;
let policy: bigint;
let contents: Hex[];
let publicContent: Hex;
let fixture: IndexerFixture | undefined;

/** An indexer client and an access decider on it, as a validator wires them; options of both in one object. */
function decider(
  options: Partial<IndexerClientOptions> & AccessDeciderOptions = {},
  chain: ChainHeadReader = net.public,
  components: { fetch?: FetchLike; chainAccess?: ChainAccessReader } = {},
) {
  const { accessCacheTtlMs, accessCacheBlocks, accessConcurrency, indexerDeadlineMs, degradedForMs, ...reads } = options;
  const indexer = createIndexerClient({ chain, fetch: components.fetch }, { url: net.indexerUrl, ...reads });
  const access = createAccessDecider(
    { indexer, chainAccess: components.chainAccess },
    { accessCacheTtlMs, accessCacheBlocks, accessConcurrency, indexerDeadlineMs, degradedForMs },
  );
  return { indexer, access };
}

before(async () => {
  fixture = await startIndexerFixture();
  ({ net, publisher, reader, outsider, policy, contents, publicContent } = fixture);
});

after(() => stopIndexerFixture(fixture));

describe("access decider: decisions", () => {
  it("access: the decision, its policy and the indexed block", async () => {
    const { access } = decider();
    const granted = await access.access(contents[0]!, reader);
    assert.equal(granted.allowed, true);
    assert.equal(granted.reason, "Granted");
    assert.equal(granted.policyId, policy);
    assert.equal(granted.contentId, contents[0]);
    assert.ok(granted.block.number > 0 && granted.block.timestamp > 0);
    const denied = await access.access(contents[0]!, outsider);
    assert.deepEqual([denied.allowed, denied.reason], [false, "MissingAttribute"]);
    const publisherDecision = await access.access(contents[0]!, publisher.address);
    assert.equal(publisherDecision.reason, "Publisher");
  });

  it("error: unknown content (INDEXER_NOT_FOUND); bad arguments (INDEXER_INVALID_ARGUMENT)", async () => {
    const { access } = decider();
    await rejectsWith(access.access(`0x${"ab".repeat(32)}`, reader), "INDEXER_NOT_FOUND");
    await rejectsWith(access.access("0x1234", reader), "INDEXER_INVALID_ARGUMENT");
    await rejectsWith(access.access(contents[0]!, "nobody"), "INDEXER_INVALID_ARGUMENT");
  });
});

describe("access decider: caching", () => {
  it("one read per (policy, account) within the TTL, shared by concurrent callers and contents of one policy", async () => {
    const { indexer, access } = decider({ accessCacheTtlMs: 60_000, accessCacheBlocks: 1_000 });
    await Promise.all(Array.from({ length: 20 }, () => access.access(contents[0]!, reader)));
    assert.equal(indexer.stats().accessReads, 1);
    // The first read of a content learns its policy; after that the policy's decision is reused.
    await access.access(contents[1]!, reader);
    assert.equal(indexer.stats().accessReads, 2);
    const again = await access.access(contents[1]!, reader);
    assert.equal(again.contentId, contents[1]);
    assert.equal(indexer.stats().accessReads, 2);
    await access.access(contents[0]!, outsider);
    assert.equal(indexer.stats().accessReads, 3);
  });

  it("decisions expire after the TTL", async () => {
    const { indexer, access } = decider({ accessCacheTtlMs: 100 });
    await access.access(contents[0]!, reader);
    await access.access(contents[0]!, reader);
    assert.equal(indexer.stats().accessReads, 1);
    await new Promise((resolve) => setTimeout(resolve, 150));
    await access.access(contents[0]!, reader);
    assert.equal(indexer.stats().accessReads, 2);
  });

  it("decisions expire once the chain head moves more than accessCacheBlocks past them", async () => {
    let offset = 0n;
    const chain = { getBlockNumber: async () => (await net.public.getBlockNumber({ cacheTime: 0 })) + offset };
    const { indexer, access } = decider({ accessCacheTtlMs: 60_000, accessCacheBlocks: 1, chainHeadTtlMs: 0 }, chain);
    await access.access(contents[0]!, reader);
    offset = 3n;
    await indexer.chainHead();
    await access.access(contents[0]!, reader);
    assert.equal(indexer.stats().accessReads, 2);
  });

  it("after a decision expires, concurrent misses for different contents of one policy share one read", async () => {
    const { indexer, access } = decider({ accessCacheTtlMs: 300, accessCacheBlocks: 1_000 });
    for (const id of contents) await access.access(id, reader); // learns each content's policy
    const learned = indexer.stats().accessReads;
    await sleep(400);
    const decisions = await Promise.all(contents.flatMap((id) => Array.from({ length: 5 }, () => access.access(id, reader))));
    assert.equal(indexer.stats().accessReads, learned + 1);
    assert.deepEqual(decisions.map((d) => d.contentId), contents.flatMap((id) => Array(5).fill(id)));
    assert.ok(decisions.every((d) => d.allowed && d.policyId === policy));
  });

  it("a hot decision is re-read in the background before it expires; callers never wait for it", async () => {
    let delayMs = 0;
    const slowAccess: FetchLike = (url, init) =>
      url.includes("/access/") && delayMs > 0 ? sleep(delayMs).then(() => fetch(url, init)) : fetch(url, init);
    const { indexer, access } = decider({ accessCacheTtlMs: 2_000, accessCacheBlocks: 1_000 }, net.public, { fetch: slowAccess });
    const started = Date.now();
    await access.accessMany(contents, reader); // one GraphQL lookup of the policies, one /access read
    assert.equal(indexer.stats().accessReads, 1);
    await sleep(1_100); // past half its life
    await access.access(contents[1]!, reader);
    assert.deepEqual([access.stats().accessRefreshes, indexer.stats().accessReads], [1, 2]);
    await sleep(300); // the refresh completes
    await sleep(Math.max(0, started + 2_200 - Date.now())); // the first read's decision has expired
    delayMs = 1_000;
    const before = access.stats();
    const t0 = Date.now();
    const decision = await access.access(contents[2]!, reader);
    assert.ok(Date.now() - t0 < 200, "served from the refreshed decision");
    assert.equal(decision.contentId, contents[2]);
    assert.equal(access.stats().accessHits, before.accessHits + 1);
  });

  it("cachedAccess answers only from the cache: no read, no refresh, no count", async () => {
    const { indexer, access } = decider({ accessCacheTtlMs: 60_000, accessCacheBlocks: 1_000 });
    assert.equal(access.cachedAccess(contents[0]!, reader), undefined);
    assert.equal(indexer.stats().accessReads, 0);
    const decision = await access.access(contents[0]!, reader);
    const before = { reads: indexer.stats(), decisions: access.stats() };
    assert.deepEqual(access.cachedAccess(contents[0]!, reader), decision);
    assert.equal(access.cachedAccess(contents[1]!, reader), undefined, "that content's policy is not known yet");
    assert.equal(access.cachedAccess(contents[0]!, outsider), undefined, "another account's decision is not cached");
    assert.deepEqual({ reads: indexer.stats(), decisions: access.stats() }, before);
  });

  it("a cached decision is not used once its block would fail the staleness check", async () => {
    let offset = 0n;
    const chain = { getBlockNumber: async () => (await net.public.getBlockNumber({ cacheTime: 0 })) + offset };
    const { indexer, access } = decider({ accessCacheTtlMs: 60_000, accessCacheBlocks: 1_000, maxStalenessBlocks: 5, chainHeadTtlMs: 0 }, chain);
    await access.access(contents[0]!, reader);
    offset = 10n;
    await indexer.chainHead();
    await rejectsWith(access.access(contents[1]!, reader), "STATE_STALE");
    assert.equal(indexer.stats().accessReads, 2);
  });

  it("the chain head is read once per chainHeadTtlMs for every caller, and kept current while all are cache hits", async () => {
    let headReads = 0;
    const chain = { getBlockNumber: (args?: { cacheTime?: number }) => (headReads++, net.public.getBlockNumber(args)) };
    const { indexer, access } = decider({ accessCacheTtlMs: 60_000, accessCacheBlocks: 1_000, maxStalenessBlocks: 1_000, chainHeadTtlMs: 200 }, chain);
    await Promise.all(contents.map((id) => access.access(id, reader)));
    assert.equal(headReads, 1);
    const t0 = Date.now();
    let calls = 0;
    while (Date.now() - t0 < 1_000) {
      await Promise.all(contents.flatMap((id) => [access.access(id, reader), access.access(id, outsider)]));
      calls += 2 * contents.length;
      await sleep(10);
    }
    const elapsed = Date.now() - t0;
    assert.ok(calls > 100);
    assert.ok(headReads >= 2, "hits keep the head current");
    assert.ok(headReads <= 2 + Math.ceil(elapsed / 200), `${headReads} head reads in ${elapsed} ms`);
    assert.equal(indexer.stats().headReads, headReads);
  });

  it("accessMany: one GraphQL lookup, one /access read per policy, unknown contents without reads", async () => {
    const { indexer, access } = decider();
    const unknown = [`0x${"01".repeat(32)}`, `0x${"02".repeat(32)}`] as Hex[];
    const results = await access.accessMany([...contents, publicContent, ...unknown], outsider);
    assert.equal(indexer.stats().accessReads, 2);
    for (const id of contents) assert.equal((results.get(id) as { reason: string }).reason, "MissingAttribute");
    assert.equal((results.get(publicContent) as { reason: string }).reason, "Granted");
    for (const id of unknown) assert.equal((results.get(id) as IndexerClientError).code, "INDEXER_NOT_FOUND");
  });

  it("accessMany falls back to per-content reads when the bulk policy lookup fails", async () => {
    const failingLookup: FetchLike = (url, init) => (url.endsWith("/contents/policies") ? Promise.resolve(new Response("nope", { status: 500 })) : fetch(url, init));
    const broken = decider({}, net.public, { fetch: failingLookup });
    const results = await broken.access.accessMany([contents[0]!, contents[1]!, `0x${"03".repeat(32)}`], reader);
    assert.equal((results.get(contents[0]!) as { allowed: boolean }).allowed, true);
    assert.equal((results.get(`0x${"03".repeat(32)}`) as IndexerClientError).code, "INDEXER_NOT_FOUND");
    assert.equal(broken.indexer.stats().accessReads, 3);
  });
});

describe("access decider: staleness and failures", () => {
  it("error: state more than maxStalenessBlocks behind the chain head (STATE_STALE), also for 404s and in bulk", async () => {
    const ahead = { getBlockNumber: async () => (await net.public.getBlockNumber({ cacheTime: 0 })) + 20n };
    const { access } = decider({ maxStalenessBlocks: 5 }, ahead);
    const error = await rejectsWith(access.access(contents[0]!, reader), "STATE_STALE");
    assert.equal(error.retryable, true);
    await rejectsWith(access.access(`0x${"cd".repeat(32)}`, reader), "STATE_STALE");
    const bulk = decider({ maxStalenessBlocks: 5 }, ahead);
    const results = await bulk.access.accessMany([...contents, `0x${"0e".repeat(32)}`, `0x${"0f".repeat(32)}`], reader);
    assert.equal(results.size, contents.length + 2);
    assert.ok([...results.values()].every((r) => r instanceof IndexerClientError && r.code === "STATE_STALE"));
    // One read for the policy; the unknown contents are not asked about one by one.
    assert.equal(bulk.indexer.stats().accessReads, 1);
    // The same indexer is fresh enough for a looser bound.
    assert.equal((await decider({ maxStalenessBlocks: 30 }, ahead).access.access(contents[0]!, reader)).allowed, true);
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
    const deployment = { addresses: { contentRegistry: net.addresses.ContentRegistry, policyRegistry: net.addresses.PolicyRegistry } };
    let chainReads = 0;
    const fromChain: ChainAccessReader = (contentId, account, blockNumber) => (chainReads++, getAccessDecision({ publicClient: net.public, deployment }, { contentId, account, blockNumber }));
    const { indexer, access } = decider({ url: stuck, maxStalenessBlocks: 5 }, net.public, { chainAccess: fromChain });

    const granted = await access.access(contents[0]!, reader);
    assert.deepEqual([granted.allowed, granted.reason, granted.policyId, granted.contentId, granted.account], [true, "Granted", policy, contents[0], reader]);
    assert.ok(granted.block.number > 5, "decided at the chain head, not the indexer's block");
    const denied = await access.access(contents[0]!, outsider);
    assert.deepEqual([denied.allowed, denied.reason], [false, "MissingAttribute"]);
    await rejectsWith(access.access(unknown, reader), "INDEXER_NOT_FOUND");
    assert.equal(chainReads, 3);
    // Cached like an indexer decision: asked again, a hit.
    assert.equal((await access.access(contents[0]!, reader)).allowed, true);
    assert.equal(chainReads, 3);
    assert.equal(access.stats().chainAccessReads, 3);
    assert.equal(indexer.stats().accessReads, 3, "the indexer is asked first each time");

    // A chain that cannot answer either: the indexer's STATE_STALE stands.
    const failing = decider({ url: stuck, maxStalenessBlocks: 5 }, net.public, { chainAccess: async () => Promise.reject(new Error("rpc down")) });
    await rejectsWith(failing.access.access(contents[0]!, reader), "STATE_STALE");
  });

  it("an indexer that hangs or is down: the chain decides within the deadline, and keeps deciding while the indexer is degraded", async () => {
    const deployment = { addresses: { contentRegistry: net.addresses.ContentRegistry, policyRegistry: net.addresses.PolicyRegistry } };
    let chainReads = 0;
    const fromChain: ChainAccessReader = (contentId, account, blockNumber) => (chainReads++, getAccessDecision({ publicClient: net.public, deployment }, { contentId, account, blockNumber }));
    let asked = 0;
    const hanging = await fakeIndexer(() => void asked++);
    const { access } = decider({ url: hanging, timeoutMs: 60_000, indexerDeadlineMs: 300, degradedForMs: 3_000, accessCacheTtlMs: 0 }, net.public, { chainAccess: fromChain });

    let started = Date.now();
    const granted = await access.access(contents[0]!, reader);
    assert.deepEqual([granted.allowed, granted.reason, granted.policyId], [true, "Granted", policy]);
    assert.ok(Date.now() - started < 3_000, `decided in ${Date.now() - started} ms (the client's own timeout is 60 s)`);
    assert.equal(access.indexerDegraded, "INDEXER_UNAVAILABLE");
    // Degraded: the next decisions (single and bulk) go to the chain without waiting for the indexer.
    started = Date.now();
    const denied = await access.access(contents[0]!, outsider);
    assert.deepEqual([denied.allowed, denied.reason], [false, "MissingAttribute"]);
    const bulk = await access.accessMany([contents[1]!, contents[2]!, publicContent], outsider);
    assert.deepEqual([...bulk.values()].map((d) => (d instanceof Error ? d.code : d.reason)), ["MissingAttribute", "MissingAttribute", "Granted"]);
    assert.ok(Date.now() - started < 2_000, `decided in ${Date.now() - started} ms while degraded`);
    assert.equal(asked, 1, "a degraded indexer is not asked");
    assert.equal(access.stats().indexerMisses, 1);
    // After the degraded period the indexer is asked again.
    await sleep(3_100);
    assert.equal(access.indexerDegraded, undefined);
    await access.access(contents[3]!, reader);
    assert.equal(asked, 2);
    assert.equal(chainReads, 6);

    // An indexer that refuses connections: the chain decides too.
    const down = decider({ url: await closedIndexer(), indexerDeadlineMs: 300 }, net.public, { chainAccess: fromChain });
    assert.equal((await down.access.access(contents[0]!, reader)).allowed, true);
    assert.equal(down.access.indexerDegraded, "INDEXER_UNAVAILABLE");
    // Without a chain reader a hanging indexer is INDEXER_UNAVAILABLE at the client's own timeout.
    const alone = decider({ url: hanging, timeoutMs: 300 });
    await rejectsWith(alone.access.access(contents[0]!, reader), "INDEXER_UNAVAILABLE");
  });

  it("error: the chain head cannot be read (CHAIN_UNAVAILABLE)", async () => {
    const { access } = decider({}, { getBlockNumber: async () => Promise.reject(new Error("rpc down")) });
    await rejectsWith(access.access(contents[0]!, reader), "CHAIN_UNAVAILABLE");
  });

  it("error: the caller aborts while a shared read goes on (INDEXER_ABORTED)", async () => {
    const silent = await fakeIndexer(() => undefined);
    const { access } = decider({ url: silent, timeoutMs: 60_000 });
    const controller = new AbortController();
    const pending = access.access(contents[0]!, reader, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await rejectsWith(pending, "INDEXER_ABORTED");
    const bulkController = new AbortController();
    const bulk = access.accessMany([contents[1]!, contents[2]!], reader, { signal: bulkController.signal });
    setTimeout(() => bulkController.abort(), 50);
    await rejectsWith(bulk, "INDEXER_ABORTED");
  });
});
