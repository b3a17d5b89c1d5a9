import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, mine, time } from "@nomicfoundation/hardhat-network-helpers";
import { UNBONDING } from "./helpers/fixtures";
import {
  addKasValidator,
  BOND,
  challengeFixture,
  daemonAnswer,
  KasKey,
  NO_PROOF,
  OFF_CURVE_KEY,
  openWithheld,
  request,
  rewrapAnswer,
  shareAnswer,
  stakeProof,
  thresholdProof,
  tokenTotal,
  type ChallengeSystem,
} from "./helpers/challenges";
import { accountReader, contractEvidence, contractRecord, packRecords, singleRecord, tree as evidenceTree, type Domain } from "./helpers/auditEvidence";

const CID = "0x01551220" + "cd".repeat(32); // the evidence blob's CID, as bytes

const WINDOW = 20; // challengeParametersFor(dev): the fixture's chain is 31337
const Status = { Open: 1n, Answered: 2n, Slashed: 3n, Void: 4n };
const Jailed = 5n;

/** Every account a challenge can move tokens between. */
async function accounts(sys: ChallengeSystem) {
  return [
    await sys.validators.getAddress(),
    await sys.adjudicator.getAddress(),
    sys.treasury.address,
    sys.reader.address,
    sys.stranger.address,
    sys.operator.address,
    ...[...sys.nodes, ...sys.spare].map((n) => n.address),
  ];
}

/** stake + bonds + balances of everyone involved: constant across every path. */
async function conserved(sys: ChallengeSystem) {
  return tokenTotal(sys, await accounts(sys));
}

/** Runs `refused` expecting the custom error, and checks that nothing changed. */
async function refusedWithoutChange(sys: ChallengeSystem, refused: () => Promise<unknown>, error: string) {
  const before = { count: await sys.adjudicator.challengeCount(), balances: await balances(sys) };
  await expect(refused()).to.be.revertedWithCustomError(sys.adjudicator, error);
  expect(await sys.adjudicator.challengeCount()).to.equal(before.count);
  expect(await balances(sys)).to.deep.equal(before.balances);
}

async function balances(sys: ChallengeSystem) {
  return Promise.all((await accounts(sys)).map((a) => sys.token.balanceOf(a)));
}

describe("Adjudicator", () => {
  describe("withheld service", () => {
    it("an honest holder answers in time, keeps its stake and takes the bond", async () => {
      const sys = await loadFixture(challengeFixture);
      const holder = sys.nodes[1]!;
      const total = await conserved(sys);
      const stakeBefore = (await sys.validators.validator(holder.address)).stake;
      const req = await request(sys.all.contentId);
      const { id, digest } = await openWithheld(sys, sys.reader, req, holder.address);
      expect(await sys.token.balanceOf(await sys.adjudicator.getAddress())).to.equal(BOND);

      const key = sys.keys.get(holder.address)!;
      const answer = rewrapAnswer(key, digest, sys.all.contentId);
      // Anyone may carry the holder's signed answer on chain.
      const tx = sys.adjudicator.connect(sys.stranger).answerWithheld(id, answer, key.x, key.y);
      await expect(tx).to.emit(sys.adjudicator, "ChallengeAnswered").withArgs(id, answer, BOND);
      await expect(tx).to.changeTokenBalance(sys.token, holder, BOND);
      expect((await sys.adjudicator.challenge(id)).status).to.equal(Status.Answered);
      expect((await sys.validators.validator(holder.address)).stake).to.equal(stakeBefore);
      expect(await sys.validators.isActive(holder.address)).to.equal(true);
      expect(await conserved(sys)).to.equal(total);

      await mine(WINDOW + 1);
      await refusedWithoutChange(sys, async () => sys.adjudicator.resolve(id), "AdjudicatorNotOpen");
    });

    it("a holder that stays silent is slashed and jailed; the challenger gets its bond and a share", async () => {
      const sys = await loadFixture(challengeFixture);
      const holder = sys.nodes[2]!;
      const total = await conserved(sys);
      const stake = (await sys.validators.validator(holder.address)).stake;
      const readerBefore = await sys.token.balanceOf(sys.reader.address);
      const treasuryBefore = await sys.token.balanceOf(sys.treasury.address);
      const { id } = await openWithheld(sys, sys.reader, await request(sys.all.contentId), holder.address);

      await mine(WINDOW - 1);
      await refusedWithoutChange(sys, async () => sys.adjudicator.resolve(id), "AdjudicatorWindowOpen");
      await mine(1);
      const slashed = (stake * 1_000n) / 10_000n;
      const reward = slashed / 2n;
      await expect(sys.adjudicator.connect(sys.stranger).resolve(id))
        .to.emit(sys.adjudicator, "ChallengeUpheld")
        .withArgs(id, holder.address, slashed, reward);
      const v = await sys.validators.validator(holder.address);
      expect(v.status).to.equal(Jailed);
      expect(v.stake).to.equal(stake - slashed);
      expect(await sys.token.balanceOf(sys.reader.address)).to.equal(readerBefore + reward);
      expect(await sys.token.balanceOf(sys.treasury.address)).to.equal(treasuryBefore + slashed - reward);
      expect((await sys.adjudicator.challenge(id)).status).to.equal(Status.Slashed);
      expect(await conserved(sys)).to.equal(total);

      const key = sys.keys.get(holder.address)!;
      await refusedWithoutChange(sys, async () => sys.adjudicator.resolve(id), "AdjudicatorNotOpen");
      await refusedWithoutChange(
        sys,
        async () => sys.adjudicator.answerWithheld(id, rewrapAnswer(key, ethers.ZeroHash, sys.all.contentId), key.x, key.y),
        "AdjudicatorNotOpen",
      );
    });

    it("a stake(k) member answers; a validator outside the replica set cannot be named", async () => {
      const sys = await loadFixture(challengeFixture);
      const { contentId, members } = sys.staked;
      const holder = members[0]!;
      const { id, digest } = await openWithheld(sys, sys.reader, await request(contentId), holder, stakeProof(members, holder));
      const key = sys.keys.get(holder)!;
      await sys.adjudicator.answerWithheld(id, rewrapAnswer(key, digest, contentId), key.x, key.y);
      expect((await sys.adjudicator.challenge(id)).status).to.equal(Status.Answered);

      const outsider = sys.nodes.map((n) => n.address).find((a) => !members.includes(a))!;
      const forged = [outsider, members[1]!];
      await refusedWithoutChange(
        sys,
        async () => sys.adjudicator.connect(sys.reader).openWithheld(await request(contentId), outsider, stakeProof(forged, outsider)),
        "AdjudicatorNotHolder",
      );
      await refusedWithoutChange(
        sys,
        async () => sys.adjudicator.connect(sys.reader).openWithheld(await request(contentId), holder, { members, slots: [], slot: 5 }),
        "AdjudicatorNotHolder",
      );
    });

    it("a threshold member answers with its share answer for its own slot only", async () => {
      const sys = await loadFixture(challengeFixture);
      const { contentId, slots } = sys.threshold;
      const member = slots[1]!;
      const { id, digest } = await openWithheld(sys, sys.reader, await request(contentId), member.member, thresholdProof(slots, member.member));
      const challenge = await sys.adjudicator.challenge(id);
      expect(challenge.kind).to.equal(2n); // WithheldShare
      expect(challenge.shareIndex).to.equal(BigInt(member.index));
      const key = sys.keys.get(member.member)!;
      const wrongIndex = shareAnswer(key, digest, contentId, member.index + 1);
      await refusedWithoutChange(sys, async () => sys.adjudicator.answerWithheld(id, wrongIndex, key.x, key.y), "AdjudicatorMalformedAnswer");
      const offCurve = shareAnswer(key, digest, contentId, member.index, { ephemeral: OFF_CURVE_KEY });
      await refusedWithoutChange(sys, async () => sys.adjudicator.answerWithheld(id, offCurve, key.x, key.y), "AdjudicatorMalformedAnswer");
      const asRewrap = rewrapAnswer(key, digest, contentId);
      await refusedWithoutChange(sys, async () => sys.adjudicator.answerWithheld(id, asRewrap, key.x, key.y), "AdjudicatorMalformedAnswer");
      await expect(sys.adjudicator.answerWithheld(id, shareAnswer(key, digest, contentId, member.index), key.x, key.y)).to.changeTokenBalance(
        sys.token,
        member.member,
        BOND,
      );
    });

    it("accepts exactly what the validator daemon builds, for a DEK holder and a threshold member", async () => {
      const sys = await loadFixture(challengeFixture);
      const holder = sys.nodes[1]!.address;
      const req = await request(sys.all.contentId);
      const { id, digest } = await openWithheld(sys, sys.reader, req, holder);
      const key = sys.keys.get(holder)!;
      const rewrap = daemonAnswer(key, { kind: "rewrap", contentId: sys.all.contentId, requestDigest: digest, clientPublicKey: req.clientPublicKey });
      await sys.adjudicator.answerWithheld(id, rewrap, key.x, key.y);
      expect((await sys.adjudicator.challenge(id)).status).to.equal(Status.Answered);

      const { contentId, slots } = sys.threshold;
      const member = slots[2]!;
      const shareReq = await request(contentId);
      const opened = await openWithheld(sys, sys.reader, shareReq, member.member, thresholdProof(slots, member.member));
      const memberKey = sys.keys.get(member.member)!;
      const share = daemonAnswer(memberKey, { kind: "share", contentId, requestDigest: opened.digest, clientPublicKey: shareReq.clientPublicKey, shareIndex: member.index });
      await sys.adjudicator.answerWithheld(opened.id, share, memberKey.x, memberKey.y);
      expect((await sys.adjudicator.challenge(opened.id)).status).to.equal(Status.Answered);
    });

    it("refuses a challenge by a reader without access, against a non-validator, an expired, malformed or replayed request, or an off-chain placement", async () => {
      const sys = await loadFixture(challengeFixture);
      const holder = sys.nodes[1]!.address;
      const open = async (req: Parameters<typeof sys.adjudicator.openWithheld>[0], who = holder, proof = NO_PROOF) =>
        sys.adjudicator.connect(sys.reader).openWithheld(req, who, proof);
      await refusedWithoutChange(sys, async () => open(await request(sys.closed.contentId)), "AdjudicatorNoAccess");
      await refusedWithoutChange(sys, async () => open(await request(ethers.id("no such content"))), "AdjudicatorNoAccess");
      await refusedWithoutChange(sys, async () => open(await request(sys.all.contentId), sys.stranger.address), "AdjudicatorNotActiveValidator");
      const now = BigInt(await time.latest());
      await refusedWithoutChange(sys, async () => open(await request(sys.all.contentId, { expiry: now })), "AdjudicatorRequestExpired");
      for (const clientPublicKey of ["0x", ethers.concat(["0x04", ethers.id("x")]), OFF_CURVE_KEY, ethers.concat([new KasKey().compressed, "0x00"])]) {
        await refusedWithoutChange(sys, async () => open(await request(sys.all.contentId, { clientPublicKey })), "AdjudicatorMalformedRequest");
      }
      await refusedWithoutChange(sys, async () => open(await request(sys.xor.contentId)), "AdjudicatorHoldersNotOnChain");

      const req = await request(sys.all.contentId);
      await open(req);
      // The same request again, against the same or another holder, or by someone else.
      await refusedWithoutChange(sys, async () => open(req), "AdjudicatorAlreadyChallenged");
      await refusedWithoutChange(sys, async () => open(req, sys.nodes[3]!.address), "AdjudicatorAlreadyChallenged");
      await refusedWithoutChange(sys, async () => sys.adjudicator.connect(sys.stranger).openWithheld(req, holder, NO_PROOF), "AdjudicatorAlreadyChallenged");
    });

    it("refuses a late, unsigned, foreign-key, malformed or unknown answer", async () => {
      const sys = await loadFixture(challengeFixture);
      const holder = sys.nodes[1]!.address;
      const key = sys.keys.get(holder)!;
      const other = sys.keys.get(sys.nodes[2]!.address)!;
      const { id, digest } = await openWithheld(sys, sys.reader, await request(sys.all.contentId), holder);
      const contentId = sys.all.contentId;
      const answer = (o = {}) => rewrapAnswer(key, digest, contentId, o);
      const cases: [string, () => Promise<unknown>][] = [
        ["AdjudicatorUnknownChallenge", () => sys.adjudicator.answerWithheld(999, answer(), key.x, key.y)],
        // Another validator's key and signature: a valid key, but not the accused's.
        ["AdjudicatorUnknownKasKey", () => sys.adjudicator.answerWithheld(id, rewrapAnswer(other, digest, contentId), other.x, other.y)],
        // The holder's key named, another key signed.
        ["AdjudicatorBadSignature", () => sys.adjudicator.answerWithheld(id, answer({ signWith: other }), key.x, key.y)],
        // Signed for another request.
        ["AdjudicatorBadSignature", () => sys.adjudicator.answerWithheld(id, rewrapAnswer(key, ethers.id("other"), contentId), key.x, key.y)],
        ["AdjudicatorMalformedAnswer", () => sys.adjudicator.answerWithheld(id, answer({ ephemeral: OFF_CURVE_KEY }), key.x, key.y)],
        ["AdjudicatorMalformedAnswer", () => sys.adjudicator.answerWithheld(id, ethers.dataSlice(answer(), 1), key.x, key.y)],
        ["AdjudicatorMalformedAnswer", () => sys.adjudicator.answerWithheld(id, answer(), key.x, ethers.ZeroHash)],
      ];
      for (const [error, call] of cases) await refusedWithoutChange(sys, call, error);
      await mine(WINDOW);
      await refusedWithoutChange(sys, async () => sys.adjudicator.answerWithheld(id, answer(), key.x, key.y), "AdjudicatorAnswerTooLate");
      await refusedWithoutChange(sys, async () => sys.adjudicator.resolve(12345), "AdjudicatorUnknownChallenge");
    });

    it("a holder that exits and withdraws before the window closes ends the challenge void, bond returned", async () => {
      const sys = await loadFixture(challengeFixture);
      // A validator that joined after the draws holds no stake(k) or threshold slot, so nothing
      // holds up its withdrawal; as an active validator it holds the `all` content.
      const holder = sys.spare[0]!;
      await addKasValidator({ ...sys, adjudicator: sys.adjudicatorAccount }, holder);
      const total = await conserved(sys);
      const { id } = await openWithheld(sys, sys.reader, await request(sys.all.contentId), holder.address);
      await sys.validators.connect(sys.operator).requestExit(holder.address);
      await time.increase(UNBONDING + 1);
      await sys.validators.connect(sys.operator).withdraw(holder.address);
      await mine(WINDOW);
      await expect(sys.adjudicator.resolve(id)).to.emit(sys.adjudicator, "ChallengeVoided").withArgs(id, holder.address);
      expect((await sys.adjudicator.challenge(id)).status).to.equal(Status.Void);
      expect(await conserved(sys)).to.equal(total);
    });
  });

  describe("bad answer", () => {
    it("slashes a member that signed a share answer for a slot it does not hold, once", async () => {
      const sys = await loadFixture(challengeFixture);
      const { contentId, slots } = sys.threshold;
      const member = slots[0]!;
      const key = sys.keys.get(member.member)!;
      const digest = ethers.id("a request the member answered");
      const foreignIndex = slots[2]!.index;
      const answer = shareAnswer(key, digest, contentId, foreignIndex);
      const total = await conserved(sys);
      const stake = (await sys.validators.validator(member.member)).stake;
      const slashed = (stake * 1_000n) / 10_000n;
      const prove = () => sys.adjudicator.connect(sys.stranger).proveBadShareAnswer(member.member, contentId, digest, answer, key.x, key.y, slots);
      await expect(prove())
        .to.emit(sys.adjudicator, "BadAnswerProven")
        .withArgs(member.member, sys.stranger.address, ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(["address", "bytes32", "bytes32", "bytes32"], [member.member, contentId, digest, ethers.keccak256(answer)])), 1n, slashed, slashed / 2n);
      expect((await sys.validators.validator(member.member)).status).to.equal(Jailed);
      expect(await conserved(sys)).to.equal(total);
      await refusedWithoutChange(sys, async () => prove(), "AdjudicatorAnswerAlreadyProven");
    });

    it("slashes a member whose signed answer has no valid ephemeral key", async () => {
      const sys = await loadFixture(challengeFixture);
      const { contentId, slots } = sys.threshold;
      const member = slots[1]!;
      const key = sys.keys.get(member.member)!;
      const digest = ethers.id("request");
      const answer = shareAnswer(key, digest, contentId, member.index, { ephemeral: OFF_CURVE_KEY });
      await expect(sys.adjudicator.connect(sys.reader).proveBadShareAnswer(member.member, contentId, digest, answer, key.x, key.y, slots))
        .to.emit(sys.adjudicator, "BadAnswerProven");
      expect((await sys.validators.validator(member.member)).status).to.equal(Jailed);
    });

    it("refuses a well-formed answer, a forged signature, another content's slots or a malformed answer", async () => {
      const sys = await loadFixture(challengeFixture);
      const { contentId, slots } = sys.threshold;
      const member = slots[0]!;
      const key = sys.keys.get(member.member)!;
      const digest = ethers.id("request");
      const prove = (answer: string, o: { who?: string; slots?: typeof slots; x?: string; y?: string; content?: string } = {}) =>
        sys.adjudicator.proveBadShareAnswer(o.who ?? member.member, o.content ?? contentId, digest, answer, o.x ?? key.x, o.y ?? key.y, o.slots ?? slots);
      const wrong = shareAnswer(key, digest, contentId, slots[2]!.index);
      const forger = new KasKey();
      await refusedWithoutChange(sys, async () => prove(shareAnswer(key, digest, contentId, member.index)), "AdjudicatorAnswerNotProvablyBad");
      await refusedWithoutChange(sys, async () => prove(shareAnswer(forger, digest, contentId, slots[2]!.index), { x: forger.x, y: forger.y }), "AdjudicatorUnknownKasKey");
      await refusedWithoutChange(sys, async () => prove(shareAnswer(forger, digest, contentId, slots[2]!.index)), "AdjudicatorBadSignature");
      await refusedWithoutChange(sys, async () => prove(wrong, { slots: [...slots].reverse() }), "AdjudicatorNotHolder");
      await refusedWithoutChange(sys, async () => prove(wrong, { content: sys.all.contentId }), "AdjudicatorBadSignature");
      await refusedWithoutChange(sys, async () => prove(ethers.dataSlice(wrong, 0, 147)), "AdjudicatorMalformedAnswer");
      // Blamed on a validator that did not sign it.
      await refusedWithoutChange(sys, async () => prove(wrong, { who: slots[1]!.member }), "AdjudicatorUnknownKasKey");
    });
  });

  describe("fabricated record", () => {
    /** Validator nodes[0]'s verifiable batch 1: three true records and one whose signature is another reader's. */
    async function batchFixture() {
      const sys = await challengeFixture();
      const v = sys.nodes[0]!;
      const domain: Domain = { chainId: sys.chainId, verifyingContract: await sys.audit.getAddress() };
      const now = await time.latest();
      const honest = [0, 1, 2].map((i) => singleRecord(domain, accountReader(), ethers.id(`content-${i}`), now));
      const made = singleRecord(domain, accountReader(), ethers.id("content-3"), now);
      const forged = { record: made.record, evidence: { ...made.evidence, signature: honest[0]!.evidence.signature } };
      const entries = [...honest, forged];
      const tree = evidenceTree(entries);
      const packed = packRecords(entries.map((e) => e.record));
      await sys.audit.connect(v).recordVerifiableRewraps(1, packed, tree.root, CID);
      const answer = (id: bigint, i: number, entry = entries[i]!, proof = tree.getProof(i)) =>
        sys.adjudicator.answerFabricated(id, contractRecord(entry.record), contractEvidence(entry.evidence), proof);
      const open = async (i: number, who = sys.stranger) => {
        const id = await sys.adjudicator.connect(who).openFabricated.staticCall(v.address, 1, packed, i);
        await sys.adjudicator.connect(who).openFabricated(v.address, 1, packed, i);
        return id;
      };
      return { ...sys, v, entries, packed, answer, open, proofOf: (i: number) => tree.getProof(i) };
    }

    it("a record backed by its signed request is answered by anyone; the validator keeps its stake and takes the bond", async () => {
      const sys = await loadFixture(batchFixture);
      const total = await conserved(sys);
      const stake = (await sys.validators.validator(sys.v.address)).stake;
      const id = await sys.open(1);
      const challenge = await sys.adjudicator.challenge(id);
      expect(challenge.kind).to.equal(3n); // FabricatedRecord
      expect(challenge.accused).to.equal(sys.v.address);
      // Another record's evidence, or this record's with another's proof, does not answer it.
      await refusedWithoutChange(sys, async () => sys.answer(id, 2), "AdjudicatorInvalidEvidence");
      await refusedWithoutChange(sys, async () => sys.answer(id, 1, sys.entries[1], sys.proofOf(2)), "AdjudicatorInvalidEvidence");
      await expect(sys.answer(id, 1)).to.changeTokenBalance(sys.token, sys.v, BOND);
      expect((await sys.adjudicator.challenge(id)).status).to.equal(Status.Answered);
      expect((await sys.validators.validator(sys.v.address)).stake).to.equal(stake);
      expect(await conserved(sys)).to.equal(total);
    });

    it("a record the validator cannot back is slashed after the window", async () => {
      const sys = await loadFixture(batchFixture);
      const total = await conserved(sys);
      const id = await sys.open(3);
      await refusedWithoutChange(sys, async () => sys.answer(id, 3), "AdjudicatorInvalidEvidence");
      await mine(WINDOW);
      await refusedWithoutChange(sys, async () => sys.answer(id, 3), "AdjudicatorAnswerTooLate");
      await expect(sys.adjudicator.resolve(id)).to.emit(sys.adjudicator, "ChallengeUpheld");
      expect((await sys.validators.validator(sys.v.address)).status).to.equal(Jailed);
      expect((await sys.adjudicator.challenge(id)).status).to.equal(Status.Slashed);
      expect(await conserved(sys)).to.equal(total);
    });

    it("refuses a record outside the batch, other bytes than the batch's, a non-validator, a replay and the wrong kind of answer", async () => {
      const sys = await loadFixture(batchFixture);
      const open = (validator: string, records: string, index: number) => sys.adjudicator.connect(sys.stranger).openFabricated(validator, 1, records, index);
      const refusedByLog = async (call: Promise<unknown>, error: string) => {
        const count = await sys.adjudicator.challengeCount();
        await expect(call).to.be.revertedWithCustomError(sys.audit, error);
        expect(await sys.adjudicator.challengeCount()).to.equal(count);
      };
      await refusedByLog(open(sys.v.address, sys.packed, 4), "RewrapAuditLogNotTheBatch");
      await refusedByLog(open(sys.v.address, ethers.dataSlice(sys.packed, 92), 0), "RewrapAuditLogNotTheBatch");
      await refusedByLog(open(sys.nodes[1]!.address, sys.packed, 0), "RewrapAuditLogNoEvidence");
      await refusedWithoutChange(sys, async () => open(sys.stranger.address, sys.packed, 0), "AdjudicatorNotActiveValidator");
      const id = await sys.open(0);
      await refusedWithoutChange(sys, async () => open(sys.v.address, sys.packed, 0), "AdjudicatorAlreadyChallenged");
      const key = sys.keys.get(sys.v.address)!;
      await refusedWithoutChange(sys, async () => sys.adjudicator.answerWithheld(id, rewrapAnswer(key, ethers.ZeroHash, ethers.ZeroHash), key.x, key.y), "AdjudicatorWrongKind");
      const { id: withheld } = await openWithheld(sys, sys.reader, await request(sys.all.contentId), sys.v.address);
      await refusedWithoutChange(sys, async () => sys.answer(withheld, 0), "AdjudicatorWrongKind");
    });
  });

  describe("authority", () => {
    it("only the adjudicator role slashes with a reward, and the split is bounded", async () => {
      const sys = await loadFixture(challengeFixture);
      const node = sys.nodes[0]!.address;
      await expect(
        sys.validators.connect(sys.stranger).slashWithReward(node, 1n, ethers.ZeroHash, sys.stranger.address, 10_000),
      ).to.be.revertedWithCustomError(sys.validators, "AccessControlUnauthorizedAccount");
      await expect(
        sys.validators.connect(sys.adjudicatorAccount).slashWithReward(node, 1n, ethers.ZeroHash, sys.stranger.address, 10_001),
      ).to.be.revertedWithCustomError(sys.validators, "ValidatorRegistryInvalidParameters");
      await expect(
        sys.validators.connect(sys.adjudicatorAccount).slashWithReward(node, 1n, ethers.ZeroHash, ethers.ZeroAddress, 1),
      ).to.be.revertedWithCustomError(sys.validators, "ValidatorRegistryInvalidParameters");
      expect(await sys.validators.isActive(node)).to.equal(true);
    });

    it("refuses deployment parameters that make no sense", async () => {
      const sys = await loadFixture(challengeFixture);
      const factory = await ethers.getContractFactory("Adjudicator");
      const c = sys.deployment.contracts;
      const deploy = ([answerWindow, slashBps, challengerBps, bond]: [number, number, number, bigint]) =>
        factory.deploy(c.ValidatorRegistry.address, c.ContentRegistry.address, c.PolicyRegistry.address, c.RewrapAuditLog.address, c.StakeToken.address, {
          answerWindow,
          slashBps,
          challengerBps,
          bond,
        });
      for (const params of [
        [0, 1_000, 5_000, BOND],
        [20, 0, 5_000, BOND],
        [20, 10_001, 5_000, BOND],
        [20, 1_000, 10_001, BOND],
        [20, 1_000, 5_000, 0n],
      ] as [number, number, number, bigint][]) {
        await expect(deploy(params)).to.be.revertedWithCustomError(sys.adjudicator, "AdjudicatorInvalidParameters");
      }
    });
  });
});

