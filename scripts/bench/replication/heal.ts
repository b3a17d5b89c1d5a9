/**
 * The heal phase of bench:replication: the validator with the most stake slots exits; measured
 * from its exit block being seen until every affected content has K holders again, on chain
 * and then in the indexer.
 */
import { createWalletClient, http, type Address, type Hex } from "viem";
import { hardhat } from "viem/chains";
import { contentRegistryAbi, validatorRegistryAbi } from "../../../node/chain/index.js";
import { devAccount } from "../../../node/devnet/index.js";
import { xorReplicaSet } from "../../../node/validator/replication/index.js";
import { K, log, lower, sleep, type Bench } from "./common.js";
import type { Registration } from "./converge.js";
import { logStats, type BenchNode } from "./nodes.js";

/** Date.now() times: the exit block seen, healed on chain, healed in the indexer. */
export interface HealTimes {
  exitSeen: number;
  healedAt: number;
  indexedAt: number;
}

interface Exit {
  leaver: BenchNode;
  /** The validators that stay, lower-case. */
  remaining: Address[];
  affectedStake: Hex[];
  affectedXor: Hex[];
  exitBlock: bigint;
  exitSeen: number;
}

export async function healAfterExit(bench: Bench, registrations: Registration[]): Promise<HealTimes> {
  const exit = await exitBusiestValidator(bench, registrations);
  const healDeadline = Date.now() + 120_000;
  let healed: { at: number; phases: Record<string, unknown> } | undefined;
  while ((healed = await healedBy(bench, exit)) === undefined) {
    if (Date.now() > healDeadline) {
      await logStats(bench.validators);
      throw new Error("did not heal in 2 minutes");
    }
    await sleep(200);
  }
  const indexedAt = await awaitIndexedHeal(bench, exit.affectedStake, healDeadline);
  await logStats(bench.validators);
  log(`heal phases (ms after the exit block): ${JSON.stringify(healed.phases)}`);
  log(`healed ${exit.affectedStake.length} stake and ${exit.affectedXor.length} xor contents`);
  return { exitSeen: exit.exitSeen, healedAt: healed.at, indexedAt };
}

/** The validator with the most stake slots requests its exit; resolves once its exit block is seen. */
async function exitBusiestValidator({ net, chain, validators, blocks, replicaSets: sets }: Bench, registrations: Registration[]): Promise<Exit> {
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
  while (!blocks.seen.has(exitBlock)) await sleep(10);
  return { leaver, remaining, affectedStake, affectedXor, exitBlock, exitSeen: blocks.seen.get(exitBlock)! };
}

/**
 * Healed, like convergence, as seen on chain: a stake content when its set (ReplicaRepaired
 * applied) has K active members that each confirmed the DEK — at the block carrying the last
 * of those events; an xor content when the new K closest hold the DEK. The indexer's view is
 * checked afterwards (heal_indexed_ms) without polling it while healing. Undefined until healed.
 */
async function healedBy(
  { net, chain, blocks, stored, replicaSets: sets }: Bench,
  { remaining, affectedStake, affectedXor, exitBlock, exitSeen }: Exit,
): Promise<{ at: number; phases: Record<string, unknown> } | undefined> {
  const { seen } = blocks;
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
  const phases = { repaired: lastRepair - exitSeen, stakeConfirmed: last - exitSeen, xorStored: lastXor - exitSeen, repairBlocksAfterExit: repairBlocks };
  return { at: Math.max(last, lastXor), phases };
}

/** The same heal as the indexer answers it (what clients see through /holders): when it shows K confirmed members. */
async function awaitIndexedHeal({ net }: Bench, affectedStake: Hex[], deadline: number): Promise<number> {
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
    if (done) return Date.now();
    if (Date.now() > deadline) throw new Error("the indexer did not show the heal in 2 minutes");
    await sleep(100);
  }
}
