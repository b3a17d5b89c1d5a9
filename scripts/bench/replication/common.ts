/**
 * What the phases of bench:replication share: the run's context (Bench), its clocks of when each
 * block was seen on chain and in the indexer, and small helpers.
 */
import { createPublicClient, http, type Address, type Hex } from "viem";
import { hardhat } from "viem/chains";
import type { Net } from "../../../test/node/validator/helpers.js";
import type { BenchNode } from "./nodes.js";

export const K = 3;
export const lower = (a: string) => a.toLowerCase() as Address;
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const log = (message: string) => process.stderr.write(`[bench:replication] ${message}\n`);

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

export function benchChain(url: string) {
  return createPublicClient({ chain: hardhat, transport: http(url) });
}
export type BenchChain = ReturnType<typeof benchChain>;

/** When (this process's clock) each validator stored each DEK: content id → validator → ms. */
export type StoredTimes = Map<Hex, Map<Address, number>>;

/** When each block was first seen, on chain (polled every 20 ms) and in the indexer (every 50 ms). */
export interface BlockTimes {
  seen: Map<bigint, number>;
  /** Diagnostics of where convergence time goes. */
  indexed: Map<bigint, number>;
  stop(): void;
}

export interface Bench {
  net: Net;
  chain: BenchChain;
  validators: BenchNode[];
  blocks: BlockTimes;
  stored: StoredTimes;
  /** Stake replica sets as the indexer reports them, fetched during convergence and reused by the heal. */
  replicaSets: Map<Hex, Address[]>;
}

export function watchBlocks(chain: BenchChain, indexerUrl: string): BlockTimes {
  const seen = new Map<bigint, number>();
  const indexed = new Map<bigint, number>();
  let watching = true;
  void (async () => {
    while (watching) {
      const n = await chain.getBlockNumber({ cacheTime: 0 }).catch(() => undefined);
      if (n !== undefined) for (let b = n; b >= 0n && !seen.has(b); b--) seen.set(b, Date.now());
      await sleep(20);
    }
  })();
  void (async () => {
    while (watching) {
      const body = (await fetch(`${indexerUrl}/head`).then((r) => r.json()).catch(() => undefined)) as { block?: { number: number } } | undefined;
      const n = body?.block?.number;
      if (n !== undefined) for (let b = BigInt(n); b >= 0n && !indexed.has(b); b--) indexed.set(b, Date.now());
      await sleep(50);
    }
  })();
  return {
    seen,
    indexed,
    stop: () => {
      watching = false;
    },
  };
}

/** A content's stake replica set from the indexer's /holders (cached), or undefined while not indexed. */
export async function memberSet(bench: Bench, id: Hex): Promise<Address[] | undefined> {
  const sets = bench.replicaSets;
  if (!sets.has(id)) {
    const res = await fetch(`${bench.net.indexerUrl}/holders/${id}`);
    const body = (await res.json()) as { replication?: { replicaSet: (Address | null)[] } };
    if (body.replication === undefined) return undefined; // not indexed yet
    sets.set(id, body.replication.replicaSet.filter((m): m is Address => m !== null));
  }
  return sets.get(id);
}
