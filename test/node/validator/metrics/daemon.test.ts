/**
 * The daemon's metrics (node/validator/metrics.ts) on a real validator (chain, contracts, Ponder,
 * startValidator): scraping must not cost the node's work, so however many scrapers hammer
 * GET /metrics the store's SQLite row counts run at most once per storeStatsMaxAgeMs; the
 * values still follow the store once the period has passed.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { bytesToHex } from "viem";
import type { Validator } from "../../../../node/validator/index.js";
import { DEFAULT_STORE_STATS_MAX_AGE_MS, registerDaemonMetrics } from "../../../../node/validator/metrics.js";
import { createMetricsRegistry } from "../../../../node/validator/metrics/index.js";
import { Net, removeTempDirs } from "../helpers.js";
import { parseExposition, sampleValue } from "./exposition.js";

const SCRAPERS = 8;
const ROUNDS = 25;
let net: Net;
let v: Validator;
/** store.stats() calls (each is three SQLite counts and one more on the audit table). */
let statsCalls = 0;

before(async () => {
  net = await Net.start();
  v = await net.startValidator(0);
  const stats = v.store.stats.bind(v.store);
  v.store.stats = () => {
    statsCalls++;
    return stats();
  };
});

after(async () => {
  await v?.stop();
  await net?.stop();
  removeTempDirs();
});

function deks(text: string): number | undefined {
  return sampleValue(parseExposition(text), "dekmesh_store_rows", { table: "deks" });
}

describe("daemon metrics", () => {
  it(`${SCRAPERS} scrapers of GET /metrics in a loop cost at most one store count per ${DEFAULT_STORE_STATS_MAX_AGE_MS} ms`, async () => {
    const before = statsCalls;
    const started = performance.now();
    const scraper = async () => {
      for (let i = 0; i < ROUNDS; i++) {
        const response = await fetch(`${v.httpUrl}/metrics`);
        assert.equal(response.status, 200);
        assert.ok(deks(await response.text()) !== undefined, "the store's rows are in every scrape");
      }
    };
    await Promise.all(Array.from({ length: SCRAPERS }, scraper));
    const elapsed = performance.now() - started;
    const calls = statsCalls - before;
    const bound = 1 + Math.floor(elapsed / DEFAULT_STORE_STATS_MAX_AGE_MS);
    assert.ok(calls >= 1 && calls <= bound, `${SCRAPERS * ROUNDS} scrapes in ${Math.round(elapsed)} ms ran store.stats() ${calls} times (at most ${bound})`);
  });

  it("the store's rows in a scrape follow the store once the period has passed", async () => {
    const MAX_AGE_MS = 1_000;
    const registry = createMetricsRegistry({ processMetrics: false });
    registerDaemonMetrics(registry, { store: v.store, submitter: v.submitter, p2p: v.p2p, rewrap: v.rewrap, replication: v.replication }, { storeStatsMaxAgeMs: MAX_AGE_MS });
    const first = deks(await registry.render())!;
    const collected = performance.now();
    await v.store.putDek(bytesToHex(randomBytes(32)), new Uint8Array(randomBytes(32)), { policyId: 1n, mode: "all", source: "initial" });
    const cached = deks(await registry.render());
    if (performance.now() - collected < MAX_AGE_MS) assert.equal(cached, first, "within the period the counts are reused");
    await new Promise((resolve) => setTimeout(resolve, MAX_AGE_MS + 50));
    assert.equal(deks(await registry.render()), first + 1);
  });
});
