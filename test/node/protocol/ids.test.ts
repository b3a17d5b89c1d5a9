import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { getAddress, type Address } from "viem";
import { checksumAddress, hasBadChecksum, isAddress, isBytes32, isCanonicalContentId, isContentId, toContentId } from "../../../node/protocol/ids.js";

describe("ids", () => {
  const id = `0x${"Ab".repeat(32)}`;

  it("a content id is 0x and 64 hex digits of either case; its canonical form is lowercase", () => {
    assert.equal(isContentId(id), true);
    assert.equal(toContentId(id as `0x${string}`), id.toLowerCase());
    assert.equal(isCanonicalContentId(id), false);
    assert.equal(isCanonicalContentId(id.toLowerCase()), true);
    for (const bad of [id.slice(0, -1), `${id}0`, id.replace("0x", "0X"), `0x${"g".repeat(64)}`, id.slice(2), 1, null, undefined, {}]) {
      assert.equal(isContentId(bad), false, String(bad));
      assert.equal(isBytes32(bad), false, String(bad));
    }
  });

  it("an address is 0x and 40 hex digits of either case", () => {
    assert.equal(isAddress(`0x${"aB".repeat(20)}`), true);
    for (const bad of [`0x${"a".repeat(39)}`, `0x${"a".repeat(41)}`, `0x${"z".repeat(40)}`, "", 0, null]) {
      assert.equal(isAddress(bad), false, String(bad));
    }
  });
});

describe("checksumAddress", () => {
  it("is viem's getAddress (EIP-55) for any address, whatever its case", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), fc.constantFrom("lower", "upper"), (bytes, casing) => {
        const hex = Buffer.from(bytes).toString("hex");
        const address = `0x${casing === "lower" ? hex : hex.toUpperCase()}` as Address;
        assert.equal(checksumAddress(address), getAddress(address));
      }),
      { numRuns: 500 },
    );
  });

  it("a bad checksum is one only in mixed case", () => {
    const good = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8" as Address;
    assert.equal(hasBadChecksum(good), false);
    assert.equal(hasBadChecksum(good.toLowerCase() as Address), false);
    assert.equal(hasBadChecksum(`0x${good.slice(2).toUpperCase()}` as Address), false);
    assert.equal(hasBadChecksum("0x70997970c51812dc3A010C7d01b50e0d17dc79C8" as Address), true);
  });
});
