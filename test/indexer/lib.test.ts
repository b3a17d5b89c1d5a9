// The indexer's pure parts: placement, parameter parsing, cursors, audit batch decoding, and the access evaluator
// against the contracts' independent reference model (no processes needed).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { CID } from "multiformats/cid";
import { sha256 } from "multiformats/hashes/sha2";
import { getAddress, keccak256, type Address, type Hex } from "viem";
import { evaluateAccess } from "../../indexer/lib/access.js";
import { decodeContentCursor, decodeCursor, encodeContentCursor, encodeCursor } from "../../indexer/lib/cursor.js";
import { ApiError } from "../../indexer/lib/errors.js";
import { AUDIT_LIMIT, parseAddress, parseContentRef, parseLimit } from "../../indexer/lib/params.js";
import { xorDistance, xorId, xorReplicaSet } from "../../node/protocol/placement.js";
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
    refused(() => parseLimit("0", AUDIT_LIMIT), "invalid_limit");
    assert.equal(parseLimit("499", AUDIT_LIMIT), 499);
    assert.equal(parseLimit("501", AUDIT_LIMIT), 500);
    const work = { default: 1_000, max: 1_000 };
    assert.equal(parseLimit(undefined, work), 1_000);
    assert.equal(parseLimit("0007", work), 7);
    assert.equal(parseLimit("9".repeat(1_000), work), 1_000);
    for (const raw of ["", "000", "-1", "1.5", "1e3", " 1"]) refused(() => parseLimit(raw, work), "invalid_limit");
  });

  test("cursors round-trip and refuse anything else", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 15n }), fc.nat(1e8), fc.nat(499), (blockNumber, logIndex, recordIndex) => {
        assert.deepEqual(decodeCursor(encodeCursor({ blockNumber, logIndex, recordIndex })), { blockNumber, logIndex, recordIndex });
      }),
    );
    // a1: the format before audit batches were one event.
    const old = ["a1.1.1", "a2.1.1", "a3.1.1.1", "a2.1.1.x", "a2.1.1.12345"].map((body) => Buffer.from(body).toString("base64url"));
    for (const bad of ["", "====", ...old]) {
      assert.throws(() => decodeCursor(bad), ApiError);
    }
  });

  test("work-list cursors round-trip under their own tag and refuse the other list's", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 15n }), bytes32, fc.constantFrom("r1" as const, "t1" as const), (block, contentId, tag) => {
        const cursor = encodeContentCursor(tag, { block, contentId });
        assert.deepEqual(decodeContentCursor(tag, cursor), { block, contentId });
        assert.throws(() => decodeContentCursor(tag === "r1" ? "t1" : "r1", cursor), ApiError);
      }),
    );
    const malformed = ["r1.1.0x12", "r1.x.0x" + "0".repeat(64), "r2.1.0x" + "0".repeat(64)].map((body) => Buffer.from(body).toString("base64url"));
    for (const bad of ["", "====", "a".repeat(129), ...malformed]) assert.throws(() => decodeContentCursor("r1", bad), ApiError);
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
