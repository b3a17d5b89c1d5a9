// The pure checks behind the public query surfaces (no processes): which SQL statements the
// policy lets through (lib/sqlPolicy.ts, over libpg_query's parse trees, as /sql/* parses
// them), what a GraphQL query costs (lib/graphqlCost.ts), and the environment's limits.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parse } from "graphql";
import { ApiError } from "../../indexer/lib/errors.js";
import { graphqlCost, GraphqlRefusal } from "../../indexer/lib/graphqlCost.js";
import { DEFAULT_GRAPHQL_LIMITS, DEFAULT_RATE_PER_SECOND, DEFAULT_SQL_LIMITS, loadPublicLimits, PublicLimitsError } from "../../indexer/lib/publicLimits.js";
import { checkParameters, checkReadStatement, type ParseTree, type Relations } from "../../indexer/lib/sqlPolicy.js";

const relations: Relations = new Map([
  ["validator", { columns: new Set(["node", "status", "stake"]), view: false }],
  ["content", { columns: new Set(["content_id", "policy_id", "header"]), view: false }],
  ["rewrap", { columns: new Set(["content_id", "requester"]), view: true }],
]);

/** A fresh parser per statement: an instance runs out of memory after ~60 KB of text (indexer/src/api/sql.ts). */
async function tree(sql: string): Promise<ParseTree> {
  const parser = await (await import("pg-query-emscripten")).default();
  const result = parser.parse(sql);
  if (result.error) throw new Error("parse error");
  return result.parse_tree as ParseTree;
}

async function verdict(sql: string, params: unknown[] = []): Promise<string> {
  try {
    checkReadStatement(await tree(sql), params, relations, DEFAULT_SQL_LIMITS);
    return "allowed";
  } catch (error) {
    if (error instanceof ApiError) return error.code;
    return "parse error";
  }
}

describe("SQL policy", () => {
  test("reads of one relation: columns, aggregates, comparisons, LIKE, IN, ORDER BY, LIMIT", async () => {
    for (const [sql, params] of [
      ['select "node", "stake" from "validator" where "validator"."status" = $1 order by "stake" desc limit $2', ["active", 10]],
      ["SELECT * FROM validator", []],
      ["SELECT v.* FROM validator v WHERE v.node IN ($1, $2) AND v.stake BETWEEN 1 AND 2.5", ["a", "b"]],
      ["SELECT status, count(*) AS n FROM validator GROUP BY status HAVING count(*) > 1 ORDER BY n DESC", []],
      ["SELECT count(DISTINCT status), max(stake) FILTER (WHERE status = 'active') FROM validator", []],
      ["SELECT content_id FROM content WHERE lower(header) LIKE $1 OR header IS NULL OR policy_id = ANY($2)", ["0xab%", ["1", "2"]]],
      ["SELECT DISTINCT ON (status) node FROM validator ORDER BY status, node LIMIT ALL", []],
      ["SELECT node::text FROM validator WHERE stake > '10'::numeric(78, 0)", []],
      ["SELECT content_id, requester FROM rewrap LIMIT $1 OFFSET $2", [1000, 4000]],
      ["TABLE validator", []],
    ] as [string, unknown[]][]) {
      assert.equal(await verdict(sql, params), "allowed", sql);
    }
  });

  test("not a read, or not bounded: refused", async () => {
    for (const sql of [
      "COMMENT ON TABLE content IS 'x'",
      "INSERT INTO validator (node) VALUES ('x')",
      "WITH d AS (DELETE FROM validator RETURNING *) SELECT * FROM d",
      "SELECT node FROM validator FOR UPDATE",
      "SELECT node INTO t FROM validator",
      "SELECT 1; SELECT 2",
      "SELECT pg_sleep(1)",
      "SELECT node FROM validator WHERE pg_sleep(1) IS NULL",
      "SELECT count(*) FROM validator a, validator b",
      "SELECT node FROM validator UNION ALL SELECT node FROM validator",
      "SELECT node FROM validator WHERE node IN (SELECT content_id FROM content)",
      "SELECT * FROM pg_class",
      "SELECT * FROM public.validator",
      "SELECT v.row_to_json FROM validator v",
      "SELECT validator FROM validator",
      "SELECT stake + 1 FROM validator",
      "SELECT node FROM validator WHERE stake * stake > 0",
      "SELECT node FROM validator WHERE node ~ 'a'",
      "SELECT node FROM validator WHERE node SIMILAR TO 'a'",
      "SELECT sum(stake::numeric) FROM validator",
      "SELECT rank() OVER (ORDER BY stake) FROM validator",
      "SELECT node FROM validator ORDER BY stake + 0",
      "SELECT node FROM validator ORDER BY node USING <",
      "SELECT status FROM validator GROUP BY CUBE (status, node)",
      "SELECT node FROM validator WHERE stake > 9e131071",
      `SELECT node FROM validator WHERE node = '${"x".repeat(200)}'`,
      "SELECT node FROM validator WHERE node::regclass IS NULL",
      "SELECT node FROM validator WHERE node OPERATOR(pg_catalog.=) 'x'",
      "SELECT * FROM rewrap",
      "SELECT * FROM rewrap WHERE requester = 'x' LIMIT 10",
      "SELECT count(*) FROM rewrap LIMIT 10",
      "SELECT * FROM rewrap LIMIT 4000 OFFSET 2000",
      "SELECT * FROM rewrap ORDER BY requester LIMIT 10",
      "VALUES (1)",
    ]) {
      assert.equal(await verdict(sql), "sql_not_allowed", sql);
    }
  });

  test("parameters: small scalars or short arrays of them", () => {
    assert.deepEqual(checkParameters([1, "a", null, true, 5n, new Date(0), ["x", "y"]], DEFAULT_SQL_LIMITS).length, 7);
    for (const params of [["x".repeat(129)], [{ a: 1 }], [[["nested"]]], Array.from({ length: 1001 }, () => 1), "not an array"]) {
      assert.throws(() => checkParameters(params, DEFAULT_SQL_LIMITS), (e: ApiError) => e.code === "sql_not_allowed");
    }
  });
});

describe("GraphQL cost", () => {
  const views = new Set(["rewraps"]);
  const cost = (query: string, variables: Record<string, unknown> = {}) => graphqlCost(parse(query), variables, views, DEFAULT_GRAPHQL_LIMITS);
  const refusal = (query: string, variables: Record<string, unknown> = {}) => {
    try {
      cost(query, variables);
      return "allowed";
    } catch (error) {
      assert.ok(error instanceof GraphqlRefusal);
      return error.code;
    }
  };

  test("lists count limit + offset rows per parent, and one statement per parent", () => {
    assert.deepEqual(cost("{ contents(limit: 1000) { items { contentId policyId } } }"), { depth: 3, rows: 1000, statements: 1 });
    assert.deepEqual(cost("{ _meta { status } }"), { depth: 2, rows: 1, statements: 1 });
    assert.deepEqual(cost("{ policys(limit: 10) { items { contents(limit: 20, offset: 5) { items { contentId policy { id } } } } } }"), {
      depth: 6,
      rows: 10 + 10 * 25 + 200,
      statements: 1 + 10 + 1,
    });
    assert.equal(cost("query($n: Int = 7) { contents(limit: $n) { totalCount items { contentId } } }").statements, 2);
  });

  test("too deep, too many rows or statements, large limits and offsets, filtered views: refused", () => {
    const fanOut = '{ policy(id: "1") { contents { items { policy { contents { items { policy { contents { items { contentId } } } } } } } } } }';
    assert.equal(refusal(fanOut), "QUERY_TOO_DEEP");
    assert.equal(refusal("{ policys(limit: 100) { items { contents(limit: 100) { items { contentId } } } } }"), "QUERY_TOO_COMPLEX");
    assert.equal(refusal("{ policys(limit: 100) { items { versions(limit: 1) { items { version } } } } }"), "QUERY_TOO_COMPLEX", "101 statements");
    assert.equal(refusal("query { ...F } fragment F on Query { a: contents(limit: 1000) { items { contentId } } b: contents(limit: 1000) { items { contentId } } c: contents(limit: 1000) { items { contentId } } d: contents(limit: 1000) { items { contentId } } e: contents(limit: 1000) { items { contentId } } f: contents(limit: 1000) { items { contentId } } }"), "QUERY_TOO_COMPLEX");
    assert.equal(refusal("query($n: Int) { contents(limit: $n) { items { contentId } } }", { n: 1001 }), "LIMIT_TOO_LARGE");
    assert.equal(refusal("{ contents(offset: 10001) { items { contentId } } }"), "INVALID_OFFSET");
    assert.equal(refusal("{ contents(offset: -1) { items { contentId } } }"), "INVALID_OFFSET");
    assert.equal(refusal('{ rewraps(where: { requester: "0x" }) { items { contentId } } }'), "VIEW_PAGED_ONLY");
    assert.equal(refusal("{ rewraps { totalCount } }"), "VIEW_PAGED_ONLY");
    assert.equal(refusal("{ rewraps(limit: 1000, offset: 4001) { items { contentId } } }"), "VIEW_PAGED_ONLY");
    assert.equal(refusal("mutation { x }"), "OPERATION_NOT_ALLOWED");
    assert.equal(refusal("query Q { ...Q } fragment Q on Query { ...Q }"), "allowed", "cycles are GraphQL validation's to refuse");
  });
});

describe("limits from the environment", () => {
  test("defaults, overrides, and refusals of malformed values", () => {
    assert.deepEqual(loadPublicLimits({}).sql, DEFAULT_SQL_LIMITS);
    const limits = loadPublicLimits({ DEKMESH_PUBLIC_SQL: "off", DEKMESH_SQL_MAX_COST: "100000", DEKMESH_SQL_TIMEOUT_MS: "500", DEKMESH_SQL_MAX_LIVE: "4" });
    assert.deepEqual([limits.sql.enabled, limits.sql.maxCost, limits.sql.timeoutMs, limits.sql.maxLive], [false, 100_000, 500, 4]);
    assert.equal(loadPublicLimits({}).ratePerSecond, DEFAULT_RATE_PER_SECOND);
    assert.equal(loadPublicLimits({ DEKMESH_PUBLIC_RATE: "0" }).ratePerSecond, 0, "0 turns the rate off");
    assert.equal(loadPublicLimits({ DEKMESH_PUBLIC_RATE: "500" }).ratePerSecond, 500);
    for (const env of [{ DEKMESH_PUBLIC_SQL: "no" }, { DEKMESH_SQL_MAX_COST: "0" }, { DEKMESH_SQL_TIMEOUT_MS: "1e3" }, { DEKMESH_PUBLIC_RATE: "-1" }, { DEKMESH_PUBLIC_RATE: "ten" }]) {
      assert.throws(() => loadPublicLimits(env), PublicLimitsError);
    }
  });
});
