/**
 * The packed audit-record form (node/protocol/auditRecords.ts): the same bytes as Solidity's
 * abi.encodePacked of the four fields, a lossless round trip, and every malformed batch refused
 * on either side. The contract's own checks are in test/contracts/RewrapAuditLog.test.ts.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { bytesToHex, concatHex, encodePacked, type Address, type Hex } from "viem";
import {
  AUDIT_RECORD_BYTES,
  AuditRecordsError,
  decodeAuditRecords,
  encodeAuditRecords,
  type RewrapRecord,
} from "../../../node/chain/index.js";

const hexOf = (length: number) => fc.uint8Array({ minLength: length, maxLength: length }).map((b) => bytesToHex(b));
const arbitraryRecord = fc.record({
  contentId: hexOf(32),
  requester: hexOf(20).map((h) => h as Address),
  requestDigest: hexOf(32),
  servedAt: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
});

const sample: RewrapRecord = {
  contentId: `0x${"ab".repeat(32)}`,
  requester: "0x00000000000000000000000000000000000000fF",
  requestDigest: `0x${"01".repeat(32)}`,
  servedAt: 1_800_000_000,
};

describe("packed audit records", () => {
  it("are abi.encodePacked(bytes32, address, bytes32, uint64) per record, back to back", () => {
    fc.assert(
      fc.property(fc.array(arbitraryRecord, { minLength: 1, maxLength: 20 }), (records) => {
        const packed = encodeAuditRecords(records);
        const solidity = concatHex(
          records.map((r) => encodePacked(["bytes32", "address", "bytes32", "uint64"], [r.contentId, r.requester, r.requestDigest, r.servedAt])),
        );
        assert.equal(packed, solidity.toLowerCase());
        assert.equal((packed.length - 2) / 2, records.length * AUDIT_RECORD_BYTES);
      }),
    );
  });

  it("decode what was encoded, in order, lowercase", () => {
    fc.assert(
      fc.property(fc.array(arbitraryRecord, { minLength: 1, maxLength: 500 }), (records) => {
        const lower = records.map((r) => ({ ...r, requester: r.requester.toLowerCase() }));
        assert.deepEqual(decodeAuditRecords(encodeAuditRecords(records)), lower);
      }),
      { numRuns: 30 },
    );
    assert.deepEqual(decodeAuditRecords(encodeAuditRecords([sample])), [
      { ...sample, requester: sample.requester.toLowerCase(), servedAt: 1_800_000_000n },
    ]);
  });

  it("encoding refuses a batch of no or too many records and every malformed field", () => {
    const refused = (records: readonly RewrapRecord[], message: RegExp) =>
      assert.throws(() => encodeAuditRecords(records), (e: unknown) => e instanceof AuditRecordsError && message.test(e.message));
    refused([], /1–1000 records, not 0/);
    refused(Array.from({ length: 1001 }, () => sample), /1–1000 records, not 1001/);
    const bad: [Partial<RewrapRecord>, RegExp][] = [
      [{ contentId: `0x${"ab".repeat(31)}` }, /contentId/],
      [{ contentId: `0x${"zz".repeat(32)}` as Hex }, /contentId/],
      [{ requester: "0x1234" as Address }, /requester/],
      [{ requester: `0x${"12".repeat(32)}` as Address }, /requester/],
      [{ requestDigest: "0x" }, /requestDigest/],
      [{ servedAt: -1 }, /servedAt/],
      [{ servedAt: 1.5 }, /servedAt/],
      [{ servedAt: 1n << 64n }, /servedAt/],
      [{ servedAt: Number.MAX_SAFE_INTEGER + 2 }, /servedAt/],
    ];
    for (const [change, message] of bad) refused([sample, { ...sample, ...change }], new RegExp(`record 1: ${message.source}`));
  });

  it("decoding refuses anything that is not 1–1,000 whole records", () => {
    const one = encodeAuditRecords([sample]);
    const max = encodeAuditRecords(Array.from({ length: 1000 }, () => sample));
    for (const bad of [
      "0x",
      one.slice(0, -2), // a byte short
      `${one}00`, // a byte over
      `${one}0`, // an odd number of hex digits
      `0x${"zz".repeat(AUDIT_RECORD_BYTES)}`, // not hex
      `${max}${one.slice(2)}`, // 1,001 records
    ] as Hex[]) {
      assert.throws(() => decodeAuditRecords(bad), AuditRecordsError, bad.slice(0, 20));
    }
    assert.equal(decodeAuditRecords(max).length, 1000);
  });
});
