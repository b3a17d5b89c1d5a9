/**
 * A devnet server that loses the race for its port must not adopt whoever answers there.
 * Several devnets start at once when test files run in parallel: between freePort()'s probe and
 * the server's bind another process may take the port, and a Hardhat node or Ponder answers
 * just like ours. Here an impostor holds the port and answers every probe correctly; the real
 * server then fails to bind, and start must fail (Hardhat exits; Ponder moves to another port),
 * never hand back the impostor. Without an explicit port, start retries on a fresh one.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import { createServer, type Server } from "node:http";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { DevnetError, LOOPBACK, startChain, startIndexer, type ChainHandle } from "../../../node/devnet/index.js";
import { deployContracts } from "../../../node/devnet/deploy.js";

/** Answers eth_chainId with Hardhat's chain id and GET /ready with 200, on `port`. */
async function impostor(): Promise<{ server: Server; port: number; probes: () => number }> {
  let probes = 0;
  const server = createServer((request, response) => {
    probes++;
    request.resume();
    request.on("end", () => {
      response.setHeader("content-type", "application/json");
      response.end(request.method === "POST" ? JSON.stringify({ jsonrpc: "2.0", id: 1, result: "0x7a69" }) : "{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
  return { server, port: (server.address() as { port: number }).port, probes: () => probes };
}

async function rejectsWith(start: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(start, (error: unknown) => {
    assert.ok(error instanceof DevnetError, String(error));
    assert.equal(error.code, code, error.message);
    return true;
  });
}

describe("devnet ports", () => {
  const dirs: string[] = [];
  const tempDir = (): string => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dekmesh-ports-"));
    dirs.push(dir);
    return dir;
  };
  let chain: ChainHandle;

  before(async () => {
    chain = await startChain({ dir: tempDir() });
  });

  after(async () => {
    await chain?.stop();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("a Hardhat node whose port is taken fails to start instead of adopting the process there", async () => {
    const { server, port } = await impostor();
    try {
      // Hardhat exits when it cannot bind.
      await rejectsWith(startChain({ dir: tempDir(), port }), "PROCESS_EXITED");
    } finally {
      server.close();
    }
  });

  it("a Ponder whose port is taken fails to start instead of adopting the process there", async () => {
    const dir = tempDir();
    const deployment = await deployContracts(chain, { dir });
    const { server, port, probes } = await impostor();
    try {
      // Ponder moves on to the next port instead, and says so in its log.
      await rejectsWith(startIndexer(chain, deployment, { dir, port }), "PORT_IN_USE");
      assert.equal(probes(), 0, "the impostor was probed before Ponder said it listened");
    } finally {
      server.close();
    }
  });
});
