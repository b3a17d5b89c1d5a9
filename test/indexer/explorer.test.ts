// The audit explorer (/explorer) in a real browser: Debian's Chromium driven by playwright-core
// against a devnet (Hardhat, contracts, Ponder on PGlite) with traffic. Every view loads with no
// console error, no failed request and no request leaving the indexer's origin; each filter
// narrows the trail to exactly the records it names; a rewrap recorded during the test appears
// within 5 s; pagination, driven from the keyboard, reaches the oldest record. Screenshots of
// each view (light, dark, narrow) are written to docs/explorer/ for docs/explorer.md.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { toHex, type Address, type Hex } from "viem";
import type { Page } from "playwright-core";
import { startStack, type Stack } from "../../node/devnet/index.js";
import { synced } from "./helpers/api.js";
import { launchChromium, watchPage, type Browser } from "./helpers/browser.js";
import { Driver, TOKEN } from "./helpers/driver.js";
import { setUpTraffic, type TrafficWorld } from "./helpers/traffic.js";

const SHOTS = new URL("../../docs/explorer/", import.meta.url);

interface Sent {
  validator: Address;
  contentId: Hex;
  cid: string;
  requester: Address;
  digest: Hex;
  blockTimestamp: number;
}

let stack: Stack;
let d: Driver;
let w: TrafficWorld;
let browser: Browser;
let base: string;
const contents: { cid: string; contentId: Hex }[] = [];
/** Every record sent, oldest first. */
const sent: Sent[] = [];

async function record(validator: Address, items: { content: number; requester: Address }[]): Promise<void> {
  const records = items.map((i) => ({ contentId: contents[i.content]!.contentId, requester: i.requester, requestDigest: toHex(randomBytes(32)) }));
  const receipt = await d.recordRewraps(validator, records);
  const { timestamp } = await d.public.getBlock({ blockNumber: receipt.blockNumber });
  for (const [i, r] of records.entries()) {
    sent.push({ validator, contentId: r.contentId, cid: contents[items[i]!.content]!.cid, requester: r.requester, digest: r.requestDigest, blockTimestamp: Number(timestamp) });
  }
}

before(async () => {
  stack = await startStack({ chain: { blockIntervalMs: 1000 } });
  base = stack.indexer!.url;
  d = await Driver.connect(stack);
  w = await setUpTraffic(d);
  for (const [i, policyId] of w.policies.entries()) {
    const c = await d.registerContent(w.publisher, policyId, w.validators[i % w.validators.length]!);
    contents.push({ cid: c.cid.toString(), contentId: c.contentId });
    await d.confirmHoldings(w.validators[i % w.validators.length]!, [c.contentId]);
  }
  await d.stake(w.validators[0]!, d.account(11), 250n * TOKEN);
  const [r1, r2, r3] = w.readers as [Address, Address, Address];
  const [v1, v2, v3] = w.validators as [Address, Address, Address];
  await record(v1, [{ content: 0, requester: r1 }, { content: 1, requester: r2 }, { content: 0, requester: r3 }]);
  await record(v2, [{ content: 1, requester: r1 }, { content: 2, requester: r1 }]);
  await record(v3, [{ content: 3, requester: r2 }]);
  // A later stretch of chain time, for the time filter.
  await d.increaseTime(600);
  await record(v1, [{ content: 2, requester: r3 }, { content: 3, requester: r3 }]);
  await record(v2, [{ content: 0, requester: r2 }, { content: 0, requester: r1 }, { content: 1, requester: r3 }]);
  await synced(d);
  browser = await launchChromium();
  mkdirSync(SHOTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  await stack?.stop();
});

/** A page whose problems are checked when `use` is done. */
async function withPage(use: (page: Page) => Promise<void>, options: { colorScheme?: "light" | "dark"; width?: number } = {}): Promise<void> {
  const page = await browser.context.newPage();
  if (options.colorScheme) await page.emulateMedia({ colorScheme: options.colorScheme });
  if (options.width) await page.setViewportSize({ width: options.width, height: 900 });
  const problems = watchPage(page, base);
  try {
    await use(page);
  } finally {
    await page.close();
  }
  assert.deepEqual(problems, []);
}

async function open(page: Page, path: string): Promise<void> {
  await page.goto(base + path);
  await ready(page);
}

/** The view has rendered (the router marks the body). */
async function ready(page: Page): Promise<void> {
  await page.waitForFunction(() => document.body.dataset.state === "ready", undefined, { timeout: 10_000 });
}

const shot = (page: Page, name: string) => page.screenshot({ path: new URL(`${name}.png`, SHOTS).pathname, fullPage: true });

/** The digests of the records the page lists, in its order. */
const listed = (page: Page) => page.$$eval("#records tbody tr[data-digest]", (rows) => rows.map((r) => (r as HTMLElement).dataset.digest!));

const newestFirst = (records: Sent[]) => [...records].reverse().map((r) => r.digest);

describe("audit explorer", () => {
  test("the audit trail lists every record newest first, with recent batches (light, dark, narrow)", async () => {
    for (const [name, options] of [["audit", {}], ["audit-dark", { colorScheme: "dark" as const }], ["audit-narrow", { width: 390 }]] as const) {
      await withPage(async (page) => {
        await open(page, "/explorer");
        assert.deepEqual(await listed(page), newestFirst(sent));
        assert.equal(await page.locator("section", { hasText: "Recent audit batches" }).locator("tbody tr").count(), 5);
        await shot(page, name);
      }, options);
    }
  });

  test("each filter narrows the list to exactly its records, and is kept in the URL", async () => {
    const [r1] = w.readers as [Address];
    const [, v2] = w.validators as [Address, Address];
    const late = sent[sent.length - 1]!.blockTimestamp;
    const iso = (t: number) => new Date(t * 1000).toISOString().slice(0, 19);
    const cases: { fields: Record<string, string>; url: RegExp; expected: Sent[] }[] = [
      { fields: { cid: contents[0]!.cid }, url: /cid=/, expected: sent.filter((r) => r.contentId === contents[0]!.contentId) },
      { fields: { requester: r1 }, url: /requester=/, expected: sent.filter((r) => r.requester === r1) },
      { fields: { validator: v2 }, url: /validator=/, expected: sent.filter((r) => r.validator === v2) },
      { fields: { from: iso(late - 300), to: iso(late + 60) }, url: /from=\d+&to=\d+/, expected: sent.filter((r) => r.blockTimestamp >= late - 300) },
      { fields: { cid: contents[0]!.contentId, requester: r1 }, url: /cid=.*requester=/, expected: sent.filter((r) => r.contentId === contents[0]!.contentId && r.requester === r1) },
    ];
    await withPage(async (page) => {
      for (const { fields, url, expected } of cases) {
        await open(page, "/explorer");
        for (const [name, value] of Object.entries(fields)) await page.fill(`input[name="${name}"]`, value);
        await page.click('button[type="submit"]');
        await page.waitForURL(url);
        await ready(page);
        assert.ok(expected.length > 0 && expected.length < sent.length, "a filter that narrows");
        assert.deepEqual(await listed(page), newestFirst(expected), JSON.stringify(fields));
        // The URL alone shows the same view.
        await open(page, new URL(page.url()).pathname + new URL(page.url()).search);
        assert.deepEqual(await listed(page), newestFirst(expected));
      }
      await shot(page, "audit-filtered");
    });
  });

  test("a rewrap recorded while the page is open appears within 5 s", async () => {
    await withPage(async (page) => {
      await open(page, "/explorer");
      const before = sent.length;
      await record(w.validators[2]!, [{ content: 1, requester: w.readers[1]! }]);
      const digest = sent[before]!.digest;
      const recorded = performance.now();
      await page.waitForSelector(`#records tr[data-digest="${digest}"]`, { timeout: 5_000 });
      const ms = performance.now() - recorded;
      assert.ok(ms < 5_000, `appeared after ${Math.round(ms)} ms`);
      assert.equal((await listed(page))[0], digest);
    });
  });

  test("pagination, from the keyboard, reaches the oldest record", async () => {
    await withPage(async (page) => {
      await open(page, "/explorer?limit=4");
      const seen: string[] = [];
      for (let pages = 0; pages < 10; pages++) {
        seen.push(...(await listed(page)));
        if ((await page.locator("#older").count()) === 0) break;
        await page.focus("#older");
        await page.keyboard.press("Enter");
        await page.waitForURL(/cursor=/);
        await ready(page);
      }
      assert.deepEqual(seen, newestFirst(sent));
      assert.equal(await page.locator("#oldest").count(), 1);
      await shot(page, "audit-oldest");
    });
  });

  test("record, validator, content and chart views", async () => {
    await withPage(async (page) => {
      const first = sent[0]!;
      await open(page, "/explorer?limit=500");
      await page.click(`#records tr[data-digest="${first.digest}"] a[aria-label]`);
      await ready(page);
      assert.equal(await page.textContent("#digest"), first.digest);
      await shot(page, "record");

      await page.click(`a[href="/explorer/validator/${first.validator}"]`);
      await ready(page);
      const facts = await page.textContent("dl.facts");
      assert.match(facts!, /Statusactive/);
      assert.match(facts!, new RegExp(`Rewraps served${sent.filter((r) => r.validator === first.validator).length}Audit batches`));
      assert.match(facts!, /Stake1,250 tokens/);
      assert.equal(await page.locator("svg.chart").count(), 3, "rewraps, stake and weight over time");
      assert.match((await page.locator("section", { hasText: "Weight over time" }).textContent())!, /Selection weight of/);
      await shot(page, "validator");

      await open(page, `/explorer/content/${contents[1]!.cid}`);
      const terms = await page.textContent("ul.terms");
      assert.match(terms!, /2 validators drawn by stake keep the key/);
      assert.match(terms!, /Any account meeting the requirements may read/);
      assert.ok((await page.locator("table", { hasText: "Replica set" }).locator("tbody tr").count()) === 2);
      const served = new Set(sent.filter((r) => r.contentId === contents[1]!.contentId).map((r) => r.validator));
      assert.equal(await page.locator("figure").first().locator("polyline").count(), served.size);
      await shot(page, "content");

      await page.click('nav a[href="/explorer/chart"]');
      await ready(page);
      assert.equal(await page.locator("svg.chart polyline").count(), new Set(sent.map((r) => r.validator)).size);
      await shot(page, "chart");
    });
  });

  test("GET /audit: cached pages carried forward as batches arrive hold exactly the trail", async () => {
    const [r1, r2, r3] = w.readers as [Address, Address, Address];
    const [v1, , v3] = w.validators as [Address, Address, Address];
    const since = sent[sent.length - 1]!.blockTimestamp;
    const cases: [string, (r: Sent) => boolean, number?][] = [
      ["", () => true],
      [`cid=${contents[0]!.contentId}`, (r) => r.contentId === contents[0]!.contentId],
      [`requester=${r2}`, (r) => r.requester === r2],
      [`validator=${v1}`, (r) => r.validator === v1],
      [`from=${since}`, (r) => r.blockTimestamp >= since],
      [`cid=${contents[2]!.cid}&requester=${r3}`, (r) => r.contentId === contents[2]!.contentId && r.requester === r3],
      ["limit=3", () => true, 3],
    ];
    const digests = async (query: string) => {
      const body = (await (await fetch(`${base}/audit?${query}`)).json()) as { records: { requestDigest: string }[]; nextCursor: string | null };
      return { digests: body.records.map((r) => r.requestDigest), nextCursor: body.nextCursor };
    };
    const expected = (pick: (r: Sent) => boolean, limit = 50) => newestFirst(sent.filter(pick)).slice(0, limit);
    const olderPage = (await digests("limit=3")).nextCursor!;
    const older = await digests(`limit=3&cursor=${olderPage}`);
    for (const [query, pick, limit] of cases) assert.deepEqual((await digests(query)).digests, expected(pick, limit), query);
    await record(v1, [{ content: 0, requester: r2 }, { content: 2, requester: r3 }]);
    await record(v3, [{ content: 3, requester: r1 }]);
    await synced(d);
    for (const [query, pick, limit] of cases) assert.deepEqual((await digests(query)).digests, expected(pick, limit), `${query} after new batches`);
    assert.deepEqual(await digests(`limit=3&cursor=${olderPage}`), older);
  });

  test("the page and its data come from the indexer alone, under a policy that forbids anything else", async () => {
    const response = await fetch(`${base}/explorer`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-security-policy")!, /default-src 'none'; script-src 'self'/);
    const refusals = await Promise.all(["/audit/series?from=1", "/audit/batches/0x01/1", "/validators/0x0000000000000000000000000000000000000001", "/audit/series?from=1&to=2&buckets=501"].map(async (path) => {
      const r = await fetch(base + path);
      return [r.status, ((await r.json()) as { error: { code: string } }).error.code];
    }));
    assert.deepEqual(refusals, [[400, "invalid_range"], [400, "invalid_address"], [404, "validator_not_found"], [400, "invalid_buckets"]]);
    // GET /validators/:node is mounted after GET /validators/active, which keeps its path.
    assert.equal(((await (await fetch(`${base}/validators/active`)).json()) as { count: number }).count, w.validators.length);
  });
});
