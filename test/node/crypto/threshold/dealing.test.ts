/** Dealing, the commitments check and the combination: known answers and properties. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { p256, p256_FROST } from "@noble/curves/nist.js";
import { P256PrivateKey } from "../../../../node/crypto/keys/index.js";
import {
  combineShares,
  dealShares,
  decodeCommitments,
  encodeCommitments,
  isValidShare,
  type Share,
} from "../../../../node/crypto/threshold/index.js";
import { lagrangeCoefficient, scalarField as Fn, sharePoint } from "../../../../node/crypto/threshold/shares.js";
import { assertCode, hex } from "../tdf/helpers.js";
import { pick, seededRandomBytes } from "./helpers.js";

const scalar = (value: bigint) => Fn.toBytes(Fn.create(value));
const point = (value: bigint) => p256.Point.BASE.multiply(value).toBytes(true);

describe("threshold dealing", () => {
  it("known answer by hand: f(x) = 1 + 2x gives shares 3 and 5, commitments G and 2G, key 1", () => {
    const commitments = [point(1n), point(2n)];
    const shares: Share[] = [
      { index: 1, value: scalar(3n) },
      { index: 2, value: scalar(5n) },
    ];
    for (const share of shares) assert.ok(isValidShare(commitments, share));
    assert.equal(isValidShare(commitments, { index: 3, value: scalar(5n) }), false);
    assert.equal(hex(combineShares({ commitments, shares }).exportPrivateKey()), hex(scalar(1n)));
    assert.equal(hex(sharePoint(commitments, 3).toBytes(true)), hex(point(7n)));
    // λ_1(3) = (3 − 2)/(1 − 2) = −1 and λ_2(3) = (3 − 1)/(2 − 1) = 2: f(3) = −3 + 10 = 7.
    assert.equal(lagrangeCoefficient([1, 2], 1, 3), Fn.neg(1n));
    assert.equal(lagrangeCoefficient([1, 2], 2, 3), 2n);
  });

  it("known answer from a fixed seed: threshold(2, 3)", () => {
    const dealt = dealShares({ m: 2, n: 3, randomBytes: seededRandomBytes("dekmesh threshold vector 1") });
    assert.deepEqual(
      { key: hex(dealt.contentKey.exportPrivateKey()), commitments: dealt.commitments.map(hex), shares: dealt.shares.map((s) => [s.index, hex(s.value)]) },
      KNOWN_2_OF_3,
    );
    assert.equal(hex(dealt.commitments[0]!), hex(dealt.contentKey.publicKey));
  });

  it("any m of the n shares recover the key, in any order", () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 16 }), fc.integer({ min: 0, max: 14 }), fc.array(fc.integer(), { minLength: 16, maxLength: 16 }), (m, extra, keys) => {
        const n = Math.min(16, m + extra);
        const { contentKey, commitments, shares } = dealShares({ m, n });
        assert.equal(commitments.length, m);
        const chosen = pick(shares, keys, m);
        for (const share of chosen) assert.ok(isValidShare(commitments, share));
        assert.equal(hex(combineShares({ commitments, shares: chosen }).publicKey), hex(contentKey.publicKey));
      }),
      { numRuns: 30 },
    );
  });

  it("m − 1 shares do not determine the key: every candidate key has a polynomial of degree m − 1 through them", () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 8 }), fc.bigInt({ min: 1n, max: Fn.ORDER - 1n }), fc.array(fc.integer(), { minLength: 8, maxLength: 8 }), (m, candidate, keys) => {
        const { shares } = dealShares({ m, n: m });
        const known = pick(shares, keys, m - 1);
        // The polynomial through (0, candidate) and the m − 1 known shares has degree ≤ m − 1;
        // it reproduces every known share, and m of its points combine to the candidate.
        const points = [{ x: 0, y: candidate }, ...known.map((s) => ({ x: s.index, y: Fn.fromBytes(s.value) }))];
        const evaluate = (x: number) =>
          points.reduce((sum, p) => Fn.add(sum, Fn.mul(p.y, lagrangeCoefficient(points.map((q) => q.x), p.x, x))), Fn.ZERO);
        for (const share of known) assert.equal(evaluate(share.index), Fn.fromBytes(share.value));
        const fresh = 100;
        const alternative = [...known, { index: fresh, value: Fn.toBytes(evaluate(fresh)) }];
        const candidateKey = P256PrivateKey.fromBytes(Fn.toBytes(candidate));
        assert.equal(hex(combineShares({ commitments: [candidateKey.publicKey, ...Array.from({ length: m - 1 }, () => point(1n))], shares: alternative }).publicKey), hex(candidateKey.publicKey));
      }),
      { numRuns: 30 },
    );
  });

  it("m − 1 shares plus anything that is not a share do not combine to the key", () => {
    const { commitments, shares } = dealShares({ m: 3, n: 5 });
    assertCode(() => combineShares({ commitments, shares: shares.slice(0, 2) }), "THRESHOLD_NOT_ENOUGH_SHARES");
    assertCode(() => combineShares({ commitments, shares: [shares[0]!, shares[1]!, shares[1]!] }), "THRESHOLD_NOT_ENOUGH_SHARES");
    assertCode(() => combineShares({ commitments, shares: [shares[0]!, shares[1]!, { index: 3, value: shares[3]!.value }] }), "THRESHOLD_SHARE_INVALID");
  });

  it("a tampered share always fails the commitments check", () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 16 }), fc.nat(), fc.bigInt({ min: 1n, max: Fn.ORDER - 1n }), fc.integer({ min: 1, max: 65535 }), (m, which, delta, otherIndex) => {
        const { commitments, shares } = dealShares({ m, n: 16 });
        const share = shares[which % 16]!;
        assert.ok(isValidShare(commitments, share));
        assert.equal(isValidShare(commitments, { index: share.index, value: Fn.toBytes(Fn.add(Fn.fromBytes(share.value), delta)) }), false);
        if (otherIndex !== share.index) assert.equal(isValidShare(commitments, { index: otherIndex, value: share.value }), false);
      }),
      { numRuns: 40 },
    );
  });

  it("isValidShare agrees with the library's check (RFC 9591 vss_verify) on shares and on anything else", () => {
    const library = (commitments: Uint8Array[], share: Share) => {
      try {
        p256_FROST.validateSecret(
          { identifier: p256_FROST.Identifier.fromNumber(share.index), signingShare: share.value },
          { signers: { min: commitments.length, max: 16 }, commitments, verifyingShares: {} },
        );
        return true;
      } catch {
        return false;
      }
    };
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 16 }), fc.nat(15), fc.option(fc.bigInt({ min: 1n, max: Fn.ORDER - 1n })), (m, which, delta) => {
        const { commitments, shares } = dealShares({ m, n: 16 });
        const share = shares[which]!;
        const candidate = delta === null ? share : { index: share.index, value: Fn.toBytes(Fn.add(Fn.fromBytes(share.value), delta)) };
        assert.equal(isValidShare(commitments, candidate), library(commitments, candidate));
        assert.equal(isValidShare(commitments, candidate), delta === null);
        assert.equal(hex(sharePoint(commitments, share.index).toBytes(true)), hex(point(Fn.fromBytes(share.value))));
      }),
      { numRuns: 30 },
    );
  });

  it("commitments encode to m × 33 bytes and decode only when every one is a point", () => {
    const { commitments } = dealShares({ m: 3, n: 4 });
    const encoded = encodeCommitments(commitments);
    assert.equal(encoded.length, 99);
    assert.deepEqual(decodeCommitments(encoded).map(hex), commitments.map(hex));
    assertCode(() => decodeCommitments(encoded.subarray(0, 98)), "THRESHOLD_MALFORMED");
    assertCode(() => decodeCommitments(encoded.subarray(0, 33)), "THRESHOLD_MALFORMED");
    assertCode(() => decodeCommitments(new Uint8Array(17 * 33).fill(2)), "THRESHOLD_MALFORMED");
    const offCurve = encoded.slice();
    offCurve.set(new Uint8Array(32).fill(0xff), 34);
    assertCode(() => decodeCommitments(offCurve), "THRESHOLD_MALFORMED");
  });

  it("refuses threshold parameters outside 2 ≤ m ≤ n ≤ 16", () => {
    for (const [m, n] of [[1, 3], [4, 3], [2, 17], [2.5, 3], [0, 0]] as const) assertCode(() => dealShares({ m, n }), "THRESHOLD_INVALID_ARGUMENT");
  });
});

/** Frozen output of dealShares for the seed above: any change to dealing's encodings or randomness use shows here. */
const KNOWN_2_OF_3 = {
  key: "ee471655a4b49403cbcfe0bbfe5bf21da41fbdd3197be016fd79a2ef17041f2b",
  commitments: [
    "0306df01041b9dd1f5701926ab1ed23020775bd0cf23818b3d46d8c23daa657040",
    "02f1cc6afed6d61c3719b7d0d0260c2f0500971969f00996dc80a8f63ae66ddf77",
  ],
  shares: [
    [1, "9f593a86fed6011d03d75861cdd382e2be0d12e8bc23ac48e405cf46a0e8c195"],
    [2, "506b5eb858f76e363bded0079d4b13a7d7fa67fe5ecb787aca91fb9e2acd63ff"],
    [3, "017d82e9b318db4f73e647ad6cc2a46cf1e7bd14017344acb11e27f5b4b20669"],
  ],
};
