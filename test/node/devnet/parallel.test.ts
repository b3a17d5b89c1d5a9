/**
 * Devnets started at once (test files run two at a time) must not disturb each other.
 *
 * A devnet server that loses the race for its port must not adopt whoever answers there.
 * Several devnets start at once when test files run in parallel: between freePort()'s probe and
 * the server's bind another process may take the port, and a Hardhat node or Ponder answers
 * just like ours. Here an impostor holds the port and answers every probe correctly; the real
 * server then fails to bind, and start must fail (Hardhat exits; Ponder moves to another port),
 * never hand back the impostor. Without an explicit port, start retries on a fresh one.
 *
 * A deploy compiles only when a source changed since the last build: a compile rewrites
 * Hardhat's cache file in place, which another deploy may be reading.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import { createServer, type Server } from "node:http";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { DevnetError, LOOPBACK, startChain, startIndexer, type ChainHandle } from "../../../node/devnet/index.js";
import { compileNeeded, deployContracts } from "../../../node/devnet/deploy.js";

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

describe("devnet deploys", () => {
  it("compile only when a Solidity source (at any depth) is newer than Hardhat's last compile", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dekmesh-compile-"));
    try {
      const sources = path.join(dir, "contracts");
      const cache = path.join(dir, "solidity-files-cache.json");
      fs.mkdirSync(path.join(sources, "test"), { recursive: true });
      const at = (file: string, seconds: number) => fs.utimesSync(file, seconds, seconds);
      fs.writeFileSync(path.join(sources, "A.sol"), "");
      fs.writeFileSync(path.join(sources, "test", "B.sol"), "");
      fs.writeFileSync(path.join(sources, "notes.md"), "");
      assert.equal(compileNeeded(sources, cache), true, "never compiled");
      fs.writeFileSync(cache, "{}");
      at(path.join(sources, "A.sol"), 1_000);
      at(path.join(sources, "test", "B.sol"), 1_000);
      at(path.join(sources, "notes.md"), 3_000);
      at(cache, 2_000);
      assert.equal(compileNeeded(sources, cache), false, "the build is current (other files do not count)");
      at(path.join(sources, "test", "B.sol"), 2_500);
      assert.equal(compileNeeded(sources, cache), true, "a nested source changed since");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
