/** "threshold:M/N" as the SDK and the CLI read it (node/protocol/threshold.ts parseThresholdSpec). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseThresholdSpec, thresholdK } from "../../../node/protocol/threshold.js";

describe("parseThresholdSpec", () => {
  it("reads m and n of every threshold:M/N with 2 ≤ M ≤ N ≤ 16, and nothing else", () => {
    for (let n = 0; n <= 17; n++) {
      for (let m = 0; m <= 17; m++) {
        const parsed = parseThresholdSpec(`threshold:${m}/${n}`);
        assert.deepEqual(parsed, thresholdK(m, n) === undefined ? undefined : { m, n }, `threshold:${m}/${n}`);
      }
    }
    assert.deepEqual(parseThresholdSpec("threshold:03/05"), { m: 3, n: 5 });
  });

  it("is undefined for other specs and malformed text", () => {
    for (const text of ["all", "stake:3", "threshold", "threshold:", "threshold:3", "threshold:3-5", "threshold:x/5", "threshold:3/5 ", " threshold:3/5", "threshold:003/5", "threshold:3/5/7", "Threshold:3/5"]) {
      assert.equal(parseThresholdSpec(text), undefined, JSON.stringify(text));
    }
  });
});
