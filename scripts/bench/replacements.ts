/**
 * The hand-written code kept in place of a library because it measured faster, measured
 * against that library in the same run:
 *
 * - Keccak-256 in WebAssembly (node/crypto/keys/keccak.ts) against @noble/hashes' keccak_256
 *   and viem's keccak256, on what the validator hashes: 32–160 bytes per rewrap (EIP-712), an
 *   audit transaction of ~46–92 KB per batch;
 * - serializeTransactionFast (node/chain/serializeTransaction.ts) against viem's
 *   serializeTransaction, serializing unsigned then signed as signTransaction does;
 * - the HTTP server on node:http (node/validator/http/server.ts, its router, body limits and
 *   metrics) against Hono on @hono/node-server with the same route work, body limit and
 *   metrics: requests/s of POST /v1/session with a stub rewrap service, closed loop, the load
 *   on a worker thread (http-load.ts). Bare node:http with the same handler is the ceiling.
 *
 * Each comparison alternates its sides over rounds so both see the same machine load, and
 * reports medians; ratios are medians of the per-round ratios. The last line is JSON.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import {
  keccak256 as viemKeccak256,
  serializeTransaction,
  type Address,
  type Hex,
  type Signature,
  type TransactionSerializableEIP1559,
} from "viem";
import { serializeTransactionFast } from "../../node/chain/serializeTransaction.js";
import { keccak256 } from "../../node/crypto/keys/keccak.js";
import { decodeSessionGrant, encodeSessionGrant, encodeSessionInfo } from "../../node/protocol/rewrap/wire.js";
import type { SessionInfo, SignedSessionGrant } from "../../node/protocol/rewrap/types.js";
import { createValidatorHttpServer, type ValidatorHttpComponents } from "../../node/validator/http/index.js";
import { registerHttpMetrics } from "../../node/validator/http/metrics.js";
import { createMetricsRegistry } from "../../node/validator/metrics/index.js";
import { runLoad } from "./http-load.js";
import { seededBytes } from "../../test/node/helpers/prng.js";

const ROUNDS = 7;
const ROUND_MS = 200;
const HTTP_ROUNDS = 5;
const HTTP_ROUND_MS = 2_000;
const HTTP_CONNECTIONS = 32;

const hex = (bytes: Uint8Array): Hex => `0x${Buffer.from(bytes).toString("hex")}`;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Calls of `op` per second over one round (clock read every 32 calls). */
function rate(op: () => unknown): number {
  let count = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ROUND_MS) {
    for (let i = 0; i < 32; i++) op();
    count += 32;
    elapsed = performance.now() - start;
  }
  return (count * 1000) / elapsed;
}

/** Medians of each side's rate and of the per-round ratios to the first side, order alternating. */
function compare(sides: Record<string, () => unknown>): { perSecond: Record<string, number>; ratio: Record<string, number> } {
  const names = Object.keys(sides);
  const rates: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of round % 2 === 0 ? names : [...names].reverse()) rates[name]!.push(rate(sides[name]!));
  }
  const [first] = names;
  return {
    perSecond: Object.fromEntries(names.map((n) => [n, Math.round(median(rates[n]!))])),
    ratio: Object.fromEntries(names.slice(1).map((n) => [n, Number(median(rates[first!]!.map((r, i) => r / rates[n]![i]!)).toFixed(2))])),
  };
}

function benchKeccak() {
  const results: Record<string, ReturnType<typeof compare>> = {};
  for (const size of [32, 64, 160, 1_024, 46_000, 92_000]) {
    const data = seededBytes(size, size);
    results[size] = compare({
      wasm: () => keccak256(data),
      noble: () => keccak_256(data),
      viem: () => viemKeccak256(data, "bytes"),
    });
    const r = results[size]!;
    console.log(`keccak256 ${size} B: wasm ${r.perSecond.wasm}/s, ×${r.ratio.noble} @noble/hashes, ×${r.ratio.viem} viem`);
  }
  return results;
}

function benchSerializer() {
  const results: Record<string, ReturnType<typeof compare>> = {};
  const signature: Signature = { r: hex(seededBytes(32, 7)), s: hex(seededBytes(32, 8)), yParity: 1 };
  for (const size of [100, 1_024, 46_000, 92_000]) {
    const tx: TransactionSerializableEIP1559 = {
      type: "eip1559",
      chainId: 31_337,
      nonce: 4_321,
      maxFeePerGas: 2_000_000_000n,
      maxPriorityFeePerGas: 1_000_000_000n,
      gas: 3_000_000n,
      to: hex(seededBytes(20, 3)) as Address,
      value: 0n,
      data: hex(seededBytes(size, size)),
    };
    // What signTransaction does: the unsigned bytes are hashed, the signed ones sent.
    results[size] = compare({
      fast: () => serializeTransactionFast(tx, signature) && serializeTransactionFast(tx),
      viem: () => serializeTransaction(tx, signature) && serializeTransaction(tx),
    });
    const r = results[size]!;
    console.log(`serialize EIP-1559 with ${size} B of calldata (unsigned + signed): ${r.perSecond.fast}/s, ×${r.ratio.viem} viem`);
  }
  return results;
}

// ------------------------------------------------------------------------------------ HTTP

const grant: SignedSessionGrant = {
  account: hex(seededBytes(20, 11)) as Address,
  sessionPublicKey: new Uint8Array([0x02, ...seededBytes(32, 12)]),
  expiry: 2_000_000_000,
  nonce: 1n,
  signature: seededBytes(65, 13),
};
const GRANT_JSON = encodeSessionGrant(grant);
const MAX_BODY = 4_096;
const session = async (g: SignedSessionGrant): Promise<SessionInfo> => ({
  grantHash: hex(seededBytes(32, 14)),
  account: g.account,
  sessionPublicKey: g.sessionPublicKey,
  expiry: g.expiry,
});

function urlOf(server: Server): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return urlOf(server);
}

async function dekmeshServer(): Promise<{ url: string; stop: () => Promise<void> }> {
  const unused = () => Promise.reject(new Error("not in this bench"));
  const components = {
    rewrap: { rewrap: unused, rewrapBulk: unused, registerSession: session },
    store: { hasDek: () => false },
    pins: { put: unused, has: unused, get: unused, size: unused },
    indexer: { holders: unused },
    info: () => ({}),
    readiness: async () => ({ ready: true, checks: {} }),
    metrics: createMetricsRegistry({ processMetrics: false }),
    logger: { debug() {}, info() {}, warn() {}, error() {} },
  } as unknown as ValidatorHttpComponents;
  const server = createValidatorHttpServer(components);
  await server.start();
  return { url: server.url, stop: () => server.stop() };
}

async function honoServer(): Promise<{ url: string; stop: () => Promise<void> }> {
  const metrics = registerHttpMetrics(createMetricsRegistry({ processMetrics: false }));
  const app = new Hono();
  // The same per-request metrics as the node:http server records.
  app.use(async (c, next) => {
    const started = process.hrtime.bigint();
    metrics.inFlight.inc();
    await next();
    metrics.inFlight.dec();
    metrics.requests.inc({ route: c.req.routePath, status: String(c.res.status) });
    metrics.duration.observe({ route: c.req.routePath }, Number(process.hrtime.bigint() - started) / 1e9);
  });
  app.post("/v1/session", bodyLimit({ maxSize: MAX_BODY }), async (c) => {
    const body = encodeSessionInfo(await session(decodeSessionGrant(new Uint8Array(await c.req.arrayBuffer()))));
    return c.body(body, 200, { "content-type": "application/json", "cache-control": "no-store", "x-content-type-options": "nosniff" });
  });
  const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }) as Server;
  await new Promise<void>((resolve) => (server.listening ? resolve() : server.once("listening", () => resolve())));
  return { url: urlOf(server), stop: () => new Promise((resolve) => server.close(() => resolve())) };
}

async function bareServer(): Promise<{ url: string; stop: () => Promise<void> }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      void session(decodeSessionGrant(Buffer.concat(chunks))).then((info) => {
        const body = encodeSessionInfo(info);
        res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
        res.end(body);
      });
    });
  });
  const url = await listen(server);
  return { url, stop: () => new Promise((resolve) => server.close(() => resolve())) };
}

async function benchHttp() {
  const servers = { nodeHttp: await dekmeshServer(), hono: await honoServer(), bare: await bareServer() };
  const names = Object.keys(servers) as (keyof typeof servers)[];
  const rates: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  const p50: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  try {
    for (let round = 0; round < HTTP_ROUNDS; round++) {
      for (const name of round % 2 === 0 ? names : [...names].reverse()) {
        const { latencies } = await runLoad({ base: servers[name].url, paths: ["/v1/session"], postJson: GRANT_JSON, durationMs: HTTP_ROUND_MS, concurrency: HTTP_CONNECTIONS });
        rates[name]!.push((latencies.length * 1000) / HTTP_ROUND_MS);
        p50[name]!.push(latencies[Math.floor(latencies.length / 2)]!);
      }
    }
  } finally {
    for (const server of Object.values(servers)) await server.stop();
  }
  const result = {
    perSecond: Object.fromEntries(names.map((n) => [n, Math.round(median(rates[n]!))])),
    p50Ms: Object.fromEntries(names.map((n) => [n, Number(median(p50[n]!).toFixed(2))])),
    ratio: {
      hono: Number(median(rates.nodeHttp!.map((r, i) => r / rates.hono![i]!)).toFixed(2)),
      bare: Number(median(rates.nodeHttp!.map((r, i) => r / rates.bare![i]!)).toFixed(2)),
    },
  };
  console.log(
    `POST /v1/session, ${HTTP_CONNECTIONS} connections: node:http server ${result.perSecond.nodeHttp}/s (×${result.ratio.hono} Hono on @hono/node-server at ${result.perSecond.hono}/s; ×${result.ratio.bare} bare node:http at ${result.perSecond.bare}/s)`,
  );
  return result;
}

const summary = { keccak: benchKeccak(), serializer: benchSerializer(), http: await benchHttp() };
console.log(JSON.stringify(summary));
