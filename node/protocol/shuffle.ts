/**
 * Random order, in one place: the order a reader tries a content's holders in, a forwarder its
 * holders, replication its sources, and the DHT seeds a node dials — each spreads load by not
 * asking everyone in the same order. Web Crypto's generator (in Node and browsers alike), with
 * rejection sampling so every order is equally likely.
 */

const WORD = 2 ** 32;
const word = new Uint32Array(1);

/** A uniform integer in [0, n), 1 ≤ n ≤ 2^32. */
function randomBelow(n: number): number {
  // The largest multiple of n a 32-bit word reaches: words at or above it would favour small results.
  const limit = WORD - (WORD % n);
  for (;;) {
    crypto.getRandomValues(word);
    if (word[0]! < limit) return word[0]! % n;
  }
}

/** Shuffles `items` in place (Fisher–Yates) and returns it. */
export function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomBelow(i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
