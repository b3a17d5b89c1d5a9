/** Keccak-256 in WebAssembly against @noble/hashes and published vectors. */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { keccak256 } from "../../../../node/crypto/keys/keccak.js";

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

describe("keccak256 (WebAssembly)", () => {
  it("matches the published vectors", () => {
    assert.equal(hex(keccak256(new Uint8Array())), "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
    assert.equal(hex(keccak256(Buffer.from("abc"))), "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
    // keccak256("transfer(address,uint256)"): the ERC-20 selector a9059cbb.
    assert.equal(hex(keccak256(Buffer.from("transfer(address,uint256)"))).slice(0, 8), "a9059cbb");
  });

  it("matches @noble/hashes on every length from 0 to 600 bytes (block boundaries at 135, 136, 137, 271, 272)", () => {
    for (let length = 0; length <= 600; length++) {
      const data = randomBytes(length);
      assert.equal(hex(keccak256(data)), hex(keccak_256(data)), `length ${length}`);
    }
  });

  it("grows its memory for large inputs and keeps no state between calls", () => {
    const large = randomBytes(300_000);
    const small = randomBytes(40);
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
