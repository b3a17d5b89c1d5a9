/** Blinded enrollment: a replacement member gets f(r) from m helpers and learns no other share. */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { p256 } from "@noble/curves/nist.js";
import { describe, it } from "node:test";
import { P256PrivateKey } from "../../../../node/crypto/keys/index.js";
import {
  ENROLLMENT_CONTRIBUTION_LENGTH,
  combineShares,
  completeEnrollment,
  contributeToEnrollment,
  dealShares,
  isValidShare,
  type EnrollmentContext,
  type Share,
} from "../../../../node/crypto/threshold/index.js";
import { scalarField as Fn } from "../../../../node/crypto/threshold/shares.js";
import { assertCode, hex } from "../tdf/helpers.js";
import { seededRandomBytes } from "./helpers.js";

// threshold(3, 5); the member of slot 2 left and the chain gave its replacement index 6.
const contentId = randomBytes(32);
const { contentKey, commitments, shares } = dealShares({ m: 3, n: 5 });
const kasKeys = new Map<number, P256PrivateKey>(shares.map((s) => [s.index, P256PrivateKey.generate()]));
const shareOf = (index: number) => shares.find((s) => s.index === index)!;
const newcomer = { index: 6, kasKey: P256PrivateKey.generate() };

function context(helperIndexes: number[], session: Uint8Array = randomBytes(32)): EnrollmentContext {
  return {
    contentId,
    session,
    newMember: { index: newcomer.index, kasPublicKey: newcomer.kasKey.publicKey },
    helpers: helperIndexes.map((index) => ({ index, kasPublicKey: (kasKeys.get(index) ?? newcomer.kasKey).publicKey })),
  };
}

const contribute = (ctx: EnrollmentContext, index: number, share: Share = shareOf(index)) =>
  contributeToEnrollment({ ...ctx, share, kasKey: kasKeys.get(index)! });

const complete = (ctx: EnrollmentContext, contributions: Uint8Array[]) =>
  completeEnrollment({ ...ctx, newMember: newcomer, contributions, commitments });


describe("blinded enrollment", () => {
  it("known answer: the mask points of a fixed transcript (pins the pairwise mask derivation) cancel", () => {
    const fixed = (label: string) => new Uint8Array(createHash("sha256").update(label).digest());
    const key = (i: number) => P256PrivateKey.fromBytes(fixed(`kas-${i}`));
    const dealt = dealShares({ m: 3, n: 5, randomBytes: seededRandomBytes("dekmesh enrollment vector 1") });
    const ctx: EnrollmentContext = {
      contentId: fixed("content"),
      session: fixed("session"),
      newMember: { index: 6, kasPublicKey: key(6).publicKey },
      helpers: [1, 3, 4].map((index) => ({ index, kasPublicKey: key(index).publicKey })),
    };
    const maskPoints = [1, 3, 4].map((i) => contributeToEnrollment({ ...ctx, share: dealt.shares[i - 1]!, kasKey: key(i) }).subarray(3, 36));
    assert.deepEqual(maskPoints.map(hex), [
      "0326110b219d4a120c7a276ae19e20715253bfe88a5b5d4c64a2169dbdd09a21f9",
      "028f0021811795f20ee5b549d8f2cfdacb3dcb0b961ac0b10e1e6ed9710cf91a92",
      "0200ddc903cbadac0d9f2dd09b3443e9b6d151ca4014358479d72c92de28edcdb8",
    ]);
    const sum = maskPoints.map((bytes) => p256.Point.fromBytes(bytes)).reduce((a, b) => a.add(b));
    assert.ok(sum.equals(p256.Point.ZERO));
  });

  it("m helpers enroll the new member: its share checks against the commitments and recovers the key with m − 1 others", () => {
    const ctx = context([1, 3, 4]);
    const contributions = [4, 1, 3].map((i) => contribute(ctx, i));
    assert.equal(contributions[0]!.length, ENROLLMENT_CONTRIBUTION_LENGTH);
    const enrolled = complete(ctx, contributions);
    assert.equal(enrolled.index, 6);
    assert.ok(isValidShare(commitments, enrolled));
    assert.equal(hex(combineShares({ commitments, shares: [enrolled, shareOf(5), shareOf(2)] }).publicKey), hex(contentKey.publicKey));
  });

  it("more than m helpers work too", () => {
    const ctx = context([1, 3, 4, 5]);
    assert.ok(isValidShare(commitments, complete(ctx, [1, 3, 4, 5].map((i) => contribute(ctx, i)))));
  });

  it("what the new member received, combined with m − 2 other shares, does not yield the key", () => {
    const ctx = context([1, 3, 4]);
    const contributions = [1, 3, 4].map((i) => contribute(ctx, i));
    const enrolled = complete(ctx, contributions);
    // The new member plus one other member hold m − 1 = 2 shares: not enough.
    assertCode(() => combineShares({ commitments, shares: [enrolled, shareOf(5)] }), "THRESHOLD_NOT_ENOUGH_SHARES");
    // Reading a helper's share out of its contribution, as if unmasked, fails: the masks hide it.
    for (const raw of contributions) {
      for (const guess of [raw.subarray(3, 35), raw.subarray(36, 68), raw.subarray(69, 101)]) {
        for (const index of [1, 3, 4]) {
          const candidate = { index, value: guess.slice() };
          assert.equal(isValidShare(commitments, candidate), false);
          assertCode(() => combineShares({ commitments, shares: [enrolled, shareOf(5), candidate] }), "THRESHOLD_SHARE_INVALID");
        }
      }
    }
  });

  it("the masks are fresh per repair: the same helpers send different contributions that sum to the same share", () => {
    const first = context([1, 3, 4]);
    const second = context([1, 3, 4]);
    const a = [1, 3, 4].map((i) => contribute(first, i));
    const b = [1, 3, 4].map((i) => contribute(second, i));
    for (let i = 0; i < 3; i++) assert.notEqual(hex(a[i]!.subarray(3, 36)), hex(b[i]!.subarray(3, 36)), "mask points differ");
    assert.equal(hex(complete(first, a).value), hex(complete(second, b).value));
  });

  it("a helper that contributes from a wrong share is named", () => {
    const ctx = context([1, 3, 4]);
    const wrong = { index: 3, value: Fn.toBytes(Fn.add(Fn.fromBytes(shareOf(3).value), 1n)) };
    const contributions = [contribute(ctx, 1), contribute(ctx, 3, wrong), contribute(ctx, 4)];
    assert.throws(() => complete(ctx, contributions), (e: Error & { code?: string; details?: { index?: number } }) => e.code === "THRESHOLD_SHARE_INVALID" && e.details?.index === 3);
  });

  it("contributions for another transcript, from outsiders, tampered, duplicated or missing are refused", () => {
    const ctx = context([1, 3, 4]);
    const good = [1, 3, 4].map((i) => contribute(ctx, i));
    const otherSession = contribute(context([1, 3, 4]), 3);
    assertCode(() => complete(ctx, [good[0]!, otherSession, good[2]!]), "THRESHOLD_BAD_SIGNATURE");
    const outsider = contribute(context([1, 5, 4], ctx.session), 5);
    assertCode(() => complete(ctx, [good[0]!, outsider, good[2]!]), "THRESHOLD_WRONG_INDEX");
    assertCode(() => complete(ctx, [good[0]!, good[1]!]), "THRESHOLD_NOT_ENOUGH_SHARES");
    assertCode(() => complete(ctx, [good[0]!, good[1]!, good[1]!]), "THRESHOLD_NOT_ENOUGH_SHARES");
    assertCode(() => complete(ctx, [good[0]!, good[1]!.subarray(1), good[2]!]), "THRESHOLD_MALFORMED");
    for (let i = 0; i < ENROLLMENT_CONTRIBUTION_LENGTH; i++) {
      const tampered = good[1]!.slice();
      tampered[i]! ^= 0x80;
      assert.throws(() => complete(ctx, [good[0]!, tampered, good[2]!]), (e: Error & { code?: string }) => e.code?.startsWith("THRESHOLD_") === true);
    }
    // Another member cannot open what was sent to the new member.
    assertCode(
      () => completeEnrollment({ ...ctx, newMember: { index: 6, kasKey: P256PrivateKey.generate() }, contributions: good, commitments }),
      "THRESHOLD_BAD_SIGNATURE",
    );
  });

  it("refuses helper sets that cannot enroll", () => {
    assertCode(() => contribute(context([1, 3, 6]), 1), "THRESHOLD_INVALID_ARGUMENT");
    assertCode(() => contribute(context([1, 1, 3]), 1), "THRESHOLD_INVALID_ARGUMENT");
    assertCode(() => contribute(context([1]), 1), "THRESHOLD_INVALID_ARGUMENT");
    assertCode(() => contribute(context([3, 4, 5]), 1), "THRESHOLD_INVALID_ARGUMENT");
    const ctx = context([1, 3]);
    assertCode(() => complete(ctx, [1, 3].map((i) => contribute(ctx, i))), "THRESHOLD_NOT_ENOUGH_SHARES");
  });
});
