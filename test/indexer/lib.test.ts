// The indexer's pure parts: placement, parameter parsing, cursors, audit batch decoding, and the access evaluator
// against the contracts' independent reference model (no processes needed).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { CID } from "multiformats/cid";
import { sha256 } from "multiformats/hashes/sha2";
import { encodeAbiParameters, encodeEventTopics, encodeFunctionData, getAddress, keccak256, type Address, type Hex, type Log } from "viem";
import { rewrapAuditLogAbi } from "../../build/abi/index.js";
import { evaluateAccess } from "../../indexer/lib/access.js";
import { batchRecordsFromCalldata, batchRecordsFromLogs } from "../../indexer/lib/auditBatch.js";
import { decodeCursor, encodeCursor } from "../../indexer/lib/cursor.js";
import { ApiError } from "../../indexer/lib/errors.js";
import { parseAddress, parseContentRef, parseLimit } from "../../indexer/lib/params.js";
import { xorDistance, xorId, xorReplicaSet } from "../../node/replication/placement.js";
import * as reference from "../contracts/helpers/accessModel.js";

const address = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => `0x${Buffer.from(b).toString("hex")}` as Address);
const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => `0x${Buffer.from(b).toString("hex")}` as Hex);

describe("placement", () => {
  test("xorDistance is uint256(keccak256(address bytes) XOR contentId)", () => {
    fc.assert(
      fc.property(address, bytes32, (node, contentId) => {
        const a = Buffer.from(keccak256(node).slice(2), "hex");
        const b = Buffer.from(contentId.slice(2), "hex");
        const xored = Buffer.from(a.map((x, i) => x ^ b[i]!));
        assert.equal(xorDistance(contentId, node), BigInt(`0x${xored.toString("hex")}`));
        assert.equal(xorDistance(contentId, getAddress(node)), xorDistance(contentId, node), "case-insensitive");
      }),
    );
  });

  test("xorReplicaSet: the k closest, closest first, whatever the input order", () => {
    fc.assert(
      fc.property(fc.uniqueArray(address, { maxLength: 12 }), bytes32, fc.nat(14), (nodes, contentId, k) => {
        const set = xorReplicaSet(contentId, nodes, k);
        assert.equal(set.length, Math.min(k, nodes.length));
        const distances = set.map((n) => xorDistance(contentId, n));
        for (let i = 1; i < distances.length; i++) assert.ok(distances[i - 1]! < distances[i]!);
        const outside = nodes.filter((n) => !set.includes(n)).map((n) => xorDistance(contentId, n));
        if (set.length) for (const d of outside) assert.ok(d > distances[distances.length - 1]!);
        assert.deepEqual(xorReplicaSet(contentId, [...nodes].reverse(), k), set);
        const withIds = nodes.map((node) => ({ node, xorId: xorId(node) }));
        assert.deepEqual(xorReplicaSet(contentId, withIds, k).map((v) => v.node), set);
      }),
    );
  });
});

describe("parameters", () => {
  test("a content is named by CIDv1, CIDv0 or contentId; all map to keccak256(cid bytes)", async () => {
    const cid = CID.create(1, 0x55, await sha256.digest(new Uint8Array([1, 2, 3])));
    const contentId = keccak256(cid.bytes);
    assert.deepEqual(parseContentRef(cid.toString()), { contentId, cid: cid.toString() });
    assert.equal(parseContentRef(contentId.toUpperCase().replace("0X", "0x")).contentId, contentId);
    const v0 = CID.createV0(await sha256.digest(new Uint8Array([4])));
    assert.equal(parseContentRef(v0.toString()).contentId, keccak256(v0.bytes));
  });

  test("refusals are typed 400s", () => {
    const refused = (f: () => unknown, code: string) =>
      assert.throws(f, (e: unknown) => e instanceof ApiError && e.status === 400 && e.code === code);
    refused(() => parseContentRef(""), "invalid_cid");
    refused(() => parseAddress("0xAbCdEf0000000000000000000000000000000000", "a"), "invalid_address");
    refused(() => parseLimit("0"), "invalid_limit");
    assert.equal(parseLimit("499"), 499);
    assert.equal(parseLimit("501"), 500);
  });

  test("cursors round-trip and refuse anything else", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 15n }), fc.nat(1e8), (blockNumber, logIndex) => {
        assert.deepEqual(decodeCursor(encodeCursor({ blockNumber, logIndex })), { blockNumber, logIndex });
      }),
    );
    for (const bad of ["", "====", Buffer.from("a2.1.1").toString("base64url"), Buffer.from("a1.1").toString("base64url")]) {
      assert.throws(() => decodeCursor(bad), ApiError);
    }
  });
});

describe("access evaluator", () => {
  const namespaces = ["0x01", "0x02", "0x03"].map((n) => n.padEnd(66, "0") as Hex);
  const accounts = [1, 2, 3, 4].map((n) => `0x${n.toString(16).padStart(40, "0")}` as Address);

  test("agrees with the contracts' reference model on random states", () => {
    const grant = fc.record({
      namespace: fc.constantFrom(...namespaces),
      account: fc.constantFrom(...accounts),
      value: fc.nat(4),
      expiresAt: fc.oneof(fc.constant(0n), fc.bigInt({ min: 1n, max: 200n })),
      active: fc.boolean(),
    });
    const world = fc.record({
      rules: fc.tuple(fc.nat(2), fc.nat(2), fc.nat(2)),
      grants: fc.array(grant, { maxLength: 20 }),
      requirements: fc.uniqueArray(fc.record({ namespace: fc.constantFrom(...namespaces), value: fc.nat(4) }), {
        maxLength: 5,
        selector: (r) => `${r.namespace}/${r.value}`,
      }),
      allowlist: fc.subarray(accounts),
      notBefore: fc.oneof(fc.constant(0n), fc.bigInt({ min: 1n, max: 200n })),
      notAfter: fc.oneof(fc.constant(0n), fc.bigInt({ min: 1n, max: 200n })),
      revoked: fc.boolean(),
      exists: fc.boolean(),
      account: fc.constantFrom(...accounts),
      now: fc.bigInt({ min: 0n, max: 250n }),
    });
    fc.assert(
      fc.property(world, (w) => {
        const terms = {
          publisher: accounts[0]!,
          revoked: w.revoked,
          notBefore: w.notBefore,
          notAfter: w.notAfter,
          allowlist: w.allowlist,
          requirements: w.requirements,
        };
        const model = new reference.MemoryAttributeState();
        namespaces.forEach((ns, i) => model.createNamespace(ns, w.rules[i]! as reference.AttributeRule));
        const latest = new Map<string, (typeof w.grants)[number]>();
        for (const g of w.grants) {
          latest.set(`${g.namespace}/${g.account}/${g.value}`, g);
          if (g.active) model.grant(g.namespace, g.account, g.value, g.expiresAt);
          else model.revoke(g.namespace, g.account, g.value);
        }
        const expected = reference.evaluateAccess(w.exists ? terms : undefined, w.account, w.now, model);
        const actual = evaluateAccess(w.exists ? terms : undefined, w.account, w.now, {
          ruleOf: (ns) => w.rules[namespaces.indexOf(ns as Hex)],
          grantOf: (ns, value) => latest.get(`${ns}/${w.account}/${value}`),
        });
        assert.deepEqual([actual.allowed, actual.reasonCode], [expected.allowed, expected.reason]);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("audit batches", () => {
  const auditLog = getAddress("0x" + "a1".repeat(20));
  const node = getAddress("0x" + "b2".repeat(20));
  const records = [1, 2, 3].map((i) => ({
    contentId: `0x${"C".repeat(63)}${i}` as Hex,
    requester: getAddress(`0x${"d".repeat(39)}${i}`),
    requestDigest: `0x${"E".repeat(63)}${i}` as Hex,
    servedAt: 1_700_000_000n + BigInt(i),
  }));
  const lowered = records.map((r) => ({ ...r, contentId: r.contentId.toLowerCase(), requester: r.requester.toLowerCase(), requestDigest: r.requestDigest.toLowerCase() }));
  const input = encodeFunctionData({ abi: rewrapAuditLogAbi, functionName: "recordRewraps", args: [7n, records] });
  const direct = { from: node, to: auditLog, input };

  /** The logs the contract emits for the batch, from log index `first`. */
  function emitted(first: number, validator: Address = node, address: Address = auditLog): Log[] {
    const recordLogs = records.map((r, i) => ({
      address,
      logIndex: first + i,
      topics: encodeEventTopics({ abi: rewrapAuditLogAbi, eventName: "RewrapRecorded", args: { contentId: r.contentId, requester: r.requester, validator } }),
      data: encodeAbiParameters([{ type: "bytes32" }, { type: "uint64" }], [r.requestDigest, r.servedAt]),
    }));
    const batch = {
      address,
      logIndex: first + records.length,
      topics: encodeEventTopics({ abi: rewrapAuditLogAbi, eventName: "RewrapBatchRecorded", args: { validator } }),
      data: encodeAbiParameters([{ type: "uint64" }, { type: "uint256" }], [7n, 3n]),
    };
    return [...recordLogs, batch] as unknown as Log[];
  }

  test("a direct recordRewraps call gives its records, lowercase", () => {
    assert.deepEqual(batchRecordsFromCalldata(direct, auditLog, node, 7n, 3), lowered);
    assert.deepEqual(batchRecordsFromCalldata({ ...direct, to: auditLog.toLowerCase() as Hex }, auditLog, node.toLowerCase() as Hex, 7n, 3), lowered);
  });

  test("anything but the validator's direct call of this batch gives undefined", () => {
    const other = getAddress("0x" + "f3".repeat(20));
    assert.equal(batchRecordsFromCalldata({ ...direct, to: other }, auditLog, node, 7n, 3), undefined, "through another contract");
    assert.equal(batchRecordsFromCalldata({ ...direct, to: null }, auditLog, node, 7n, 3), undefined, "a deployment");
    assert.equal(batchRecordsFromCalldata({ ...direct, from: other }, auditLog, node, 7n, 3), undefined, "sent by someone else");
    assert.equal(batchRecordsFromCalldata(direct, auditLog, node, 8n, 3), undefined, "another batch id");
    assert.equal(batchRecordsFromCalldata(direct, auditLog, node, 7n, 4), undefined, "another count");
    assert.equal(batchRecordsFromCalldata({ ...direct, input: "0xdeadbeef" }, auditLog, node, 7n, 3), undefined, "not an audit log call");
    const nextBatch = encodeFunctionData({ abi: rewrapAuditLogAbi, functionName: "nextBatchId", args: [node] });
    assert.equal(batchRecordsFromCalldata({ ...direct, input: nextBatch }, auditLog, node, 7n, 3), undefined, "another function");
  });

  test("the receipt's logs give the same records as the calldata, whatever else the transaction logged", () => {
    const foreign = { ...emitted(0, node, getAddress("0x" + "f3".repeat(20)))[0]!, logIndex: 0 } as Log;
    const logs = [foreign, ...emitted(1), { ...foreign, logIndex: 5 } as Log];
    assert.deepEqual(batchRecordsFromLogs(logs, auditLog, node, 4, 3), lowered);
  });

  test("logs that are not the batch's records are an invariant violation", () => {
    assert.throws(() => batchRecordsFromLogs(emitted(0).slice(1), auditLog, node, 3, 3), /indexer invariant: a batch of 3 records has 2/);
    assert.throws(() => batchRecordsFromLogs(emitted(0, getAddress("0x" + "f3".repeat(20))), auditLog, node, 3, 3), /not a RewrapRecorded of its validator/);
    assert.throws(() => batchRecordsFromLogs(emitted(0, node, getAddress("0x" + "f3".repeat(20))), auditLog, node, 3, 3), /not the audit log's/);
    assert.throws(() => batchRecordsFromLogs(emitted(0), auditLog, node, 4, 4), /not a RewrapRecorded/, "the batch event itself in the range");
  });
});
