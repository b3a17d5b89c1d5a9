/**
 * `npm run bench:replication`: lazy replication convergence and healing on a real network —
 * Hardhat with 1-second blocks (automining off while measuring), Ponder, and ≥ 5 validators
 * (startValidator, in this process, libp2p on loopback). `--processes` runs each validator as
 * its own process instead, as deployed (`dekmesh validator run`, ./replicationValidator.ts).
 * On this 2-core machine that is the slower setup: seven processes (with Hardhat and Ponder)
 * contend for two cores, and each validator pays its own JIT, GC and polling (session 5: converge
 * p50 1.4–2.4 s with processes, 1.1–1.8 s in one process; docs/replication.md).
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
 */
import { fork, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { createPublicClient, createWalletClient, hexToBytes, http, type Address, type Hex } from "viem";
import { hardhat } from "viem/chains";
import { contentRegistryAbi, validatorRegistryAbi } from "../../node/chain/index.js";
import { devAccount, freePort, HARDHAT_MNEMONIC, rpcRequest } from "../../node/devnet/index.js";
import { xorReplicaSet, type ReplicationStats } from "../../node/validator/replication/index.js";
import type { PartialConfig, ValidatorConfig } from "../../node/validator/index.js";
import { Net, removeTempDirs, tempDir } from "../../test/node/validator/helpers.js";
import type { FromValidator } from "./replicationValidator.js";

const VALIDATORS = Number(process.env.BENCH_VALIDATORS ?? 5);
const CONTENTS = Number(process.env.BENCH_CONTENTS ?? 200);
const K = 3;
/** The publishers' registration rate while convergence is measured (20/s: 20 contents a block). */
const REGISTRATIONS_PER_S = Number(process.env.BENCH_REGISTRATIONS_PER_S ?? 20);
const lower = (a: string) => a.toLowerCase() as Address;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (message: string) => process.stderr.write(`[bench:replication] ${message}\n`);
const IN_PROCESS = !process.argv.includes("--processes");
const WORKER = new URL("./replicationValidator.ts", import.meta.url).pathname;
const NODE_OVERRIDES: PartialConfig = { replication: { intervalMs: 100 }, holdings: { intervalMs: 100 } };

/** What the bench needs of a validator, whichever process it runs in. */
interface BenchNode {
  address: Address;
  config: ValidatorConfig;
  initial: { kasPublicKey: Uint8Array; httpUrl: string };
  stats(): Promise<ReplicationStats>;
  stop(): Promise<void>;
}
type OnStored = (node: Address, contentId: Hex, at: number) => void;

async function startInProcess(net: Net, index: number, onStored: OnStored): Promise<BenchNode> {
  const v = await net.startValidator(index, NODE_OVERRIDES);
  v.replication.onStored((id) => onStored(lower(v.address), id, Date.now()));
  return {
    address: v.address,
    config: v.config,
    initial: { kasPublicKey: v.store.currentKasKey()!.publicKey, httpUrl: v.httpUrl },
    stats: async () => v.replication.stats(),
    stop: () => v.stop(),
  };
}

async function startChild(net: Net, index: number, onStored: OnStored): Promise<BenchNode> {
  await net.fundNode(index);
  const config = net.config(index, { ...NODE_OVERRIDES, p2p: { listen: [`/ip4/127.0.0.1/tcp/${await freePort()}`] }, http: { port: await freePort() } });
  const file = join(tempDir(), `bench-node-${index}.json`);
  writeFileSync(file, JSON.stringify({ ...config, mnemonic: HARDHAT_MNEMONIC }));
  const child: ChildProcess = fork(WORKER, [file], { execArgv: ["--no-warnings", "--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const statsWaiters: ((stats: ReplicationStats) => void)[] = [];
  let address: Address | undefined;
  const ready = new Promise<Extract<FromValidator, { type: "ready" }>>((resolve, reject) => {
    child.on("message", (message: FromValidator) => {
      if (message.type === "ready") {
        address = lower(message.address);
        resolve(message);
      } else if (message.type === "stored") onStored(address!, message.contentId, message.at);
      else statsWaiters.shift()?.(message.stats as ReplicationStats);
    });
    child.once("exit", (code) => reject(new Error(`validator ${index} exited (${code}) before it was ready`)));
  });
  const { kasPublicKey, httpUrl } = await ready;
  return {
    address: address!,
    config,
    initial: { kasPublicKey: hexToBytes(kasPublicKey), httpUrl },
    stats: () => new Promise((resolve) => {
      statsWaiters.push(resolve);
      child.send("stats");
    }),
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

async function logStats(validators: BenchNode[]): Promise<void> {
  for (const v of validators) {
    const { ticks, pulled, pulledFromProviders, pullFailures, derived, served, refused, repairsSent, repairFailures, provided, lastError, lastPassMs, lastWorkReadMs } = await v.stats();
    log(`${v.address.slice(0, 10)}: ticks ${ticks} derived ${derived} pulled ${pulled} (${pulledFromProviders} via DHT providers) failures ${pullFailures} served ${served} refused ${JSON.stringify(refused)} repairs ${repairsSent}/${repairFailures} provided ${provided} failed last ${lastError} pass ${lastPassMs} ms (work ${lastWorkReadMs} ms)`);
  }
}

async function main(): Promise<void> {
  const net = await Net.start({ chain: { blockIntervalMs: 1000 } });
  const validators: BenchNode[] = [];
  const seen = new Map<bigint, number>();
  let watching = true;
  try {
    const stored = new Map<Hex, Map<Address, number>>();
    const onStored: OnStored = (node, id, at) => {
      const byNode = stored.get(id) ?? new Map<Address, number>();
      byNode.set(node, at);
      stored.set(id, byNode);
    };
    for (let i = 0; i < VALIDATORS; i++) validators.push(await (IN_PROCESS ? startInProcess : startChild)(net, i, onStored));
    log(`${VALIDATORS} validators active, ${IN_PROCESS ? "in this process" : "each in its own process"}`);
    const publisher = devAccount(6);
    const stakePolicy = await net.createPolicy(publisher, "stake", K);
    const xorPolicy = await net.createPolicy(publisher, "xor", K);

    // From here on: blocks only every second.
    await rpcRequest(net.stack.chain.url, "evm_setAutomine", [false]);
    const chain = createPublicClient({ chain: hardhat, transport: http(net.stack.chain.url) });
    void (async () => {
      while (watching) {
        const n = await chain.getBlockNumber({ cacheTime: 0 }).catch(() => undefined);
        if (n !== undefined) for (let b = n; b >= 0n && !seen.has(b); b--) seen.set(b, Date.now());
        await sleep(20);
      }
    })();
    // When the indexer has each block (diagnostics of where convergence time goes).
    const indexed = new Map<bigint, number>();
    void (async () => {
      while (watching) {
        const body = (await fetch(`${net.indexerUrl}/head`).then((r) => r.json()).catch(() => undefined)) as { block?: { number: number } } | undefined;
        const n = body?.block?.number;
        if (n !== undefined) for (let b = BigInt(n); b >= 0n && !indexed.has(b); b--) indexed.set(b, Date.now());
        await sleep(50);
      }
    })();

    // Register the contents as a steady stream of REGISTRATIONS_PER_S (nonces counted here,
    // receipts awaited afterwards), so convergence is measured under a stated load rather than
    // at whatever rate this loop happens to reach.
    const wallet = createWalletClient({ chain: hardhat, transport: http(net.stack.chain.url), account: publisher });
    let nonce = await chain.getTransactionCount({ address: publisher.address, blockTag: "pending" });
    // Fees fixed for the whole stream (twice the current estimate), so the bench's own
    // transactions add one broadcast each to the chain's load, not two fee reads as well.
    const fees = await chain.estimateFeesPerGas();
    const maxPriorityFeePerGas = fees.maxPriorityFeePerGas * 2n;
    const maxFeePerGas = fees.maxFeePerGas * 2n;
    const registrations: { contentId: Hex; mode: "stake" | "xor"; hash: Hex; initial: Address }[] = [];
    const streamStart = Date.now();
    const loopAtStart = performance.eventLoopUtilization();
    for (let i = 0; i < CONTENTS * 2; i++) {
      const wait = streamStart + (i * 1_000) / REGISTRATIONS_PER_S - Date.now();
      if (wait > 0) await sleep(wait);
      const mode = i % 2 === 0 ? "stake" : "xor";
      const initial = validators[i % VALIDATORS]!;
      const { header, cid, contentId } = await net.prepareContentFor(mode === "stake" ? stakePolicy : xorPolicy, initial.initial);
      const hash = await wallet.writeContract({
        address: net.addresses.ContentRegistry,
        abi: contentRegistryAbi,
        functionName: "register",
        args: [cid, mode === "stake" ? stakePolicy : xorPolicy, initial.address, header, "0x"],
        nonce: nonce++,
        gas: 1_000_000n,
        maxFeePerGas,
        maxPriorityFeePerGas,
      });
      registrations.push({ contentId, mode, hash, initial: lower(initial.address) });
    }
    log(`${registrations.length} registrations sent in ${Date.now() - streamStart} ms`);
    const receipts = new Map<Hex, bigint>();
    for (const r of registrations) {
      const receipt = await chain.waitForTransactionReceipt({ hash: r.hash, pollingInterval: 100 });
      if (receipt.status !== "success") throw new Error("a registration reverted");
      receipts.set(r.contentId, receipt.blockNumber);
    }
    const confirmations = validators[0]!.config.confirmations;
    const finalAt = (id: Hex) => seen.get(receipts.get(id)! + BigInt(confirmations - 1))!;

    // Convergence.
    // HoldingConfirmed logs read incrementally: a scan from block 0 twice a second was a growing
    // load on the same chain the validators send their confirmations to.
    const confirmedAt = new Map<Hex, Map<Address, bigint>>();
    let logsFrom = 0n;
    const converged = async (): Promise<{ stake: number[]; xor: number[]; stakeBlocks: number[] } | undefined> => {
      const head = await chain.getBlockNumber({ cacheTime: 0 });
      if (head >= logsFrom) {
        const logs = await chain.getContractEvents({ address: net.addresses.ContentRegistry, abi: contentRegistryAbi, eventName: "HoldingConfirmed", fromBlock: logsFrom, toBlock: head });
        for (const l of logs) {
          const m = confirmedAt.get(l.args.contentId!) ?? new Map<Address, bigint>();
          if (!m.has(lower(l.args.validator!))) m.set(lower(l.args.validator!), l.blockNumber);
          confirmedAt.set(l.args.contentId!, m);
        }
        logsFrom = head + 1n;
      }
      const active = validators.map((v) => lower(v.address));
      const stake: number[] = [];
      const stakeBlocks: number[] = [];
      const xor: number[] = [];
      for (const r of registrations) {
        if (r.mode === "stake") {
          const members = (await memberSet(r.contentId)) ?? [];
          const blocks = members.map((m) => confirmedAt.get(r.contentId)?.get(m));
          if (members.length < K || blocks.some((b) => b === undefined || !seen.has(b))) return undefined;
          const last = blocks.reduce((a, b) => (b! > a! ? b : a))!;
          stake.push(seen.get(last)! - finalAt(r.contentId));
          stakeBlocks.push(Number(last! - receipts.get(r.contentId)!));
        } else {
          const members = xorReplicaSet(r.contentId, active, K);
          const times = members.map((m) => stored.get(r.contentId)?.get(m));
          // The initial validator derives rather than pulls; it counts when it is a member.
          if (times.some((t) => t === undefined)) return undefined;
          xor.push(Math.max(...(times as number[])) - finalAt(r.contentId));
        }
      }
      return { stake, xor, stakeBlocks };
    };
    const sets = new Map<Hex, Address[]>();
    const memberSet = async (id: Hex): Promise<Address[] | undefined> => {
      if (!sets.has(id)) {
        const res = await fetch(`${net.indexerUrl}/holders/${id}`);
        const body = (await res.json()) as { replication?: { replicaSet: (Address | null)[] } };
        if (body.replication === undefined) return undefined; // not indexed yet
        sets.set(id, body.replication.replicaSet.filter((m): m is Address => m !== null));
      }
      return sets.get(id);
    };
    let result: Awaited<ReturnType<typeof converged>>;
    const deadline = Date.now() + 180_000;
    while (!(result = await converged())) {
      if (Date.now() > deadline) {
        await logStats(validators);
        for (const r of registrations) {
          const members = r.mode === "stake" ? ((await memberSet(r.contentId)) ?? []) : xorReplicaSet(r.contentId, validators.map((v) => lower(v.address)), K);
          const lacking = members.filter((m) => !stored.get(r.contentId)?.has(m));
          if (lacking.length > 0) log(`${r.mode} ${r.contentId.slice(0, 10)} lacks ${lacking.map((m) => m.slice(0, 8)).join(",")}`);
        }
        throw new Error("replication did not converge in 3 minutes");
      }
      await sleep(500);
    }
    const all = [...result.stake, ...result.xor];
    await logStats(validators);
    log(`converged: stake p50 ${percentile(result.stake, 50)} ms, xor p50 ${percentile(result.xor, 50)} ms`);
    {
      // Where the time goes, p50 from the registration block being seen: indexed, derived by the
      // initial validator, 3rd replica stored (the rest of stake is the confirmation's block).
      const since = (id: Hex, t: number | undefined) => (t === undefined ? NaN : t - finalAt(id));
      const p50 = (values: number[]) => percentile(values.filter((v) => !Number.isNaN(v)), 50);
      const blocksIndexed = registrations.map((r) => since(r.contentId, indexed.get(receipts.get(r.contentId)! + BigInt(confirmations - 1))));
      const derivedAt = registrations.map((r) => since(r.contentId, stored.get(r.contentId)?.get(r.initial)));
      const third = registrations.map((r) => {
        const times = [...(stored.get(r.contentId)?.values() ?? [])].sort((a, b) => a - b);
        return since(r.contentId, times[K - 1]);
      });
      log(`p50 after the registration block: indexed ${p50(blocksIndexed)} ms, derived ${p50(derivedAt)} ms, 3rd stored ${p50(third)} ms`);
      const inBlocks = new Map<number, number>();
      for (const b of result.stakeBlocks) inBlocks.set(b, (inBlocks.get(b) ?? 0) + 1);
      log(`stake: contents whose 3rd confirmation landed n blocks after the registration ${JSON.stringify(Object.fromEntries([...inBlocks].sort((a, b) => a[0] - b[0])))}`);
      if (IN_PROCESS) log(`this process's event loop busy ${(performance.eventLoopUtilization(loopAtStart).utilization * 100).toFixed(0)} % from the stream's start to convergence`);
    }

    // Heal after an exit: the validator with the most stake slots leaves.
    const slots = new Map<Address, number>();
    for (const members of sets.values()) for (const m of members) slots.set(m, (slots.get(m) ?? 0) + 1);
    const leaver = validators.find((v) => lower(v.address) === [...slots.entries()].sort((a, b) => b[1] - a[1])[0]![0])!;
    const remaining = validators.filter((v) => v !== leaver).map((v) => lower(v.address));
    const affectedStake = [...sets.entries()].filter(([, m]) => m.includes(lower(leaver.address))).map(([id]) => id);
    const affectedXor = registrations
      .filter((r) => r.mode === "xor" && xorReplicaSet(r.contentId, validators.map((v) => lower(v.address)), K).includes(lower(leaver.address)))
      .map((r) => r.contentId);
    const operator = createWalletClient({ chain: hardhat, transport: http(net.stack.chain.url), account: devAccount(0) });
    const exitHash = await operator.writeContract({ address: net.addresses.ValidatorRegistry, abi: validatorRegistryAbi, functionName: "requestExit", args: [leaver.address] });
    const exitBlock = (await chain.waitForTransactionReceipt({ hash: exitHash, pollingInterval: 50 })).blockNumber;
    while (!seen.has(exitBlock)) await sleep(10);
    const exitSeen = seen.get(exitBlock)!;
    // Healed, like convergence, as seen on chain: a stake content when its set (ReplicaRepaired
    // applied) has K active members that each confirmed the DEK — at the block carrying the last
    // of those events; an xor content when the new K closest hold the DEK. The indexer's view is
    // checked afterwards (heal_indexed_ms) without polling it while healing.
    const healedBy = async (): Promise<number | undefined> => {
      const [repairs, confirms] = await Promise.all([
        chain.getContractEvents({ address: net.addresses.ContentRegistry, abi: contentRegistryAbi, eventName: "ReplicaRepaired", fromBlock: exitBlock }),
        chain.getContractEvents({ address: net.addresses.ContentRegistry, abi: contentRegistryAbi, eventName: "HoldingConfirmed", fromBlock: 0n }),
      ]);
      const confirmedAt = new Map<string, bigint>();
      for (const l of confirms) {
        const key = `${l.args.contentId}/${lower(l.args.validator!)}`;
        if (!confirmedAt.has(key)) confirmedAt.set(key, l.blockNumber);
      }
      let last = exitSeen;
      let lastRepair = exitSeen;
      let lastXor = exitSeen;
      for (const id of affectedStake) {
        const members = sets.get(id)!.map(lower);
        let block = exitBlock;
        for (const r of repairs.filter((e) => e.args.contentId === id)) {
          members[Number(r.args.slot)] = lower(r.args.replacement!);
          if (r.blockNumber > block) block = r.blockNumber;
        }
        lastRepair = Math.max(lastRepair, seen.get(block) ?? Infinity);
        if (members.length < K || members.some((m) => !remaining.includes(m))) return undefined;
        for (const m of members) {
          const at = confirmedAt.get(`${id}/${m}`);
          if (at === undefined) return undefined;
          if (at > block) block = at;
        }
        const at = seen.get(block);
        if (at === undefined) return undefined;
        last = Math.max(last, at);
      }
      for (const id of affectedXor) {
        const times = xorReplicaSet(id, remaining, K).map((m) => stored.get(id)?.get(m));
        if (times.some((t) => t === undefined)) return undefined;
        lastXor = Math.max(lastXor, ...(times as number[]));
      }
      const repairBlocks = [...new Set(repairs.map((r) => Number(r.blockNumber - exitBlock)))].sort((a, b) => a - b);
      healPhases = { repaired: lastRepair - exitSeen, stakeConfirmed: last - exitSeen, xorStored: lastXor - exitSeen, repairBlocksAfterExit: repairBlocks };
      return Math.max(last, lastXor);
    };
    let healedAt: number | undefined;
    let healPhases: Record<string, unknown> = {};
    const healDeadline = Date.now() + 120_000;
    while ((healedAt = await healedBy()) === undefined) {
      if (Date.now() > healDeadline) {
        await logStats(validators);
        throw new Error("did not heal in 2 minutes");
      }
      await sleep(200);
    }
    // The same, as the indexer answers it (what clients see through /holders).
    let indexedAt = 0;
    for (;;) {
      let done = true;
      for (const id of affectedStake) {
        const res = await fetch(`${net.indexerUrl}/holders/${id}`);
        const body = (await res.json()) as { holders: { node: Address; state: string; inReplicaSet: boolean }[] };
        if (body.holders.filter((h) => h.inReplicaSet && h.state === "confirmed").length < K) {
          done = false;
          break;
        }
      }
      if (done) {
        indexedAt = Date.now();
        break;
      }
      if (Date.now() > healDeadline) throw new Error("the indexer did not show the heal in 2 minutes");
      await sleep(100);
    }
    await logStats(validators);
    log(`heal phases (ms after the exit block): ${JSON.stringify(healPhases)}`);
    log(`healed ${affectedStake.length} stake and ${affectedXor.length} xor contents`);
    watching = false;
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
    watching = false;
    for (const v of validators.reverse()) await v.stop().catch(() => {});
    await net.stop();
    removeTempDirs();
  }
}

await main();
