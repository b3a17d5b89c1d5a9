/** threshold(m, n) in a policy's k byte, as contracts/types/DekmeshTypes.sol `thresholdOf` reads it. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { isThreshold, thresholdK, thresholdOf } from "../../../node/protocol/threshold.js";

describe("threshold policy encoding", () => {
  it("every 2 ≤ m ≤ n ≤ 16 packs into a distinct k and back", () => {
    const seen = new Set<number>();
    for (let n = 1; n <= 17; n++) {
      for (let m = 0; m <= n + 1; m++) {
        const k = thresholdK(m, n);
        assert.equal(k !== undefined, isThreshold(m, n), `m=${m} n=${n}`);
        if (k === undefined) continue;
        assert.ok(k >= 16 && k <= 0xff && !seen.has(k));
        seen.add(k);
        assert.deepEqual(thresholdOf(k), { m, n });
      }
    }
    assert.equal(seen.size, (15 * 16) / 2);
  });

  it("the Solidity decodes k the same way", () => {
    const sol = readFileSync(new URL("../../../contracts/types/DekmeshTypes.sol", import.meta.url), "utf8");
    assert.match(sol, /m = uint256\(k >> 4\) \+ 1;/);
    assert.match(sol, /n = uint256\(k & 0x0f\) \+ 1;/);
  });
});
