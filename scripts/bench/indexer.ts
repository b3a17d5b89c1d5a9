// Indexer benchmark (npm run bench:indexer). Real processes: a Hardhat node with 1-second
// blocks, the contracts, and Ponder on PGlite in a temp dir.
//  1. backfill: ≥ 20,000 events (audit batches of 500, plus registrations and holdings) are
//     produced before Ponder starts; events/s over Ponder's backfill (its own log marks start
//     and end), next to the floor of fetching the same logs over JSON-RPC.
//  2. REST latency under 50 concurrent loopback clients (closed loop, keep-alive; the load
//     generator runs on its own worker thread, see http-load.ts) while a writer records an
//     audit batch every block: /holders and /audit against two baselines in the same run,
//     Ponder's /health (its HTTP stack, no database) and /status (one PGlite query), in
//     alternating rounds; medians of the rounds' percentiles. (BENCH_NO_WRITER=1: no writes.)
//     The explorer's subject is the mix of requests its views make (docs/explorer.md).
//  3. the explorer in headless Chromium: from navigation to the first page of records painted;
//     then the whole trail walked page by page through the cursors, as "Older →" does.
//  4. lag: a block is mined with an audit record; time until /audit shows it.
// PGlite by default; BENCH_DATABASE=postgres runs the same on a throwaway PostgreSQL server.
// The last line is the JSON summary.
import fs from "node:fs";
import { keccak256, toHex, type Address, type Hex } from "viem";
import { rewrapAuditLogAbi } from "../../build/abi/index.js";
import { encodeAuditRecords } from "../../node/protocol/auditRecords.js";
import { rpcRequest, startIndexer, startPostgres, startStack, type PostgresHandle } from "../../node/devnet/index.js";
import { launchChromium } from "../../test/indexer/helpers/browser.js";
import { Driver } from "../../test/indexer/helpers/driver.js";
import { runLoad } from "./http-load.js";

const AUDIT_EVENTS = Number(process.env.BENCH_AUDIT_EVENTS ?? 20_000);
const CONTENTS = 100;
const CONCURRENCY = 50;
/** Each subject runs this long per round: several blocks, so each sees its share of block processing. */
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 4_000);
const ROUNDS = 3;
const LAG_SAMPLES = 20;
const PAINT_SAMPLES = 7;

const log = (...args: unknown[]) => console.log("#", ...args);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const percentile = (sorted: ArrayLike<number>, p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const round2 = (x: number) => Math.round(x * 100) / 100;

const stack = await startStack({ chain: { blockIntervalMs: 1000 }, indexer: false });
let postgres: PostgresHandle | undefined;
try {
  if (process.env.BENCH_DATABASE === "postgres") postgres = await startPostgres({ dir: `${stack.dir}/postgres` });
  const d = await Driver.connect(stack);
  const validators = [1, 2, 3, 4].map((i) => d.account(i));
  for (const [i, v] of validators.entries()) await d.activeValidator(v, d.account(11 + i));
  const publisher = d.account(21);
  const readers = [25, 26, 27, 28].map((i) => d.account(i));
  const ns = await d.createNamespace(d.account(20), "tier", "hierarchy", ["gold", "silver"]);
  const policies = [
    await d.createPolicy(publisher, { mode: "all", requirements: [{ namespace: ns, value: 1 }] }),
    await d.createPolicy(publisher, { mode: "stake", k: 2 }),
    await d.createPolicy(publisher, { mode: "xor", k: 2 }),
    await d.createPolicy(publisher, { mode: "explicit", explicitMembers: validators.slice(0, 2) }),
  ];

  // ---- 1. events produced before the indexer exists
  let t = performance.now();
  const contents: { cid: string; contentId: Hex }[] = [];
  for (let i = 0; i < CONTENTS; i++) {
    const c = await d.registerContent(publisher, policies[i % policies.length]!, validators[i % validators.length]!);
    contents.push({ cid: c.cid.toString(), contentId: c.contentId });
  }
  for (const v of validators) await d.confirmHoldings(v, contents.filter((_, i) => i % 2 === 0).map((c) => c.contentId));
  for (let made = 0; made < AUDIT_EVENTS; made += 500) {
    const v = validators[(made / 500) % validators.length]!;
    await d.recordRewraps(
      v,
      Array.from({ length: 500 }, (_, j) => ({ contentId: contents[(made + j) % CONTENTS]!.contentId, requester: readers[j % readers.length]! })),
    );
  }
  // Push everything past Ponder's 30-block finality window, so all of it is backfill. (One
  // evm_mine per block: hardhat_mine's lazily materialised blocks look like a reorg to Ponder.)
  for (let i = 0; i < 40; i++) await rpcRequest(stack.chain.url, "evm_mine", []);
  const head = await d.blockNumber();
  log(`produced the history in ${Math.round(performance.now() - t)} ms; chain head ${head}`);

  // The JSON-RPC floor: fetching every log of the contracts once, no decoding, no storage.
  t = performance.now();
  let fetched = 0;
  for (const address of Object.values(d.addresses)) {
    const logs = await rpcRequest<unknown[]>(stack.chain.url, "eth_getLogs", [{ address, fromBlock: "0x0", toBlock: toHex(head) }]);
    fetched += logs.length;
  }
  const rpcFloorMs = performance.now() - t;

  t = performance.now();
  const indexer = await startIndexer(stack.chain, stack.deployment, {
    dir: `${stack.dir}/indexer`,
    timeoutMs: 600_000,
    databaseUrl: postgres?.url,
    logLevel: process.env.BENCH_PONDER_LOG_LEVEL === "debug" ? "debug" : "info",
    env: process.env.BENCH_PONDER_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_PONDER_NODE_OPTIONS } : {},
  });
  const startupMs = performance.now() - t;
  const backfill = backfillWindow(indexer.logFile);
  const chainEvents = await indexedEvents(indexer.url);
  // An audit record counts as one event (on chain a batch is one event carrying its records),
  // so the figure measures records indexed per second against the goal (≥ 2,000 events/s).
  const auditBatches = Math.ceil(AUDIT_EVENTS / 500);
  const events = chainEvents - auditBatches + auditBatches * 500;
  const backfillPerS = events / (backfill.ms / 1000);
  log(`backfill: ${events} events (${chainEvents} on chain) in ${backfill.ms} ms (${Math.round(backfillPerS)}/s); whole start incl. boot ${Math.round(startupMs)} ms`);
  log(`JSON-RPC floor: ${fetched} logs fetched in ${Math.round(rpcFloorMs)} ms (${Math.round(fetched / (rpcFloorMs / 1000))}/s)`);

  // ---- 2. latency under concurrency, while every block changes the indexed data
  let writing = process.env.BENCH_NO_WRITER !== "1";
  const writer = (async () => {
    let i = 0;
    while (writing) {
      await d.recordRewraps(validators[i++ % validators.length]!, [{ contentId: contents[i % CONTENTS]!.contentId, requester: readers[0]! }]);
      await new Promise((r) => setTimeout(r, 1000));
    }
  })();
  const auditPath = (i: number) => {
    const c = contents[i % CONTENTS]!;
    switch (i % 4) {
      case 0: return "/audit";
      case 1: return `/audit?cid=${c.cid}&limit=50`;
      case 2: return `/audit?validator=${validators[i % validators.length]}&limit=100`;
      default: return `/audit?requester=${readers[i % readers.length]}&from=0`;
    }
  };
  // What the explorer's views ask for: the trail and its batches, a content's and a validator's
  // pages and the chart, with time ranges rounded to a step as the page rounds them.
  const { block: head0 } = (await (await fetch(`${indexer.url}/head`)).json()) as { block: { timestamp: number } };
  const to = Math.ceil((head0.timestamp + 1) / 60) * 60 - 1;
  const series = `from=${to + 1 - 3600}&to=${to}&buckets=60`;
  const explorerPath = (i: number) => {
    const c = contents[i % CONTENTS]!;
    const v = validators[i % validators.length]!;
    switch (i % 10) {
      case 0: return "/head";
      case 1: return "/audit";
      case 2: return "/audit/batches?limit=8";
      case 3: return `/holders/${c.cid}`;
      case 4: return `/policies/${policies[i % policies.length]}`;
      case 5: return `/audit?cid=${c.contentId}&limit=10`;
      case 6: return `/audit/series?cid=${c.contentId}&${series}`;
      case 7: return `/validators/${v}`;
      case 8: return `/audit?validator=${v}&limit=10`;
      default: return `/audit/series?${series}`;
    }
  };
  const subjects: Record<string, (i: number) => string> = {
    health: () => "/health",
    status: () => "/status",
    holders: (i) => `/holders/${contents[i % CONTENTS]!.cid}`,
    audit: auditPath,
    explorer: explorerPath,
  };
  const results: Record<string, { p50: number[]; p99: number[]; count: number[]; client: number[] }> = {};
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, path] of Object.entries(subjects)) {
      // Paths repeat with period CONTENTS (i % 4 and i % CONTENTS pick them).
      const paths = Array.from({ length: CONTENTS }, (_, i) => path(i));
      const { latencies, clientUtilization } = await runLoad({ base: indexer.url, paths, durationMs: ROUND_MS, concurrency: CONCURRENCY });
      const result = (results[name] ??= { p50: [], p99: [], count: [], client: [] });
      result.p50.push(percentile(latencies, 50));
      result.p99.push(percentile(latencies, 99));
      result.count.push(latencies.length);
      result.client.push(clientUtilization);
    }
  }

  // ---- 3. the explorer's first page in a browser, while blocks keep arriving
  const browser = await launchChromium();
  const paints: number[] = [];
  try {
    for (let i = 0; i < PAINT_SAMPLES; i++) {
      const page = await browser.context.newPage();
      await page.goto(`${indexer.url}/explorer`);
      await page.waitForFunction(() => document.body.dataset.state === "ready" && document.querySelector("#records tbody tr[data-digest]") !== null);
      // performance.now() counts from the navigation's start; the frame after the records were inserted paints them.
      paints.push(await page.evaluate(() => new Promise<number>((resolve) => requestAnimationFrame(() => resolve(performance.now())))));
      await page.close();
    }
  } finally {
    await browser.close();
  }
  log(`explorer: records painted ${Math.round(median(paints))} ms after navigation (median of ${PAINT_SAMPLES}, ${Math.round(Math.min(...paints))}–${Math.round(Math.max(...paints))} ms)`);
  writing = false;
  await writer;
  const walk: number[] = [];
  for (let cursor: string | null = ""; cursor !== null; ) {
    const t0 = performance.now();
    const body = (await (await fetch(`${indexer.url}/audit?limit=50${cursor ? `&cursor=${cursor}` : ""}`)).json()) as { nextCursor: string | null };
    walk.push(performance.now() - t0);
    cursor = body.nextCursor;
  }
  const walkSorted = [...walk].sort((a, b) => a - b);
  log(`walk: ${walk.length} pages of 50 to the oldest record, p50 ${round2(percentile(walkSorted, 50))} ms, p99 ${round2(percentile(walkSorted, 99))} ms, last page ${round2(walk[walk.length - 1]!)} ms`);
  for (const [name, r] of Object.entries(results)) {
    log(`${name}: p50 ${round2(median(r.p50))} ms, p99 ${round2(median(r.p99))} ms (medians of ${ROUNDS} rounds of ${ROUND_MS} ms, ${CONCURRENCY} clients, ${Math.round(median(r.count))} requests/round, client thread busy ${Math.round(100 * median(r.client))} %)`);
  }

  // ---- 4. lag from a mined block to its record on /audit
  const lags: number[] = [];
  const v = validators[0]!;
  for (let i = 0; i < LAG_SAMPLES; i++) {
    await new Promise((r) => setTimeout(r, 150 + Math.random() * 900));
    const digest = keccak256(toHex(`lag-${i}-${Date.now()}`));
    const batchId = await d.read<bigint>("RewrapAuditLog", "nextBatchId", [v]);
    const wallet = (await import("viem")).createWalletClient({ transport: (await import("viem")).http(stack.chain.url), account: v });
    // Automining mines the block before eth_sendTransaction returns: that is "mined".
    await wallet.writeContract({
      chain: null,
      address: d.addresses.RewrapAuditLog,
      abi: rewrapAuditLogAbi,
      functionName: "recordRewraps",
      args: [batchId, encodeAuditRecords([{ contentId: contents[0]!.contentId, requester: readers[1]! as Address, requestDigest: digest, servedAt: 1n }])],
    });
    const mined = performance.now();
    for (;;) {
      const body = (await (await fetch(`${indexer.url}/audit?validator=${v}&limit=1`)).json()) as { records: { requestDigest: string }[] };
      if (body.records[0]?.requestDigest === digest) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    lags.push(performance.now() - mined);
  }
  log(`lag: p50 ${Math.round(median(lags))} ms, max ${Math.round(Math.max(...lags))} ms over ${LAG_SAMPLES} blocks`);

  await indexer.stop();
  console.log(
    JSON.stringify({
      bench: "indexer",
      backfill_events_per_s: Math.round(backfillPerS),
      holders_p50_ms: round2(median(results.holders!.p50)),
      holders_p99_ms: round2(median(results.holders!.p99)),
      audit_p99_ms: round2(median(results.audit!.p99)),
      explorer_api_p99_ms: round2(median(results.explorer!.p99)),
      explorer_first_paint_ms: Math.round(median(paints)),
      audit_records: auditBatches * 500,
      audit_walk_pages: walk.length,
      audit_walk_p99_ms: round2(percentile(walkSorted, 99)),
      lag_ms_p50: Math.round(median(lags)),
      health_p50_ms: round2(median(results.health!.p50)),
      health_p99_ms: round2(median(results.health!.p99)),
      status_p50_ms: round2(median(results.status!.p50)),
      status_p99_ms: round2(median(results.status!.p99)),
      backfill_events: events,
      backfill_chain_events: chainEvents,
      database: postgres ? "postgres" : "pglite",
    }),
  );
} finally {
  await postgres?.stop();
  await stack.stop();
}

/** Ponder's own marks of the backfill in its JSON log. */
function backfillWindow(logFile: string): { ms: number } {
  const lines = fs.readFileSync(logFile, "utf8").split("\n").filter((l) => l.startsWith("{"));
  const at = (msg: string) => {
    const line = lines.find((l) => (JSON.parse(l) as { msg: string }).msg === msg);
    if (!line) throw new Error(`no "${msg}" in ${logFile}`);
    return (JSON.parse(line) as { time: number }).time;
  };
  return { ms: at("Completed backfill indexing across all chains") - at("Started backfill indexing") };
}

/** Events the indexer applied (indexer_state.events, summed over domains), read through GraphQL. */
async function indexedEvents(base: string): Promise<number> {
  const response = await fetch(`${base}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: "{ indexerStates { items { events } } }" }),
  });
  const body = (await response.json()) as { data: { indexerStates: { items: { events: string }[] } } };
  return body.data.indexerStates.items.reduce((sum, row) => sum + Number(row.events), 0);
}
