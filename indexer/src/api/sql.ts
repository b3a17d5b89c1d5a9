// /sql/db and /sql/live (@ponder/client's SQL over HTTP), held to the limits of public queries.
//
// Ponder 0.16.10's client() middleware runs what its parser allows on the API's read handle:
// on PGlite that is the read-write instance, on one thread with no statement timeout (PGlite
// ignores `statement_timeout`: it has no timer to interrupt a statement), so `COMMENT ON` was
// executed and a cross join stalled every REST read for seconds; and /sql/live takes a
// live-query slot before it checks the request, so each refused request leaked one of its
// 1,000 until every live query was refused. Here every statement is checked before Ponder sees
// it: one bounded read of one relation (lib/sqlPolicy.ts), a planner estimate under
// `maxCost`, one public query at a time (gate.ts). /sql/db then runs it here — on Postgres in a
// READ ONLY transaction with `SET LOCAL statement_timeout` — and /sql/live hands a statement
// that has just run to Ponder's handler, which keeps the subscription, within our own cap.
import { db } from "ponder:api";
import schema from "ponder:schema";
import { getTableName, getViewName, isTable, isView, sql } from "drizzle-orm";
import type { Context, MiddlewareHandler, Next } from "hono";
import superjson from "superjson";
import { ApiError } from "../../lib/errors.js";
import type { SqlLimits } from "../../lib/publicLimits.js";
import { checkParameters, checkReadStatement, type ParseTree, type Relations } from "../../lib/sqlPolicy.js";
import type { QueryGate } from "./gate.js";
import { errorResponse } from "./http.js";

/** What @ponder/client sends: drizzle's compiled query. */
interface ClientQuery {
  sql: string;
  params: unknown[];
  typings?: unknown[];
}

/** The parts of Ponder's database object (globalThis.PONDER_DATABASE) used here. */
interface PonderDatabase {
  driver: { dialect: "pglite" | "postgres" };
  readonlyQB: { raw: DrizzleDb };
}
interface DrizzleDb {
  _: { session: { prepareQuery(query: ClientQuery, fields: undefined, name: undefined, arrayMode: false): { execute(): Promise<QueryResult> } } };
  transaction<T>(run: (tx: DrizzleDb & { execute(q: unknown): Promise<unknown> }) => Promise<T>, config: { accessMode: "read only" }): Promise<T>;
}
interface QueryResult {
  rows: Record<string, unknown>[];
}

declare global {
  var PONDER_DATABASE: PonderDatabase | undefined;
}

const TYPINGS = new Set(["none", "json", "decimal", "time", "timestamp", "uuid", "date"]);
/** Postgres' query_canceled: the statement timeout fired. */
const QUERY_CANCELED = "57014";

const invalid = () => new ApiError(400, "invalid_sql", 'expected a "sql" parameter with a query compiled by @ponder/client');
const tooExpensive = () => new ApiError(400, "sql_too_expensive", "the statement may cost more than the indexer allows a public query");

/** Decodes the `sql` parameter (the statement itself is checked by `checkStatement`). */
function decodeQuery(c: Context, limits: SqlLimits): ClientQuery {
  const text = c.req.query("sql");
  if (text === undefined || text.length > 4 * limits.maxTextLength + 64 * limits.maxParams) throw invalid();
  let decoded: unknown;
  try {
    decoded = superjson.parse(text);
  } catch {
    throw invalid();
  }
  const q = decoded as Partial<ClientQuery> | null;
  if (typeof q !== "object" || q === null || typeof q.sql !== "string" || q.sql.length > limits.maxTextLength) throw invalid();
  if (q.typings !== undefined && (!Array.isArray(q.typings) || !q.typings.every((t) => t === undefined || TYPINGS.has(t as string)))) {
    throw invalid();
  }
  const params = checkParameters(q.params, limits);
  return { sql: q.sql, params, ...(q.typings ? { typings: q.typings } : {}) };
}

/** Refuses a statement that is not a bounded read of one of the indexer's relations (lib/sqlPolicy.ts). */
async function checkStatement(q: ClientQuery, limits: SqlLimits): Promise<void> {
  let tree: ParseTree;
  try {
    tree = await parse(q.sql);
  } catch {
    throw invalid();
  }
  checkReadStatement(tree, q.params, await relations(), limits);
}

/**
 * libpg_query compiled to WebAssembly (the parser Ponder's own check uses) never frees what a
 * parse allocated: an instance aborts ("FATAL", and takes the process with it) after about
 * 60 KB of SQL text. Each instance parses at most PARSER_BUDGET characters, a third of that.
 */
const PARSER_BUDGET = 20_000;
type PgQuery = Awaited<ReturnType<(typeof import("pg-query-emscripten"))["default"]>>;
let parser: { instance: Promise<PgQuery>; left: number } | undefined;

async function parse(text: string): Promise<ParseTree> {
  let current = parser;
  if (!current || current.left < text.length) {
    current = parser = { instance: import("pg-query-emscripten").then((m) => m.default()), left: PARSER_BUDGET };
  }
  current.left -= text.length;
  const result = (await current.instance).parse(text);
  if (result.error) throw result.error;
  return result.parse_tree as ParseTree;
}

let known: Promise<Relations> | undefined;
/** The schema's tables and views with their columns, as the database names them. */
function relations(): Promise<Relations> {
  known ??= (async () => {
    const views = new Map<string, boolean>();
    for (const v of Object.values(schema)) {
      if (isTable(v)) views.set(getTableName(v), false);
      else if (isView(v)) views.set(getViewName(v), true);
    }
    const namespace = globalThis.PONDER_NAMESPACE_BUILD?.schema ?? "public";
    const result = (await db.execute(
      sql`SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = ${namespace}`,
    )) as unknown as { rows: { table_name: string; column_name: string }[] };
    const out = new Map<string, { columns: Set<string>; view: boolean }>();
    for (const { table_name, column_name } of result.rows) {
      const view = views.get(table_name);
      if (view === undefined) continue;
      if (!out.has(table_name)) out.set(table_name, { columns: new Set(), view });
      out.get(table_name)!.columns.add(column_name);
    }
    return out;
  })().catch((error) => {
    known = undefined;
    throw error;
  });
  return known;
}

function database(): PonderDatabase {
  if (!globalThis.PONDER_DATABASE) throw new Error("the SQL endpoints run inside Ponder only");
  return globalThis.PONDER_DATABASE;
}

interface PlanNode {
  "Node Type": string;
  "Startup Cost": number;
  "Total Cost": number;
  Plans?: PlanNode[];
}

/**
 * Postgres' `disable_cost`: what the planner adds to a plan node of a kind that is turned off.
 * PGlite 0.2 starts with `enable_seqscan = off`, so every sequential scan it plans carries it.
 */
const DISABLE_COST = 1e10;

/** The planner's total cost estimate of the statement (EXPLAIN plans it, runs nothing). */
async function estimatedCost(run: (q: ClientQuery) => Promise<QueryResult>, q: ClientQuery): Promise<number> {
  const result = await run({ ...q, sql: `EXPLAIN (FORMAT JSON) ${q.sql}` });
  const raw = Object.values(result.rows[0] ?? {})[0];
  const root = ((typeof raw === "string" ? JSON.parse(raw) : raw) as { Plan: PlanNode }[])[0]!.Plan;
  // A disabled sequential scan is the only scan there is; its real cost is the estimate less the penalty.
  let disabled = 0;
  const visit = (node: PlanNode) => {
    if (node["Node Type"] === "Seq Scan" && node["Startup Cost"] >= DISABLE_COST) disabled++;
    for (const child of node.Plans ?? []) visit(child);
  };
  visit(root);
  return root["Total Cost"] - disabled * DISABLE_COST;
}

/** Plans the statement, refuses it over `maxCost`, else runs it: on Postgres read-only and under a timeout. */
async function runBounded(q: ClientQuery, limits: SqlLimits): Promise<QueryResult> {
  const { driver, readonlyQB } = database();
  const bounded = async (run: (q: ClientQuery) => Promise<QueryResult>) => {
    if (!((await estimatedCost(run, q)) <= limits.maxCost)) throw tooExpensive();
    return run(q);
  };
  try {
    if (driver.dialect === "pglite") {
      return await bounded((query) => readonlyQB.raw._.session.prepareQuery(query, undefined, undefined, false).execute());
    }
    return await readonlyQB.raw.transaction(
      async (tx) => {
        await tx.execute(sql.raw(`SET LOCAL statement_timeout = ${Math.floor(limits.timeoutMs)}`));
        return bounded((query) => tx._.session.prepareQuery(query, undefined, undefined, false).execute());
      },
      { accessMode: "read only" },
    );
  } catch (error) {
    if (error instanceof ApiError) throw error;
    if (pgCode(error) === QUERY_CANCELED) throw tooExpensive();
    // Unknown column, wrong type, …: the caller's mistake, but the database's words stay here.
    if (pgCode(error) !== undefined) throw new ApiError(400, "sql_failed", "the database refused the statement");
    throw error;
  }
}

function pgCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown; cause?: { code?: unknown } } | null)?.code ?? (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** Passes the stream on and calls `closed` once when it ends or the client goes away. */
function onClose(body: ReadableStream<Uint8Array>, closed: () => void): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          closed();
          controller.close();
        } else controller.enqueue(value);
      } catch (error) {
        closed();
        controller.error(error);
      }
    },
    cancel(reason) {
      closed();
      return reader.cancel(reason);
    },
  });
}

/** The guard in front of Ponder's client() middleware on `/sql/*`. */
export function sqlGuard(limits: SqlLimits, gate: QueryGate): MiddlewareHandler {
  let live = 0;

  const serveLive = async (c: Context, next: Next): Promise<Response | void> => {
    const query = decodeQuery(c, limits);
    if (live >= limits.maxLive) throw new ApiError(503, "busy", "too many live queries are open; retry later");
    live++;
    let open = true;
    const release = () => {
      if (open) (open = false), live--;
    };
    try {
      // Run it once here, bounded: Ponder's handler takes a slot of its own before it runs the
      // statement and never gives it back if the statement fails.
      await gate.run(async () => {
        await checkStatement(query, limits);
        await runBounded(query, limits);
      });
      await next();
    } catch (error) {
      release();
      throw error;
    }
    const body = c.res.body;
    if (!body || !c.res.headers.get("content-type")?.startsWith("text/event-stream")) return release();
    c.res = new Response(onClose(body, release), c.res);
  };

  return async (c, next) => {
    try {
      if (!limits.enabled) throw new ApiError(403, "sql_disabled", "SQL over HTTP is turned off on this indexer");
      if (c.req.path === "/sql/db") {
        const query = decodeQuery(c, limits);
        // Parsing runs on the API's thread too (tens of ms for a long statement): inside the gate.
        return c.json(
          await gate.run(async () => {
            await checkStatement(query, limits);
            return runBounded(query, limits);
          }),
        );
      }
      if (c.req.path === "/sql/live") return await serveLive(c, next);
      throw new ApiError(404, "not_found", "no such endpoint");
    } catch (error) {
      return errorResponse(c, error);
    }
  };
}
