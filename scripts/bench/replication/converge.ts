/**
 * The convergence phase of bench:replication: register a steady stream of contents, then wait
 * until every content has K holders, measured from its registration block (with confirmations)
 * being seen.
 */
import { performance, type EventLoopUtilization } from "node:perf_hooks";
import { createWalletClient, http, type Address, type Hex, type HDAccount } from "viem";
import { hardhat } from "viem/chains";
import { contentRegistryAbi } from "../../../node/chain/index.js";
import { xorReplicaSet } from "../../../node/validator/replication/index.js";
import { K, log, lower, memberSet, percentile, sleep, type Bench } from "./common.js";
import { logStats } from "./nodes.js";

export interface Registration {
  contentId: Hex;
  mode: "stake" | "xor";
  hash: Hex;
  initial: Address;
}

export interface Stream {
  registrations: Registration[];
  /** The block each content was registered in. */
  receipts: Map<Hex, bigint>;
  /** The block with the registration's last confirmation: where a content's convergence time starts. */
  finalBlock(id: Hex): bigint;
  /** When finalBlock(id) was seen. */
  finalAt(id: Hex): number;
  /** The event loop's utilization when the stream started. */
  loopAtStart: EventLoopUtilization;
}

/** Convergence times (ms after finalAt) by mode, and the blocks a stake content's 3rd confirmation took. */
export interface Convergence {
  stake: number[];
  xor: number[];
  stakeBlocks: number[];
}

/**
 * Registers `contents` contents as a steady stream of `perSecond` (nonces counted here,
 * receipts awaited afterwards), so convergence is measured under a stated load rather than at
 * whatever rate this loop happens to reach. Alternates modes and initial validators.
 */
export async function registerStream(
  bench: Bench,
  publisher: HDAccount,
  policies: { stake: bigint; xor: bigint },
  { contents, perSecond }: { contents: number; perSecond: number },
): Promise<Stream> {
  const { net, chain, validators } = bench;
  const wallet = createWalletClient({ chain: hardhat, transport: http(net.stack.chain.url), account: publisher });
  let nonce = await chain.getTransactionCount({ address: publisher.address, blockTag: "pending" });
  // Fees fixed for the whole stream (twice the current estimate), so the bench's own
  // transactions add one broadcast each to the chain's load, not two fee reads as well.
  const fees = await chain.estimateFeesPerGas();
  const maxPriorityFeePerGas = fees.maxPriorityFeePerGas * 2n;
  const maxFeePerGas = fees.maxFeePerGas * 2n;
  const registrations: Registration[] = [];
  const streamStart = Date.now();
  const loopAtStart = performance.eventLoopUtilization();
  for (let i = 0; i < contents; i++) {
    const wait = streamStart + (i * 1_000) / perSecond - Date.now();
    if (wait > 0) await sleep(wait);
    const mode = i % 2 === 0 ? "stake" : "xor";
    const initial = validators[i % validators.length]!;
    const { header, cid, contentId } = await net.prepareContentFor(policies[mode], initial.initial);
    const hash = await wallet.writeContract({
      address: net.addresses.ContentRegistry,
      abi: contentRegistryAbi,
      functionName: "register",
      args: [cid, policies[mode], initial.address, header, "0x"],
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
  const finalBlock = (id: Hex) => receipts.get(id)! + BigInt(confirmations - 1);
  return { registrations, receipts, finalBlock, finalAt: (id) => bench.blocks.seen.get(finalBlock(id))!, loopAtStart };
}

/** Polls every 500 ms until every content has converged; after 3 minutes logs what is lacking and throws. */
export async function awaitConvergence(bench: Bench, stream: Stream): Promise<Convergence> {
  const converged = convergenceProbe(bench, stream);
  let result: Convergence | undefined;
  const deadline = Date.now() + 180_000;
  while (!(result = await converged())) {
    if (Date.now() > deadline) {
      await logStats(bench.validators);
      await logLacking(bench, stream.registrations);
      throw new Error("replication did not converge in 3 minutes");
    }
    await sleep(500);
  }
  return result;
}

/**
 * The convergence check: undefined until every content has K holders — for stake, the block
 * carrying the 3rd member's HoldingConfirmed is seen; for xor, the 3rd member has stored the DEK.
 */
function convergenceProbe(bench: Bench, stream: Stream): () => Promise<Convergence | undefined> {
  const { net, chain, validators, stored } = bench;
  const { seen } = bench.blocks;
  // HoldingConfirmed logs read incrementally: a scan from block 0 twice a second was a growing
  // load on the same chain the validators send their confirmations to.
  const confirmedAt = new Map<Hex, Map<Address, bigint>>();
  let logsFrom = 0n;
  return async () => {
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
    for (const r of stream.registrations) {
      if (r.mode === "stake") {
        const members = (await memberSet(bench, r.contentId)) ?? [];
        const blocks = members.map((m) => confirmedAt.get(r.contentId)?.get(m));
        if (members.length < K || blocks.some((b) => b === undefined || !seen.has(b))) return undefined;
        const last = blocks.reduce((a, b) => (b! > a! ? b : a))!;
        stake.push(seen.get(last)! - stream.finalAt(r.contentId));
        stakeBlocks.push(Number(last! - stream.receipts.get(r.contentId)!));
      } else {
        const members = xorReplicaSet(r.contentId, active, K);
        const times = members.map((m) => stored.get(r.contentId)?.get(m));
        // The initial validator derives rather than pulls; it counts when it is a member.
        if (times.some((t) => t === undefined)) return undefined;
        xor.push(Math.max(...(times as number[])) - stream.finalAt(r.contentId));
      }
    }
    return { stake, xor, stakeBlocks };
  };
}

async function logLacking(bench: Bench, registrations: Registration[]): Promise<void> {
  for (const r of registrations) {
    const members = r.mode === "stake" ? ((await memberSet(bench, r.contentId)) ?? []) : xorReplicaSet(r.contentId, bench.validators.map((v) => lower(v.address)), K);
    const lacking = members.filter((m) => !bench.stored.get(r.contentId)?.has(m));
    if (lacking.length > 0) log(`${r.mode} ${r.contentId.slice(0, 10)} lacks ${lacking.map((m) => m.slice(0, 8)).join(",")}`);
  }
}

/**
 * Where the time goes, p50 from the registration block being seen: indexed, derived by the
 * initial validator, 3rd replica stored (the rest of stake is the confirmation's block).
 */
export function logWhereTimeGoes(bench: Bench, stream: Stream, result: Convergence, inProcess: boolean): void {
  const { registrations } = stream;
  const since = (id: Hex, t: number | undefined) => (t === undefined ? NaN : t - stream.finalAt(id));
  const p50 = (values: number[]) => percentile(values.filter((v) => !Number.isNaN(v)), 50);
  const blocksIndexed = registrations.map((r) => since(r.contentId, bench.blocks.indexed.get(stream.finalBlock(r.contentId))));
  const derivedAt = registrations.map((r) => since(r.contentId, bench.stored.get(r.contentId)?.get(r.initial)));
  const third = registrations.map((r) => {
    const times = [...(bench.stored.get(r.contentId)?.values() ?? [])].sort((a, b) => a - b);
    return since(r.contentId, times[K - 1]);
  });
  log(`p50 after the registration block: indexed ${p50(blocksIndexed)} ms, derived ${p50(derivedAt)} ms, 3rd stored ${p50(third)} ms`);
  const inBlocks = new Map<number, number>();
  for (const b of result.stakeBlocks) inBlocks.set(b, (inBlocks.get(b) ?? 0) + 1);
  log(`stake: contents whose 3rd confirmation landed n blocks after the registration ${JSON.stringify(Object.fromEntries([...inBlocks].sort((a, b) => a[0] - b[0])))}`);
  if (inProcess) log(`this process's event loop busy ${(performance.eventLoopUtilization(stream.loopAtStart).utilization * 100).toFixed(0)} % from the stream's start to convergence`);
}
