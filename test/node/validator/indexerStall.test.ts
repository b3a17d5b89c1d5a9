/**
 * A validator whose indexer stalls keeps serving: with the real daemon, chain and Ponder
 * indexer, the validator reaches the indexer through a loopback proxy that can be made to hang
 * (every connection accepted, nothing answered — what a single-threaded indexer busy with a
 * hostile query looks like from outside). Rewraps of a held content keep succeeding within the
 * rewrap deadline, decided from the chain, and /ready says the indexer is degraded. Before the
 * stall, the real indexer is hammered with the most expensive public queries while the
 * validator serves.
 */
import assert from "node:assert/strict";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { after, before, test } from "node:test";
import type { Hex } from "viem";
import type { Validator } from "../../../node/validator/index.js";
import { decodeRewrapAnswer, encodeRewrapRequest } from "../../../node/protocol/rewrap/index.js";
import { Net, devAccount, eventually, removeTempDirs } from "./helpers.js";
import { Reader } from "./rewrap/helpers.js";

/** A TCP proxy to `target`; while `stalled`, new connections are accepted and never answered. */
class StallingProxy {
  stalled = false;
  readonly #sockets = new Set<Socket>();
  readonly #server: Server;

  private constructor(target: URL) {
    this.#server = createServer((client) => {
      this.#sockets.add(client);
      client.on("close", () => this.#sockets.delete(client));
      client.on("error", () => {});
      if (this.stalled) return;
      const upstream = createConnection({ host: target.hostname, port: Number(target.port) });
      this.#sockets.add(upstream);
      upstream.on("close", () => this.#sockets.delete(upstream));
      upstream.on("error", () => client.destroy());
      client.pipe(upstream).pipe(client);
    });
  }

  static async start(target: string): Promise<{ proxy: StallingProxy; url: string }> {
    const proxy = new StallingProxy(new URL(target));
    await new Promise<void>((resolve) => proxy.#server.listen(0, "127.0.0.1", resolve));
    const { port } = proxy.#server.address() as { port: number };
    return { proxy, url: `http://127.0.0.1:${port}` };
  }

  /** Hangs from now on: open connections are cut (keep-alive sockets would bypass the stall). */
  stall(): void {
    this.stalled = true;
    for (const socket of this.#sockets) socket.destroy();
  }

  resume(): void {
    this.stalled = false;
  }

  async stop(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

let net: Net;
let proxy: StallingProxy;
let v0: Validator;

before(async () => {
  net = await Net.start();
  const started = await StallingProxy.start(net.indexerUrl);
  proxy = started.proxy;
  v0 = await net.startValidator(0, { indexerUrl: started.url });
});

after(async () => {
  await v0?.stop();
  await proxy?.stop();
  await net?.stop();
  removeTempDirs();
});

async function rewrap(reader: Reader, contentId: Hex): Promise<{ status: number; ms: number }> {
  const started = Date.now();
  const response = await fetch(`${v0.httpUrl}/v1/rewrap`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: encodeRewrapRequest(await reader.request(contentId)),
    signal: AbortSignal.timeout(10_000),
  });
  const body = await response.text();
  if (response.status === 200) decodeRewrapAnswer(body);
  return { status: response.status, ms: Date.now() - started };
}

test("a stalled indexer costs no rewrap: the chain decides within the deadline, and /ready names the indexer as degraded", async () => {
  const publisher = devAccount(5);
  const policyId = await net.createPolicy(publisher, "stake", 1);
  const { contentId } = await net.registerContent(publisher, policyId, v0);
  await eventually(() => v0.store.hasDek(contentId), 15_000, "derived DEK");
  const reader = new Reader(devAccount(6), { chainId: BigInt(net.stack.chain.chainId), verifyingContract: net.addresses.RewrapAuditLog });

  // The real indexer under the most expensive public queries while the validator serves.
  const crossJoin = `select count(*) from ${Array.from({ length: 13 }, (_, i) => `"validator" v${i}`).join(", ")}`;
  const { default: superjson } = await import("superjson");
  const hostile = Array.from({ length: 4 }, () =>
    fetch(`${net.indexerUrl}/sql/db?sql=${encodeURIComponent(superjson.stringify({ sql: crossJoin, params: [] }))}`, { signal: AbortSignal.timeout(15_000) })
      .then((r) => r.arrayBuffer())
      .catch(() => undefined),
  );
  for (let i = 0; i < 5; i++) {
    const { status, ms } = await rewrap(reader, contentId);
    assert.equal(status, 200);
    assert.ok(ms < 5_000, `rewrap ${i} took ${ms} ms under hostile queries`);
  }
  await Promise.all(hostile);

  proxy.stall();
  // Past the access cache's second (and a block or more), so decisions must be made again.
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  for (let i = 0; i < 10; i++) {
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, 300));
    const { status, ms } = await rewrap(reader, contentId);
    assert.equal(status, 200, `rewrap ${i} with the indexer stalled`);
    assert.ok(ms < 5_000, `rewrap ${i} took ${ms} ms with the indexer stalled`);
  }
  assert.ok(v0.access.stats().chainAccessReads >= 1, "the chain decided");
  const ready = await fetch(`${v0.httpUrl}/ready`, { signal: AbortSignal.timeout(10_000) });
  assert.equal(ready.status, 200);
  const readiness = (await ready.json()) as { ready: boolean; degraded: string[] };
  assert.deepEqual([readiness.ready, readiness.degraded], [true, ["indexer"]]);

  proxy.resume();
  await eventually(async () => {
    const body = (await (await fetch(`${v0.httpUrl}/ready`)).json()) as { degraded: string[] };
    return body.degraded.length === 0;
  }, 20_000, "the indexer no longer degraded");
});
