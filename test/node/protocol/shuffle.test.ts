/** shuffle: a permutation of its input, in place, every order about equally often. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { shuffle } from "../../../node/protocol/shuffle.js";

describe("shuffle", () => {
  it("returns the same array, holding the same items", () => {
    const items = Array.from({ length: 50 }, (_, i) => i);
    const shuffled = shuffle(items);
    assert.equal(shuffled, items);
    assert.deepEqual([...shuffled].sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i));
    assert.deepEqual(shuffle([]), []);
    assert.deepEqual(shuffle(["only"]), ["only"]);
  });

  it("draws each of the 24 orders of four items about equally often", () => {
    const runs = 48_000;
    const counts = new Map<string, number>();
    for (let i = 0; i < runs; i++) {
      const order = shuffle(["a", "b", "c", "d"]).join("");
      counts.set(order, (counts.get(order) ?? 0) + 1);
    }
    assert.equal(counts.size, 24);
    // Chi-square over 23 degrees of freedom: 60 is beyond its 0.99995 quantile (≈ 53.7 at 0.9999);
    // a shuffle biased as the naive swap-with-any-index one exceeds it by far.
    const expected = runs / 24;
    const chiSquare = [...counts.values()].reduce((sum, n) => sum + (n - expected) ** 2 / expected, 0);
    assert.ok(chiSquare < 60, `chi-square ${chiSquare.toFixed(1)}`);
  });
});
