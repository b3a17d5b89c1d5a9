/**
 * What the indexer-client and access-decider tests share: a real chain and Ponder indexer with
 * a policy that grants `reader` (an attribute) and one public policy, and small local HTTP
 * servers that stand in for broken indexers.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Hex } from "viem";
import { IndexerClientError } from "../../../node/indexer-client/index.js";
import { devAccount, removeTempDirs, TestNet } from "../validator/rewrap/helpers.js";

export interface IndexerFixture {
  net: TestNet;
  publisher: ReturnType<typeof devAccount>;
  /** The attribute namespace `level` (values one, two). */
  namespace: Hex;
  reader: Hex;
  outsider: Hex;
  /** Requires `level ∋ 1`, which `reader` has. */
  policy: bigint;
  /** Four contents under `policy`. */
  contents: Hex[];
  /** A content under a policy with no requirements. */
  publicContent: Hex;
}

const servers: Server[] = [];

export async function startIndexerFixture(): Promise<IndexerFixture> {
  const publisher = devAccount(3);
  const reader = devAccount(4).address.toLowerCase() as Hex;
  const net = await TestNet.start();
  await net.activateValidator(devAccount(1), devAccount(2));
  const namespace = await net.createNamespace(publisher, "level", "allOf", ["one", "two"]);
  const policy = await net.createPolicy(publisher, { requirements: [{ namespace, value: 1 }] });
  const publicPolicy = await net.createPolicy(publisher, {});
  await net.grant(publisher, namespace, reader, 1);
  const contents: Hex[] = [];
  for (let i = 0; i < 4; i++) contents.push(await net.registerContent(publisher, policy, devAccount(1).address));
  const publicContent = await net.registerContent(publisher, publicPolicy, devAccount(1).address);
  await net.synced();
  return { net, publisher, namespace, reader, outsider: devAccount(5).address.toLowerCase() as Hex, policy, contents, publicContent };
}

export async function stopIndexerFixture(fixture: IndexerFixture | undefined): Promise<void> {
  for (const server of servers.splice(0)) server.closeAllConnections(), server.close();
  await fixture?.net.stop();
  removeTempDirs();
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function rejectsWith(promise: Promise<unknown>, code: string): Promise<IndexerClientError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof IndexerClientError, `expected an IndexerClientError, got ${String(error)}`);
    assert.equal(error.code, code);
    return error;
  }
  assert.fail(`expected ${code}`);
}

/** A local HTTP server answering every request with `handler` (undefined: never answer); returns its base URL. */
export async function fakeIndexer(handler: (path: string) => { status: number; body: string } | undefined): Promise<string> {
  const server = createServer((req, res) => {
    const answer = handler(req.url ?? "/");
    if (answer === undefined) return;
    res.writeHead(answer.status, { "content-type": "application/json" });
    res.end(answer.body);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** The URL of a local server that has closed: connections are refused. */
export async function closedIndexer(): Promise<string> {
  const url = await fakeIndexer(() => ({ status: 200, body: "{}" }));
  servers.pop()!.close();
  return url;
}
