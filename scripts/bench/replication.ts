/**
 * `npm run bench:replication`: lazy replication convergence and healing on a real network —
 * Hardhat with 1-second blocks (automining off while measuring), Ponder, and ≥ 5 validators
 * (startValidator, in this process, libp2p on loopback). `--processes` runs each validator as
 * its own process instead, as deployed (`dekmesh validator run`, ./replicationValidator.ts).
 * On this 2-core machine that is the slower setup: seven processes (with Hardhat and Ponder)
 * contend for two cores, and each validator pays its own JIT, GC and polling (converge p50
 * 1.4–2.4 s with processes against 1.1–1.8 s in one process, docs/benchmarks.md).
 *
 *   converge: 200 contents in stake(3) and 200 in xor(3), registered as a stream of 20 a second
 *     (BENCH_REGISTRATIONS_PER_S), alternating modes and initial validators; from the moment the registration's
 *     block (with its confirmations) is seen to the moment the content has 3 holders: for stake,
 *     the block carrying the 3rd member's HoldingConfirmed is seen; for xor, the 3rd member has
 *     stored the DEK (and announces it in the DHT).
 *   heal: one validator exits; from the moment its exit block is seen until every affected
 *     content has 3 holders again (stake: the block completing 3 active members with a
 *     HoldingConfirmed is seen; xor: the new 3 closest have stored the DEK). heal_indexed_ms:
 *     until the indexer's /holders shows it too (polled only after the chain shows it).
 *
 * Block "seen" times come from polling eth_blockNumber every 20 ms. Last line: one JSON object.
 * The phases live in ./replication/ (nodes, converge, heal); this file runs them in order.
 */
import type { Address } from "viem";
import { devAccount, rpcRequest } from "../../node/devnet/index.js";
import { Net, removeTempDirs } from "../../test/node/validator/helpers.js";
import { benchChain, K, log, percentile, watchBlocks, type Bench, type BlockTimes, type StoredTimes } from "./replication/common.js";
import { awaitConvergence, logWhereTimeGoes, registerStream } from "./replication/converge.js";
import { healAfterExit } from "./replication/heal.js";
import { logStats, startValidators, type BenchNode, type OnStored } from "./replication/nodes.js";

const VALIDATORS = Number(process.env.BENCH_VALIDATORS ?? 5);
const CONTENTS = Number(process.env.BENCH_CONTENTS ?? 200);
/** The publishers' registration rate while convergence is measured (20/s: 20 contents a block). */
const REGISTRATIONS_PER_S = Number(process.env.BENCH_REGISTRATIONS_PER_S ?? 20);
const IN_PROCESS = !process.argv.includes("--processes");

async function main(): Promise<void> {
  const net = await Net.start({ chain: { blockIntervalMs: 1000 } });
  const validators: BenchNode[] = [];
  let blocks: BlockTimes | undefined;
  try {
    const stored: StoredTimes = new Map();
    const onStored: OnStored = (node, id, at) => {
      const byNode = stored.get(id) ?? new Map<Address, number>();
      byNode.set(node, at);
      stored.set(id, byNode);
    };
    await startValidators(net, VALIDATORS, IN_PROCESS, onStored, validators);
    log(`${VALIDATORS} validators active, ${IN_PROCESS ? "in this process" : "each in its own process"}`);
    const publisher = devAccount(6);
    const stakePolicy = await net.createPolicy(publisher, "stake", K);
    const xorPolicy = await net.createPolicy(publisher, "xor", K);

    // From here on: blocks only every second.
    await rpcRequest(net.stack.chain.url, "evm_setAutomine", [false]);
    const chain = benchChain(net.stack.chain.url);
    blocks = watchBlocks(chain, net.indexerUrl);
    const bench: Bench = { net, chain, validators, blocks, stored, replicaSets: new Map() };

    const stream = await registerStream(bench, publisher, { stake: stakePolicy, xor: xorPolicy }, { contents: CONTENTS * 2, perSecond: REGISTRATIONS_PER_S });
    const result = await awaitConvergence(bench, stream);
    const all = [...result.stake, ...result.xor];
    await logStats(validators);
    log(`converged: stake p50 ${percentile(result.stake, 50)} ms, xor p50 ${percentile(result.xor, 50)} ms`);
    logWhereTimeGoes(bench, stream, result, IN_PROCESS);

    const { exitSeen, healedAt, indexedAt } = await healAfterExit(bench, stream.registrations);
    blocks.stop();
    const summary = {
      bench: "replication",
      validators: VALIDATORS,
      contents: CONTENTS * 2,
      processes: IN_PROCESS ? 1 : VALIDATORS,
      converge_k3_ms_p50: percentile(all, 50),
      converge_k3_ms_p99: percentile(all, 99),
      converge_stake_ms_p50: percentile(result.stake, 50),
      converge_xor_ms_p50: percentile(result.xor, 50),
      heal_after_exit_ms: healedAt - exitSeen,
      heal_indexed_ms: indexedAt - exitSeen,
    };
    console.log(JSON.stringify(summary));
  } finally {
    blocks?.stop();
    for (const v of validators.reverse()) await v.stop().catch(() => {});
    await net.stop();
    removeTempDirs();
  }
}

await main();
