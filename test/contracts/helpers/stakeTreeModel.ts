import { ethers } from "hardhat";

/** The largest total weight a StakeTree holds. */
export const MAX_TOTAL = 2n ** 32n - 1n;

const coder = ethers.AbiCoder.defaultAbiCoder();

/** The selection offset source of pick `i`: keccak256(abi.encode(seed, i)), as StakeTree computes it. */
export function offsetSource(seed: bigint, i: number): bigint {
  return BigInt(ethers.keccak256(coder.encode(["uint256", "uint256"], [seed, i])));
}

/**
 * A plain reference model of `StakeTree`: a flat array of leaves in the library's allocation
 * order (LIFO reuse of freed leaves, else the next unused one). A draw is the member whose weight
 * interval, laid out in leaf order, contains the offset — what the tree's descent computes — so
 * the model predicts the library's draws and samples exactly without modelling the tree.
 */
export class StakeTreeModel {
  private readonly leaves: { member: string; weight: bigint }[] = [];
  private readonly leafOf = new Map<string, number>();
  private readonly free: number[] = [];

  /** Mirrors `set`; throws where the library reverts with StakeTreeWeightOverflow. */
  set(member: string, weight: bigint): void {
    const key = ethers.getAddress(member);
    const leaf = this.leafOf.get(key);
    const old = leaf === undefined ? 0n : this.leaves[leaf].weight;
    if (this.total() - old + weight > MAX_TOTAL) throw new Error("StakeTreeWeightOverflow");
    if (leaf === undefined) {
      if (weight === 0n) return;
      const fresh = this.free.length > 0 ? this.free.pop()! : this.leaves.length;
      this.leaves[fresh] = { member: key, weight };
      this.leafOf.set(key, fresh);
    } else if (weight === 0n) {
      this.leaves[leaf] = { member: "", weight: 0n };
      this.leafOf.delete(key);
      this.free.push(leaf);
    } else {
      this.leaves[leaf].weight = weight;
    }
  }

  weightOf(member: string): bigint {
    const leaf = this.leafOf.get(ethers.getAddress(member));
    return leaf === undefined ? 0n : this.leaves[leaf].weight;
  }

  total(): bigint {
    return this.leaves.reduce((sum, l) => sum + l.weight, 0n);
  }

  count(): number {
    return this.leafOf.size;
  }

  /** Members with weight > 0, in leaf order. */
  members(): string[] {
    return this.leaves.filter((l) => l.weight > 0n).map((l) => l.member);
  }

  /** Leaves ever allocated (the tree's high-water mark). */
  leafCount(): number {
    return this.leaves.length;
  }

  /** The member `draw(seed)` returns, or undefined where it reverts with StakeTreeEmpty. */
  draw(seed: bigint): string | undefined {
    return this.sample(seed, 1, [])[0];
  }

  /** The members `sample(seed, k, exclude)` returns, in order. */
  sample(seed: bigint, k: number, exclude: string[]): string[] {
    const removed = new Set<number>();
    for (const member of exclude) {
      const leaf = this.leafOf.get(ethers.getAddress(member));
      if (leaf !== undefined) removed.add(leaf);
    }
    let remaining = this.total();
    for (const leaf of removed) remaining -= this.leaves[leaf].weight;
    const chosen: string[] = [];
    for (let i = 0; i < k && remaining > 0n; i++) {
      let r = offsetSource(seed, i) % remaining;
      for (let leaf = 0; leaf < this.leaves.length; leaf++) {
        const { member, weight } = this.leaves[leaf];
        if (removed.has(leaf) || weight === 0n) continue;
        if (r < weight) {
          chosen.push(member);
          removed.add(leaf);
          remaining -= weight;
          break;
        }
        r -= weight;
      }
    }
    return chosen;
  }
}

/** A small deterministic PRNG (mulberry32) so every randomized test replays from its seed. */
export function prng(seed: number): { int(n: number): number; chance(p: number): boolean } {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 2 ** 32;
  };
  return { int: (n) => Math.floor(next() * n), chance: (p) => next() < p };
}
