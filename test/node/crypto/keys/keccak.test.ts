/**
 * Keccak-256 in WebAssembly against the libraries it replaces (@noble/hashes, viem) on the same
 * seeded inputs, and against published vectors.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { keccak256 as viemKeccak256 } from "viem";
import { keccak256 } from "../../../../node/crypto/keys/keccak.js";
import { seededBytes } from "../../helpers/prng.js";

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

describe("keccak256 (WebAssembly)", () => {
  it("matches the published vectors", () => {
    assert.equal(hex(keccak256(new Uint8Array())), "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
    assert.equal(hex(keccak256(Buffer.from("abc"))), "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
    // keccak256("transfer(address,uint256)"): the ERC-20 selector a9059cbb.
    assert.equal(hex(keccak256(Buffer.from("transfer(address,uint256)"))).slice(0, 8), "a9059cbb");
  });

  it("matches @noble/hashes and viem on every length from 0 to 600 bytes (block boundaries at 135, 136, 137, 271, 272)", () => {
    for (let length = 0; length <= 600; length++) {
      const data = seededBytes(length, length + 1);
      const expected = hex(keccak_256(data));
      assert.equal(hex(keccak256(data)), expected, `length ${length}`);
      assert.equal(`0x${expected}`, viemKeccak256(data), `viem agrees, length ${length}`);
    }
  });

  it("matches viem on the sizes the validator hashes, several inputs each (digests, calldata, audit transactions)", () => {
    for (const length of [20, 32, 33, 64, 66, 135, 136, 137, 160, 1_023, 1_024, 1_025, 4_096, 46_000, 92_000]) {
      for (let seed = 1; seed <= 3; seed++) {
        const data = seededBytes(length, length * 7 + seed);
        assert.equal(`0x${hex(keccak256(data))}`, viemKeccak256(data), `length ${length}, seed ${seed}`);
      }
    }
  });

  it("grows its memory for large inputs and keeps no state between calls", () => {
    const large = seededBytes(300_000, 300);
    const small = seededBytes(40, 40);
    const first = hex(keccak256(small));
    assert.equal(hex(keccak256(large)), hex(keccak_256(large)));
    assert.equal(hex(keccak256(small)), first);
    // A view into a larger buffer hashes only its own bytes.
    assert.equal(hex(keccak256(large.subarray(1000, 1200))), hex(keccak_256(large.subarray(1000, 1200))));
  });

  it("returns a copy the next call does not overwrite", () => {
    const a = keccak256(Buffer.from("a"));
    const before = hex(a);
    keccak256(Buffer.from("b"));
    assert.equal(hex(a), before);
  });
});
