import { createHash } from "node:crypto";
import type { RandomBytes } from "../../../../node/crypto/threshold/index.js";

/** A deterministic byte stream (SHA-256 in counter mode over a seed), for known-answer dealings. */
export function seededRandomBytes(seed: string): RandomBytes {
  let counter = 0;
  return (length) => {
    const out = new Uint8Array(length);
    for (let offset = 0; offset < length; offset += 32) {
      const block = createHash("sha256").update(seed).update(String(counter++)).digest();
      out.set(block.subarray(0, Math.min(32, length - offset)), offset);
    }
    return out;
  };
}

/** `count` of `items`, taken in the order of their `keys` (fast-check draws the keys, so any subset can come up). */
export function pick<T>(items: readonly T[], keys: readonly number[], count: number): T[] {
  return items
    .map((item, i) => ({ item, key: keys[i] ?? i }))
    .sort((a, b) => a.key - b.key)
    .slice(0, count)
    .map(({ item }) => item);
}
