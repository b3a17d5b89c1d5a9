/**
 * The devnet chain's block timestamps follow the wall clock. Hardhat gives each new block at
 * least its parent's timestamp + 1 s, so with interval mining next to automining (several
 * blocks in one second) the chain used to run ahead — 3.5 min after 16 min of a devnet — and
 * audit times lay in the future.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { rpcRequest, startChain, type ChainHandle } from "../../../node/devnet/index.js";

interface Block {
  number: string;
  timestamp: string;
}

describe("devnet chain clock", () => {
  let dir: string;
  let chain: ChainHandle;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "dekmesh-clock-"));
    // Ten interval blocks a second, plus a block per transaction: far more blocks than seconds.
    chain = await startChain({ dir, blockIntervalMs: 100 });
  });
  after(async () => {
    await chain?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("keeps block timestamps within a few seconds of the wall clock after many blocks", async (t) => {
    const [from, to] = await rpcRequest<string[]>(chain.url, "eth_accounts", []);
    const first = await rpcRequest<Block>(chain.url, "eth_getBlockByNumber", ["latest", false]);
    const until = Date.now() + 8_000;
    let sentAt = 0;
    let last: Block | undefined;
    while (Date.now() < until) {
      // Automining: the answer comes once the transaction's block is mined.
      sentAt = Date.now() / 1000;
      const hash = await rpcRequest<string>(chain.url, "eth_sendTransaction", [{ from, to, value: "0x1" }]);
      const receipt = await rpcRequest<{ blockNumber: string }>(chain.url, "eth_getTransactionReceipt", [hash]);
      last = await rpcRequest<Block>(chain.url, "eth_getBlockByNumber", [receipt.blockNumber, false]);
      await sleep(20);
    }
    const blocks = Number(last!.number) - Number(first.number);
    const drift = Number(last!.timestamp) - sentAt;
    t.diagnostic(`${blocks} blocks in 8 s, clock ${drift.toFixed(2)} s off`);
    assert.ok(blocks >= 100, `only ${blocks} blocks in 8 s`);
    assert.ok(Math.abs(drift) < 3, `the chain's clock is ${drift.toFixed(1)} s off the wall clock after ${blocks} blocks`);
  });
});
