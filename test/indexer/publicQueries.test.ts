// The indexer's public query surfaces (SQL over HTTP, GraphQL) against a real Hardhat chain
// and real Ponder processes (PGlite, and Postgres where its binaries are installed), held to
// what issue #22 found an unauthenticated caller could do:
// - stall: a 13-way cross join over /sql/db and a legal GraphQL fan-out ran for seconds on
//   PGlite's one thread, and the REST reads validators make timed out meanwhile;
// - write: `COMMENT ON` ran through /sql/db (PGlite's handle is the read-write one);
// - leak: every refused /sql/live request kept one of Ponder's live-query slots;
// - errors: GraphQL answered with internal messages, REST repeated the caller's input;
// - rate: a client looping on cheap refusals spent the indexer's thread as fast as it could send.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import superjson from "superjson";
import { findPostgresBinaries, startIndexer, startPostgres, startStack, type IndexerHandle, type PostgresHandle, type Stack } from "../../node/devnet/index.js";
import { get, post, synced } from "./helpers/api.js";
import { Driver } from "./helpers/driver.js";
import { setUpTraffic, trafficRound, type TrafficWorld } from "./helpers/traffic.js";

/** How long a validator's REST read may take while the public surfaces are under attack. */
const READ_DEADLINE_MS = 1_000;
/** Ponder 0.16.10's live-query cap (ponder/src/client/index.ts), and ours. */
const PONDER_MAX_LIVE = 1_000;
const MAX_LIVE = 32;

let stack: Stack;
let d: Driver;
let w: TrafficWorld;
let url: string;
let postgres: PostgresHandle | undefined;
let onPostgres: IndexerHandle | undefined;
/** An indexer with a low per-client rate, following the same chain. */
let rated: IndexerHandle | undefined;
const RATE = 10;
const bin = findPostgresBinaries();

before(async () => {
  // The tests below send more public queries than one client may (the live-slot test alone
  // sends 1,001 at once): the main indexer runs without a per-client rate, so what they show
  // holds without it; the rate has its own indexer and test.
  stack = await startStack({ chain: { blockIntervalMs: 1000 }, indexer: { env: { DEKMESH_PUBLIC_RATE: "0" } } });
  url = stack.indexer!.url;
  d = await Driver.connect(stack);
  // Four validators: a 13-way cross join of them is 4^13 = 67 million rows.
  w = await setUpTraffic(d, { validators: 4 });
  for (let i = 0; i < 12; i++) w.contents.push((await d.registerContent(w.publisher, w.policies[0]!, w.validators[i % 4]!)).contentId);
  for (let round = 0; round < 3; round++) await trafficRound(d, w, round);
  await synced(d);
  if (bin) {
    postgres = await startPostgres({ dir: path.join(stack.dir, "pg") });
    onPostgres = await startIndexer(stack.chain, stack.deployment, { dir: path.join(stack.dir, "pg-indexer"), databaseUrl: postgres.url });
  }
});

after(async () => {
  await rated?.stop();
  await onPostgres?.stop();
  await postgres?.stop();
  await stack?.stop();
});

/** @ponder/client's wire format: the compiled query as superjson in `sql`. */
const sqlPath = (endpoint: "db" | "live", sql: string, params: unknown[] = []) =>
  `/sql/${endpoint}?sql=${encodeURIComponent(superjson.stringify({ sql, params }))}`;

async function sqlDb(base: string, sql: string, params: unknown[] = []): Promise<{ status: number; body: any; ms: number }> {
  const started = performance.now();
  // Long enough for what an unprotected indexer would run (the 13-way join: seconds each).
  const response = await fetch(base + sqlPath("db", sql, params), { signal: AbortSignal.timeout(120_000) });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Ponder's own refusals are text.
  }
  return { status: response.status, body, ms: performance.now() - started };
}

async function graphql(base: string, query: string, variables: Record<string, unknown> = {}): Promise<{ status: number; body: any; ms: number }> {
  const started = performance.now();
  const response = await fetch(`${base}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(60_000),
  });
  return { status: response.status, body: await response.json(), ms: performance.now() - started };
}

/** Opens a live query; resolves with its status once the headers are in (the stream stays open until `close`). */
async function openLive(sql: string): Promise<{ status: number; text?: string; close: () => void }> {
  const abort = new AbortController();
  const response = await fetch(url + sqlPath("live", sql), { signal: abort.signal });
  if (response.headers.get("content-type")?.startsWith("text/event-stream")) return { status: response.status, close: () => abort.abort() };
  return { status: response.status, text: await response.text(), close: () => abort.abort() };
}

const thirteenWayJoin = `SELECT count(*) FROM ${Array.from({ length: 13 }, (_, i) => `validator v${i}`).join(", ")}`;
const deepFanOut = (policyId: bigint) =>
  `{ policy(id: "${policyId}") { contents { items { policy { contents { items { policy { contents { items { policy { contents { items { contentId } } } } } } } } } } } } }`;

describe("stall: public queries cannot starve the validators' REST reads", () => {
  test("a 13-way cross join and a deep GraphQL fan-out are refused up front; reads stay under 1 s throughout", async () => {
    const cids = w.contents.slice(0, 6);
    const reads: { path: string; ms: number; status: number }[] = [];
    let attacking = true;
    const reader = (async () => {
      for (let i = 0; attacking; i++) {
        const cid = cids[i % cids.length]!;
        const path = i % 2 ? `/holders/${cid}` : `/access/${cid}/${w.readers[i % w.readers.length]}`;
        const started = performance.now();
        const { status } = await get(url, path).catch(() => ({ status: 0 }));
        reads.push({ path, ms: performance.now() - started, status });
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();
    // A validator's bulk policy lookup (node/indexer-client/policy-lookup.ts) during the attack.
    const lookups: number[] = [];
    const lookup = (async () => {
      while (attacking) {
        const started = performance.now();
        const r = await post(url, "/contents/policies", { contentIds: cids }).catch(() => undefined);
        // A failed lookup counts as never answering.
        lookups.push(r?.body.contents?.length === cids.length ? performance.now() - started : Number.POSITIVE_INFINITY);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 300));

    const outcomes: string[] = [];
    const attack = async () => {
      const join = await sqlDb(url, thirteenWayJoin);
      outcomes.push(`join ${join.status} ${join.body?.error?.code ?? ""}`);
      const deep = await graphql(url, deepFanOut(w.policies[0]!));
      outcomes.push(`fan-out ${deep.body.errors?.[0]?.extensions?.code ?? "answered"}`);
      // The largest reads the limits let through, back to back.
      const wide = await sqlDb(url, "SELECT * FROM content");
      outcomes.push(`wide sql ${wide.status}`);
      const legal = await graphql(url, "{ policys(limit: 50) { items { id contents(limit: 50) { items { contentId policyId } } } } }");
      outcomes.push(`legal graphql ${legal.body.errors?.[0]?.extensions?.code ?? "answered"}`);
    };
    const attacker = async () => {
      const until = Date.now() + 3_000;
      while (Date.now() < until) await attack().catch((error: Error) => outcomes.push(`failed: ${error.message}`));
    };
    await Promise.all([attacker(), attacker(), attacker(), attacker()]);
    attacking = false;
    await Promise.all([reader, lookup]);

    const slowest = reads.reduce((a, b) => (b.ms > a.ms ? b : a));
    console.log(`stall: ${reads.length} REST reads, slowest ${slowest.ms.toFixed(0)} ms; ${lookups.length} policy lookups, slowest ${Math.max(...lookups).toFixed(0)} ms`);
    assert.ok(reads.every((r) => r.status === 200), JSON.stringify(reads.filter((r) => r.status !== 200)));
    assert.ok(slowest.ms < READ_DEADLINE_MS, `${slowest.path} took ${slowest.ms.toFixed(0)} ms`);
    assert.ok(Math.max(...lookups) < READ_DEADLINE_MS, `a policy lookup took ${Math.max(...lookups).toFixed(0)} ms`);
    assert.ok(reads.length > 20, `only ${reads.length} reads`);
    assert.ok(outcomes.includes("join 400 sql_not_allowed"), outcomes.join("\n"));
    assert.ok(outcomes.every((o) => !o.startsWith("join") || o === "join 400 sql_not_allowed"), outcomes.join("\n"));
    assert.ok(outcomes.every((o) => !o.startsWith("fan-out") || o === "fan-out QUERY_TOO_DEEP"), outcomes.join("\n"));
    assert.ok(outcomes.some((o) => o === "wide sql 200") && outcomes.some((o) => o === "legal graphql answered"), "the legal queries still answer");
  });

  test("SQL limits: joins, subqueries, system tables, arithmetic and unbounded view reads are refused; plain reads answer", async () => {
    const refused: [string, unknown[]?][] = [
      ["SELECT count(*) FROM validator a, validator b"],
      ["SELECT count(*) FROM validator a JOIN content c ON true"],
      ["SELECT node FROM validator WHERE node IN (SELECT publisher FROM content)"],
      ["SELECT * FROM (SELECT * FROM content) c"],
      ["SELECT node FROM validator UNION SELECT publisher FROM content"],
      ["WITH c AS (SELECT * FROM content) SELECT * FROM c"],
      ["SELECT * FROM pg_stat_activity"],
      ["SELECT * FROM _ponder_meta"],
      ["SELECT stake * stake FROM validator"],
      ["SELECT node FROM validator WHERE node ~ '(a+)+$'"],
      ["SELECT row_number() OVER () FROM content"],
      ["SELECT v.row_to_json FROM validator v"],
      ["SELECT * FROM rewrap"],
      ["SELECT * FROM rewrap WHERE requester = $1", [w.readers[0]]],
      ["SELECT count(*) FROM rewrap"],
      ["SELECT * FROM rewrap LIMIT 5001"],
      ["SELECT node FROM validator WHERE node = $1", ["x".repeat(200)]],
      ["SELECT node FROM validator WHERE stake > 9e131071"],
    ];
    for (const [sql, params] of refused) {
      const r = await sqlDb(url, sql, params);
      assert.equal(r.status, 400, `${sql}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.code, "sql_not_allowed", sql);
    }
    const ok = await sqlDb(url, 'SELECT "node", "stake" FROM "validator" WHERE "validator"."status" = $1 ORDER BY "stake" DESC LIMIT $2', ["active", 10]);
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.rows.length, 4);
    const page = await sqlDb(url, "SELECT * FROM rewrap LIMIT $1 OFFSET $2", [1000, 0]);
    assert.equal(page.status, 200, JSON.stringify(page.body));
    assert.ok(page.body.rows.length > 0);
  });

  test("GraphQL limits: depth, rows and statements, offsets, view filters; the validators' queries pass", async () => {
    const refusals: [string, string][] = [
      [deepFanOut(w.policies[0]!), "QUERY_TOO_DEEP"],
      ["{ policys(limit: 1000) { items { contents(limit: 1000) { items { contentId } } } } }", "QUERY_TOO_COMPLEX"],
      ["{ a: contents(limit: 1000) { items { contentId } } b: contents(limit: 1000) { items { contentId } } c: contents(limit: 1000) { items { contentId } } d: contents(limit: 1000) { items { contentId } } e: contents(limit: 1000) { items { contentId } } f: contents(limit: 1000) { items { contentId } } }", "QUERY_TOO_COMPLEX"],
      ["query { ...F } fragment F on Query { policys(limit: 100) { items { contents(limit: 100) { items { contentId } } } } }", "QUERY_TOO_COMPLEX"],
      ["query($o: Int = 50000) { contents(offset: $o) { items { contentId } } }", "INVALID_OFFSET"],
      ["{ contents(limit: 5000) { items { contentId } } }", "LIMIT_TOO_LARGE"],
      [`{ rewraps(where: { requester: "${w.readers[0]}" }) { items { contentId } } }`, "VIEW_PAGED_ONLY"],
      ["{ rewraps { totalCount } }", "VIEW_PAGED_ONLY"],
      ['mutation { x }', "OPERATION_NOT_ALLOWED"],
    ];
    for (const [query, code] of refusals) {
      const r = await graphql(url, query);
      assert.equal(r.body.errors?.[0]?.extensions?.code, code, `${query}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.data, undefined);
    }
    assert.ok((await graphql(url, "query { _meta { status } }")).body.data._meta.status);
    const lookup = await graphql(url, "query($ids: [String!]) { contents(where: { contentId_in: $ids }, limit: 1000) { items { contentId policyId } } }", { ids: w.contents });
    assert.equal(lookup.body.data.contents.items.length, w.contents.length);
    const nested = await graphql(url, "{ policys(limit: 50) { items { id contents(limit: 50) { items { contentId } } } } }");
    assert.equal(nested.body.errors, undefined);
    assert.equal((await graphql(url, "{ rewraps(limit: 500, offset: 1) { items { contentId } } }")).body.errors, undefined);
  });
});

/** Writes, DDL, functions with side effects, locks, several statements: none may run. */
const WRITES = [
  "COMMENT ON TABLE content IS 'pwned'",
  "INSERT INTO validator (node) VALUES ('0x00')",
  "UPDATE validator SET status = 'jailed'",
  "DELETE FROM validator",
  "CREATE TABLE pwned (x int)",
  "DROP TABLE content",
  "ALTER TABLE content ADD COLUMN pwned int",
  "TRUNCATE content",
  "SET statement_timeout = 0",
  "RESET ALL",
  "COPY content TO STDOUT",
  "COPY content FROM '/etc/passwd'",
  "SELECT pg_sleep(2)",
  "SELECT pg_sleep(2) FROM validator",
  "SELECT set_config('search_path', 'pwned', false)",
  "SELECT nextval('pwned')",
  "SELECT lo_import('/etc/passwd')",
  "SELECT pg_advisory_lock(1)",
  "SELECT pg_notify('ch', 'x')",
  "SELECT * FROM dblink('dbname=postgres', 'DELETE FROM validator') AS t(x text)",
  "SELECT node FROM validator FOR UPDATE",
  "SELECT node FROM validator FOR SHARE",
  "WITH d AS (DELETE FROM validator RETURNING *) SELECT * FROM d",
  "WITH x AS (SELECT node FROM validator) INSERT INTO validator SELECT * FROM x",
  "SELECT node INTO pwned FROM validator",
  "SELECT 1; DELETE FROM validator",
  "SELECT node FROM validator; COMMENT ON TABLE content IS 'pwned'",
  "LOCK TABLE content",
  "VACUUM content",
  "ANALYZE content",
  "NOTIFY ch",
  "LISTEN ch",
  "DO $$ BEGIN DELETE FROM validator; END $$",
  "PREPARE p AS DELETE FROM validator",
  "EXPLAIN ANALYZE DELETE FROM validator",
  "BEGIN",
  "DISCARD ALL",
  "REFRESH MATERIALIZED VIEW rewrap",
  "GRANT ALL ON content TO PUBLIC",
];

describe("read-only: SQL over HTTP refuses every statement that is not a read", () => {
  const databases = [
    { name: "PGlite", base: () => url, skip: false as const },
    { name: "Postgres", base: () => onPostgres!.url, skip: bin ? (false as const) : "no PostgreSQL server binaries on this machine" },
  ];
  for (const db of databases) {
    test(`${db.name}: writes, DDL, side-effect functions, locking clauses and multiple statements → 400, nothing changes`, { skip: db.skip }, async () => {
      const count = async () => (await sqlDb(db.base(), "SELECT count(*) FROM validator")).body.rows[0].count;
      const before = await count();
      for (const sql of WRITES) {
        const r = await sqlDb(db.base(), sql);
        assert.equal(r.status, 400, `${sql} → ${r.status} ${JSON.stringify(r.body)}`);
        assert.match(r.body.error.code, /^(sql_not_allowed|invalid_sql)$/, sql);
        assert.ok(r.ms < 1_500, `${sql} was not run (pg_sleep)`);
      }
      assert.equal(await count(), before);
      assert.equal((await sqlDb(db.base(), "SELECT content_id FROM content LIMIT 1")).status, 200, "content is still there");
      if (db.name === "Postgres") {
        // Straight from the database: the table has no comment.
        const comment = execFileSync("psql", [postgres!.url, "-At", "-c", "SELECT coalesce(obj_description('public.content'::regclass, 'pg_class'), 'none')"], { encoding: "utf8" });
        assert.equal(comment.trim(), "none");
      }
    });
  }
});

describe("live queries: a refused request takes no slot", () => {
  test(`${PONDER_MAX_LIVE + 1} refused /sql/live requests, then a valid live query is served; ${MAX_LIVE} open at most, closed ones free theirs`, async () => {
    // Requests Ponder's own handler refuses too (after taking a slot): its leak, not a stall.
    const refusals = [
      "/sql/live",
      "/sql/live?sql=not-superjson",
      sqlPath("live", "not sql at all"),
      sqlPath("live", "DELETE FROM validator"),
      sqlPath("live", "SELECT nope FROM validator"),
    ];
    for (let sent = 0; sent < PONDER_MAX_LIVE + 1; sent += 50) {
      await Promise.all(
        Array.from({ length: 50 }, async (_, i) => {
          const r = await get(url, refusals[(sent + i) % refusals.length]!);
          assert.ok(r.status >= 400, JSON.stringify(r.body));
        }),
      );
    }
    const first = await openLive("SELECT node, status FROM validator");
    assert.equal(first.status, 200, first.text);
    first.close();

    const open = [];
    for (let i = 0; i < MAX_LIVE; i++) {
      const live = await openLive(`SELECT node FROM validator LIMIT ${i + 1}`);
      assert.equal(live.status, 200, live.text);
      open.push(live);
    }
    const over = await openLive("SELECT node FROM validator LIMIT 100");
    assert.equal(over.status, 503);
    assert.equal(JSON.parse(over.text!).error.code, "busy");
    for (const live of open) live.close();
    let again: Awaited<ReturnType<typeof openLive>> | undefined;
    for (let t = 0; t < 50 && again?.status !== 200; t++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      again = await openLive("SELECT node FROM validator LIMIT 101");
      if (again.status !== 200) again.close();
    }
    assert.equal(again?.status, 200, "closing streams gave their slots back");
    again!.close();
  });
});

describe("errors: codes and fixed messages", () => {
  test("GraphQL: no internal message, no echo of the query; locations still point into it", async () => {
    const cases: [string, string, Record<string, unknown>?][] = [
      ['{ contents(before: "eyJ4IjoxfQ") { items { contentId } } }', "QUERY_FAILED"],
      ['{ contents(orderBy: "pwned_column") { items { contentId } } }', "QUERY_FAILED"],
      ["{ contents(offset: -1) { items { contentId } } }", "INVALID_OFFSET"],
      ["{ pwnedField { x } }", "GRAPHQL_VALIDATION_FAILED"],
      ["{ contents(where: { policyId: 1 }) { items { contentId } } }", "GRAPHQL_VALIDATION_FAILED"],
      ["{ contents( ", "GRAPHQL_PARSE_FAILED"],
      ["query($n: Int) { contents(limit: $n) { items { contentId } } }", "BAD_USER_INPUT", { n: "pwned-value" }],
    ];
    for (const [query, code, variables] of cases) {
      const r = await graphql(url, query, variables);
      const text = JSON.stringify(r.body);
      assert.equal(r.body.errors?.[0]?.extensions?.code, code, `${query}: ${text}`);
      const messages = r.body.errors.map((e: { message: string }) => e.message).join("\n");
      assert.doesNotMatch(messages, /Cannot read|undefined|pwned|JSON|OFFSET must|Unknown column|Expected value|Int cannot/, query);
      assert.ok(!text.includes("pwned"), text);
    }
    const located = await graphql(url, "{\n  pwnedField { x } }");
    assert.deepEqual(located.body.errors[0].locations, [{ line: 2, column: 3 }]);
    const bad = await fetch(`${url}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body: "pwned{" });
    const badBody = await bad.text();
    assert.equal(JSON.parse(badBody).errors[0].extensions.code, "BAD_REQUEST");
    assert.doesNotMatch(badBody, /pwned|Unexpected token/);
  });

  test("REST and SQL: refusals never repeat the caller's input or the database's words", async () => {
    const marker = "pwnedmarker";
    const cases: [string, number, string][] = [
      [`/holders/${marker}<script>`, 400, "invalid_cid"],
      [`/holders/${w.contents[0]}?${marker}=1`, 400, "unknown_parameter"],
      [`/access/${marker}/0x${"11".repeat(20)}`, 400, "invalid_cid"],
      [`/policies/987654321`, 404, "policy_not_found"],
      [`/holders/0x${"ab".repeat(32)}`, 404, "content_not_found"],
      [`/${marker}`, 404, "not_found"],
      [`/sql/${marker}`, 404, "not_found"],
      [sqlPath("db", `SELECT ${marker} FROM validator`), 400, "sql_not_allowed"],
      [sqlPath("db", `SELECT node FROM validator WHERE node = $1::int`, [marker]), 400, "sql_failed"],
      [`/sql/db?sql=${marker}`, 400, "invalid_sql"],
    ];
    for (const [path, status, code] of cases) {
      const r = await get(url, path);
      const text = JSON.stringify(r.body);
      assert.equal(r.status, status, `${path}: ${text}`);
      assert.equal(r.body.error.code, code, path);
      assert.ok(!text.includes(marker) && !text.includes("987654321") && !text.includes("abababab"), `${path} echoed: ${text}`);
      assert.doesNotMatch(text, /invalid input syntax|does not exist|occurred in/, path);
    }
  });
});

/** POST /graphql from a given local address: another client as the indexer sees it. */
async function graphqlFrom(base: string, localAddress: string, query: string): Promise<{ status: number; body: any; ms: number }> {
  const started = performance.now();
  const r = await post(base, "/graphql", { query }, { localAddress });
  return { ...r, ms: performance.now() - started };
}

describe("rate: a client over its public query rate is slowed and refused; other clients and REST reads are not", () => {
  test(`${RATE}/s per client address over GraphQL and SQL together; a refusal waits for the client's next second`, async () => {
    rated = await startIndexer(stack.chain, stack.deployment, { dir: path.join(stack.dir, "rated-indexer"), env: { DEKMESH_PUBLIC_RATE: String(RATE) } });
    const base = rated.url;
    const query = "{ validators(limit: 5) { items { node } } }";
    const seconds = 2;
    const answers: { status: number; code: string; ms: number }[] = [];
    const until = Date.now() + seconds * 1_000;
    // Four loops from 127.0.0.1, each sending its next query when the last is answered.
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (Date.now() < until) {
          const r = await graphqlFrom(base, "127.0.0.1", query);
          answers.push({ status: r.status, code: r.body.errors?.[0]?.extensions?.code ?? "answered", ms: r.ms });
        }
      }),
    );
    const answered = answers.filter((a) => a.code === "answered").length;
    const refused = answers.filter((a) => a.status === 429 && a.code === "RATE_LIMITED");
    console.log(`rate: ${answers.length} requests in ${seconds} s: ${answered} answered, ${refused.length} refused`);
    assert.equal(answered + refused.length, answers.length, JSON.stringify(answers.filter((a) => a.code !== "answered" && a.status !== 429)));
    assert.ok(answered <= RATE * (seconds + 1), `${answered} answered`);
    assert.ok(refused.length > 0);
    // Without the hold, four loops of cheap refusals send thousands of requests in 2 s.
    assert.ok(answers.length <= 4 * (RATE + 4) * (seconds + 1), `${answers.length} requests: the refusals did not slow the client`);

    // The same address over SQL: the count is shared.
    const sql = await sqlDb(base, "SELECT node FROM validator LIMIT 1");
    assert.ok(sql.status === 429 ? sql.body.error.code === "rate_limited" : sql.status === 200, JSON.stringify(sql.body));
    // Another address, and REST reads, are not limited meanwhile.
    const other = await graphqlFrom(base, "127.0.0.2", query);
    assert.equal(other.status, 200);
    assert.ok(Array.isArray(other.body.data.validators.items));
    const rest = await get(base, `/holders/${w.contents[0]}`);
    assert.equal(rest.status, 200);
  });
});
