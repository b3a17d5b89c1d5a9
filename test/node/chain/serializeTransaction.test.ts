/**
 * node/chain/serializeTransaction.ts gives viem's serializeTransaction's bytes for every EIP-1559
 * transaction, signed or not, and refuses what viem refuses. RLP's edges are where an encoder
 * goes wrong: a single byte below 0x80, lengths 55 and 56 (short and long headers), zero as no
 * bytes, and leading zero bytes in r and s.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  bytesToHex,
  serializeTransaction,
  type Address,
  type Hex,
  type Signature,
  type TransactionSerializableEIP1559,
} from "viem";
import { serializeTransactionFast } from "../../../node/chain/serializeTransaction.js";
import { prng, seededBytes } from "../helpers/prng.js";

const uint = (max: bigint) => fc.oneof(fc.constant(0n), fc.constant(1n), fc.constant(0x7fn), fc.constant(0x80n), fc.bigInt({ min: 0n, max }));
const bytes = fc.oneof(
  fc.uint8Array({ minLength: 0, maxLength: 3 }),
  fc.constantFrom(54, 55, 56, 255, 256, 1_000).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })),
  fc.uint8Array({ minLength: 0, maxLength: 70_000 }).filter((b) => b.length % 7 === 0),
);
const word = fc.uint8Array({ minLength: 32, maxLength: 32 }).chain((b) => fc.nat({ max: 31 }).map((zeros) => bytesToHex(b.fill(0, 0, zeros))));

const transaction = fc.record(
  {
    chainId: fc.integer({ min: 1, max: 2 ** 40 }),
    nonce: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2 ** 48 })),
    maxFeePerGas: uint(1n << 128n),
    gas: uint(1n << 64n),
    to: fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => bytesToHex(b) as Address),
    value: uint((1n << 256n) - 1n),
    data: bytes.map((b) => bytesToHex(b)),
  },
  { requiredKeys: ["chainId"] },
).chain((tx) =>
  fc.bigInt({ min: 0n, max: tx.maxFeePerGas ?? 0n }).map((tip) => ({ ...tx, type: "eip1559" as const, maxPriorityFeePerGas: tip })),
);
const signature = fc.record({ r: word, s: word, yParity: fc.constantFrom(0, 1) }).map((s) => s as Signature);

/** The same transactions on every run, so a failure names a case that reproduces. */
function seeded(seed: number) {
  const next = prng(seed);
  const bytes = (n: number) => seededBytes(n, Math.floor(next() * 2 ** 32));
  const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)]!;
  return { bytes, pick };
}

describe("serializeTransactionFast", () => {
  it("gives viem's bytes for EIP-1559 transactions, unsigned and signed", () => {
    fc.assert(
      fc.property(transaction, fc.option(signature, { nil: undefined }), (tx, sig) => {
        assert.equal(serializeTransactionFast(tx, sig), serializeTransaction(tx, sig));
      }),
      { numRuns: 300 },
    );
  });

  it("gives viem's bytes for seeded transactions of the shapes the node sends (audit and holdings batches) and RLP's edges", () => {
    const { bytes, pick } = seeded(0x5eed);
    // Calldata: none, one byte below and above 0x80, the 55/56 header edge, a holdings batch, audit batches.
    const sizes = [0, 1, 2, 54, 55, 56, 255, 256, 1_024, 16_036, 46_000, 92_000];
    const uints = [0n, 1n, 0x7fn, 0x80n, 0xffn, 0x100n, 2n ** 32n, 2n ** 64n - 1n, 2n ** 128n];
    for (let i = 0; i < 240; i++) {
      const size = sizes[i % sizes.length]!;
      const data = size === 1 ? Uint8Array.of(pick([0x00, 0x7f, 0x80, 0xff])) : bytes(size);
      const maxFeePerGas = pick(uints);
      const tx: TransactionSerializableEIP1559 = {
        type: "eip1559",
        chainId: pick([1, 31_337, 2 ** 32 + 1]),
        nonce: pick([0, 1, 127, 128, 255, 256, 65_535, 2 ** 32, 2 ** 48]),
        maxFeePerGas,
        maxPriorityFeePerGas: pick([0n, maxFeePerGas / 2n, maxFeePerGas]),
        gas: pick(uints),
        to: bytesToHex(bytes(20)) as Address,
        value: pick([...uints, 2n ** 256n - 1n]),
        data: bytesToHex(data),
      };
      const leadingZeros = (b: Uint8Array) => bytesToHex(b.fill(0, 0, pick([0, 0, 1, 2, 31])));
      const sig = pick([undefined, { r: leadingZeros(bytes(32)), s: leadingZeros(bytes(32)), yParity: pick([0, 1]) } as Signature]);
      assert.equal(serializeTransactionFast(tx, sig), serializeTransaction(tx, sig), `case ${i}: ${size} bytes of calldata, ${sig ? "signed" : "unsigned"}`);
    }
  });

  it("reads the signature from v as viem does when yParity is absent", () => {
    const tx: TransactionSerializableEIP1559 = { chainId: 1, type: "eip1559", to: `0x${"11".repeat(20)}`, data: "0x01", maxFeePerGas: 2n, maxPriorityFeePerGas: 1n };
    for (const v of [0n, 1n, 27n, 28n, 37n]) {
      const sig = { r: `0x${"00".repeat(31)}01`, s: `0x${"ff".repeat(32)}`, v } as Signature;
      assert.equal(serializeTransactionFast(tx, sig), serializeTransaction(tx, sig), `v = ${v}`);
    }
    assert.equal(serializeTransactionFast({ ...tx, data: "0x123" }), serializeTransaction({ ...tx, data: "0x123" }), "odd hex digits");
  });

  it("leaves other types and access lists to viem", () => {
    const to: Address = `0x${"22".repeat(20)}`;
    const withAccessList: TransactionSerializableEIP1559 = {
      chainId: 5, type: "eip1559", to, maxFeePerGas: 9n, maxPriorityFeePerGas: 1n,
      accessList: [{ address: to, storageKeys: [`0x${"33".repeat(32)}`] }],
    };
    assert.equal(serializeTransactionFast(withAccessList), serializeTransaction(withAccessList));
    const legacy = { chainId: 5, type: "legacy" as const, to, gasPrice: 3n, nonce: 1 };
    assert.equal(serializeTransactionFast(legacy), serializeTransaction(legacy));
  });

  it("refuses what viem refuses, and hex that is not hex", () => {
    const base: TransactionSerializableEIP1559 = { chainId: 1, type: "eip1559", to: `0x${"11".repeat(20)}`, maxFeePerGas: 2n, maxPriorityFeePerGas: 1n };
    const bad: TransactionSerializableEIP1559[] = [
      { ...base, chainId: 0 },
      { ...base, maxPriorityFeePerGas: 3n },
      { ...base, maxFeePerGas: 1n << 256n, maxPriorityFeePerGas: 0n },
      { ...base, to: "0x1234" as Address },
    ];
    for (const tx of bad) {
      assert.throws(() => serializeTransaction(tx), Error, "viem refuses");
      assert.throws(() => serializeTransactionFast(tx), Error, "so do we");
    }
    for (const data of ["0xzz", "0x12zz", "0x1234z", "0xz"]) assert.throws(() => serializeTransactionFast({ ...base, data: data as Hex }), TypeError, data);
    assert.throws(() => serializeTransactionFast({ ...base, nonce: -1 }), RangeError);
  });
});
