/** The validator's table of open epochs: acceptance with grace, bounded memory, and the counter replay window. */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import fc from "fast-check";
import { bytesToHex, type Address } from "viem";
import type { EpochKeys } from "../../../../node/crypto/envelopes/index.js";
import { EpochTable, ReplayWindow } from "../../../../node/validator/rewrap/epochs.js";

const ALICE: Address = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const BOB: Address = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";

function keys(epoch: bigint): EpochKeys {
  return { epochId: randomBytes(32), epoch, wrapKey: randomBytes(32), macKey: randomBytes(32) };
}

describe("replay window", () => {
  it("accepts each counter once, out of order within the window, and nothing below it (model: a set of all counters seen)", () => {
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: 0n, max: 300n }), { maxLength: 400 }), fc.constantFrom(8, 64, 128), (counters, size) => {
        const window = new ReplayWindow(size);
        const seen = new Set<bigint>();
        let top = 0n;
        for (const counter of counters) {
          const expected = !seen.has(counter) && counter >= top - BigInt(size);
          assert.equal(window.accept(counter), expected, `counter ${counter}, top ${top}, size ${size}`);
          if (expected) {
            seen.add(counter);
            if (counter >= top) top = counter + 1n;
          }
        }
      }),
    );
  });

  it("a jump past the whole window forgets everything below it", () => {
    const window = new ReplayWindow(64);
    assert.equal(window.accept(5n), true);
    assert.equal(window.accept((1n << 63n) + 5n), true);
    assert.equal(window.accept(5n), false);
    assert.equal(window.accept((1n << 63n) + 5n), false);
    assert.equal(window.accept((1n << 63n) - 10n), true);
  });
});

describe("epoch table", () => {
  const table = () => new EpochTable({ epochLengthS: 300, graceS: 60, maxEpochs: 5, maxEpochsPerAccount: 2, replayWindow: 64 });

  it("serves the current epoch, and the previous one only during the grace period", () => {
    const t = table();
    const k = keys(10n);
    t.open({ keys: k, account: ALICE });
    const id = bytesToHex(k.epochId);
    assert.equal(t.take(id, 0n, 3000).ok, true);
    assert.equal(t.take(id, 1n, 3299).ok, true);
    assert.equal(t.take(id, 2n, 3359).ok, true, "previous epoch within grace");
    assert.deepEqual(t.take(id, 3n, 3360), { ok: false, refusal: "EPOCH_RETIRED" });
    assert.deepEqual(t.take(id, 4n, 3000), { ok: false, refusal: "EPOCH_UNKNOWN" }, "a retired epoch is dropped");
    assert.equal(k.wrapKey.every((b) => b === 0) && k.macKey.every((b) => b === 0), true, "dropped keys are wiped");
  });

  it("refuses a counter served before; peek uses none", () => {
    const t = table();
    const k = keys(10n);
    t.open({ keys: k, account: ALICE });
    const id = bytesToHex(k.epochId);
    assert.equal(t.peek(id, 3000).ok, true);
    assert.equal(t.take(id, 7n, 3000).ok, true);
    assert.deepEqual(t.take(id, 7n, 3000), { ok: false, refusal: "EPOCH_REPLAYED" });
    assert.equal(t.take(id, 6n, 3000).ok, true);
  });

  it("keeps at most maxEpochsPerAccount per account (oldest first) and maxEpochs in all (least recently used first)", () => {
    const t = table();
    const a = [keys(10n), keys(10n), keys(10n)];
    for (const k of a) t.open({ keys: k, account: ALICE });
    assert.equal(t.size, 2);
    assert.equal(t.peek(bytesToHex(a[0]!.epochId), 3000).ok, false);
    const b = Array.from({ length: 4 }, () => keys(10n));
    t.open({ keys: b[0]!, account: BOB });
    t.open({ keys: b[1]!, account: BOB });
    // Alice's a[1] is used, so her a[2] is the least recently used when the table fills.
    assert.equal(t.peek(bytesToHex(a[1]!.epochId), 3000).ok, true);
    t.open({ keys: keys(10n), account: "0x90F79bf6EB2c4f870365E785982E1f101E93b906" });
    t.open({ keys: keys(10n), account: "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65" });
    assert.equal(t.size, 5);
    assert.equal(t.peek(bytesToHex(a[2]!.epochId), 3000).ok, false);
    assert.equal(t.peek(bytesToHex(a[1]!.epochId), 3000).ok, true);
  });

  it("sweep drops every retired epoch", () => {
    const t = table();
    t.open({ keys: keys(9n), account: ALICE });
    t.open({ keys: keys(10n), account: BOB });
    assert.equal(t.sweep(3000), 0, "epoch 9 is within grace at the start of epoch 10");
    assert.equal(t.sweep(3060), 1);
    assert.equal(t.size, 1);
  });

  it("error: options that cannot work", () => {
    assert.throws(() => new EpochTable({ epochLengthS: 60, graceS: 60 }), RangeError);
    assert.throws(() => new ReplayWindow(12), RangeError);
  });
});
