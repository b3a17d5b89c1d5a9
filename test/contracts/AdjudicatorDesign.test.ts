// The measured piece of the decrypting bad-answer proof that docs/challenges.md describes but
// does not build: one P-256 scalar multiplication on chain (the ECDH of a revealed one-time key
// with an envelope's ephemeral key), from OpenZeppelin's public-key recovery.
import { expect } from "chai";
import { ethers } from "hardhat";
import { p256 } from "@noble/curves/nist.js";

describe("Adjudicator design: P-256 scalar multiplication on chain", () => {
  it("computes k·P as @noble/curves does, and costs what the docs say", async () => {
    const harness = await (await ethers.getContractFactory("P256MulHarness")).deploy();
    const gas: bigint[] = [];
    for (let i = 0; i < 5; i++) {
      const point = p256.Point.fromBytes(p256.getPublicKey(p256.utils.randomSecretKey())).toBytes(false);
      const k = BigInt(ethers.hexlify(p256.utils.randomSecretKey()));
      const [px, py] = [ethers.hexlify(point.slice(1, 33)), ethers.hexlify(point.slice(33))];
      const expected = p256.Point.fromBytes(point).multiply(k).toBytes(false);
      const [x, y] = await harness.mul(px, py, k);
      expect([x, y]).to.deep.equal([ethers.hexlify(expected.slice(1, 33)), ethers.hexlify(expected.slice(33))]);
      gas.push((await harness.mul.estimateGas(px, py, k)) - 21_000n);
    }
    console.log(`      P-256 k·P via P256.recovery: ${gas.join(", ")} gas`);
    // docs/challenges.md: about 220,000–232,000 gas each.
    for (const g of gas) expect(Number(g)).to.be.within(200_000, 260_000);
  });
});
