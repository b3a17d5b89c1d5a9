/** The validator's accounts sign exactly what viem's private-key accounts sign. */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { bytesToHex, keccak256, parseGwei, type Hex, type TransactionSerializable } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { keccakOfHex, localAccount } from "../../../node/chain/account.js";

describe("localAccount", () => {
  const privateKey = bytesToHex(randomBytes(32));
  const ours = localAccount(privateKey);
  const viems = privateKeyToAccount(privateKey);

  it("has viem's address and signs every transaction type byte for byte as viem does", async () => {
    assert.equal(ours.address, viems.address);
    const to = viems.address;
    const data = bytesToHex(randomBytes(64_000));
    const transactions: TransactionSerializable[] = [
      { chainId: 31337, type: "eip1559", to, data, gas: 3_100_000n, nonce: 7, maxFeePerGas: parseGwei("2"), maxPriorityFeePerGas: parseGwei("1") },
      { chainId: 31337, type: "eip1559", to, data: "0x", gas: 21_000n, nonce: 0, maxFeePerGas: 1n, maxPriorityFeePerGas: 1n, value: 5n },
      { chainId: 1, type: "eip2930", to, data: bytesToHex(randomBytes(300)), gas: 50_000n, nonce: 1, gasPrice: parseGwei("3"), accessList: [] },
      { chainId: 1, type: "legacy", to, data: bytesToHex(randomBytes(33)), gas: 50_000n, nonce: 2, gasPrice: parseGwei("3") },
    ];
    for (const transaction of transactions) {
      assert.equal(await ours.signTransaction(transaction), await viems.signTransaction(transaction), transaction.type);
    }
  });

  it("keccakOfHex is viem's keccak256 of hex", () => {
    for (const length of [0, 1, 135, 136, 137, 64_000]) {
      const data: Hex = bytesToHex(randomBytes(length));
      assert.equal(keccakOfHex(data), keccak256(data));
    }
  });
});
