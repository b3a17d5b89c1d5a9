// Everything an indexer exposes, as one comparable value: every row of every table (SQL over
// HTTP) and every REST answer for the ids found there, without the head (which differs
// between two indexers of the same chain by the empty blocks one has seen more).
import { createClient } from "@ponder/client";
import { isPgView } from "drizzle-orm/pg-core";
import * as schema from "../../../indexer/ponder.schema.js";
import { get } from "./api.js";

/** `at`: the time /access decisions are evaluated at (the default, the head's time, differs). */
export async function dumpIndexer(url: string, accounts: readonly string[], at: bigint): Promise<Record<string, unknown>> {
  const tables = await dumpTables(url);
  const rest: Record<string, unknown> = {};
  const strip = (body: any) => {
    const { block: _block, ...rest } = body;
    return rest;
  };
  rest["/validators/active"] = strip((await get(url, "/validators/active")).body);
  for (const c of tables.content as { contentId: string }[]) {
    rest[`/holders/${c.contentId}`] = strip((await get(url, `/holders/${c.contentId}`)).body);
    for (const account of accounts) {
      const path = `/access/${c.contentId}/${account}?at=${at}`;
      rest[path] = strip((await get(url, path)).body);
    }
  }
  for (const p of tables.policy as { id: string }[]) rest[`/policies/${p.id}`] = strip((await get(url, `/policies/${p.id}`)).body);
  const audit: unknown[] = [];
  let cursor: string | null = null;
  do {
    const page: any = (await get(url, `/audit?limit=7${cursor ? `&cursor=${cursor}` : ""}`)).body;
    audit.push(...page.records);
    cursor = page.nextCursor;
  } while (cursor);
  rest["/audit"] = audit;
  return { tables, rest };
}

/** A view is read in pages (the public SQL limits, docs/operations.md). */
const VIEW_PAGE = 1_000;

/** Every row of every table and view, sorted, through @ponder/client's SQL over HTTP. */
export async function dumpTables(url: string): Promise<Record<string, unknown[]>> {
  const client = createClient(`${url}/sql`, { schema });
  const out: Record<string, unknown[]> = {};
  for (const [name, table] of Object.entries(schema)) {
    if (!isTable(table) && !isPgView(table)) continue;
    const rows: unknown[] = [];
    if (isTable(table)) rows.push(...(await client.db.select().from(table as never)));
    else {
      for (;;) {
        const page = await client.db.select().from(table as never).limit(VIEW_PAGE).offset(rows.length);
        rows.push(...page);
        if (page.length < VIEW_PAGE) break;
      }
    }
    out[name] = (rows as unknown[])
      .map((r) => JSON.parse(JSON.stringify(r, (_k, v) => (typeof v === "bigint" ? v.toString() : v))))
      .sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
  }
  return out;
}

function isTable(value: unknown): boolean {
  return typeof value === "object" && value !== null && Symbol.for("drizzle:IsDrizzleTable") in value;
}
