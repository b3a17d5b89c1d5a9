// Postgres instead of PGlite (DATABASE_URL): the same chain indexed into both must give the
// same tables and answers. Runs only where PostgreSQL binaries are installed.
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, test } from "node:test";
import {
  findPostgresBinaries,
  startIndexer,
  startPostgres,
  startStack,
  type IndexerHandle,
  type PostgresHandle,
  type Stack,
} from "../../node/devnet/index.js";
import { get, synced } from "./helpers/api.js";
import { Driver } from "./helpers/driver.js";
import { dumpIndexer } from "./helpers/dump.js";
import { setUpTraffic, trafficRound, type TrafficWorld } from "./helpers/traffic.js";

const bin = findPostgresBinaries();
const skip = bin ? false : "no PostgreSQL server binaries (initdb, postgres) on this machine; install postgresql to run it";

let stack: Stack;
let postgres: PostgresHandle;
let onPostgres: IndexerHandle;
let d: Driver;
let w: TrafficWorld;

before(async () => {
  if (skip) return;
  stack = await startStack({ chain: { blockIntervalMs: 1000 } });
  postgres = await startPostgres({ dir: path.join(stack.dir, "pg") });
  d = await Driver.connect(stack);
  w = await setUpTraffic(d);
  for (let round = 0; round < 3; round++) await trafficRound(d, w, round);
  onPostgres = await startIndexer(stack.chain, stack.deployment, { dir: path.join(stack.dir, "pg-indexer"), databaseUrl: postgres.url });
});

after(async () => {
  await onPostgres?.stop();
  await postgres?.stop();
  await stack?.stop();
});

test("an indexer on Postgres answers exactly like one on PGlite, also for live blocks", { skip }, async () => {
  // Blocks that arrive while both follow the chain.
  for (let round = 3; round < 5; round++) await trafficRound(d, w, round);
  const target = await synced(d);
  while ((await get(onPostgres.url, "/head")).body.block.number < target) await new Promise((r) => setTimeout(r, 25));
  const at = (await d.public.getBlock()).timestamp;
  const accounts = [w.publisher, ...w.readers];
  const [pg, lite] = await Promise.all([dumpIndexer(onPostgres.url, accounts, at), dumpIndexer(stack.indexer!.url, accounts, at)]);
  assert.deepEqual(pg, lite);
  assert.equal((pg.tables as Record<string, unknown[]>).content!.length, 5);
});
