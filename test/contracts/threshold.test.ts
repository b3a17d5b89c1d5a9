import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, mine, time } from "@nomicfoundation/hardhat-network-helpers";
import { addValidator, createPolicy, deployFixture, HEADER, Mode, registerContent, UNBONDING } from "./helpers/fixtures";
import {
  commitmentsBytes,
  registerThreshold,
  repairThreshold,
  sealedSharesFor,
  thresholdFixture,
  thresholdK,
  thresholdRegistration,
  type Slot,
  type ThresholdSystem,
} from "./helpers/threshold";

const ZERO = ethers.ZeroAddress;

async function expectRegisterReverts(sys: ThresholdSystem, registration: object, error: string, ...args: unknown[]) {
  const tx = sys.content.connect(sys.publisher).registerThreshold(registration as never);
  if (args.length === 0) await expect(tx).to.be.revertedWithCustomError(sys.content, error);
  else await expect(tx).to.be.revertedWithCustomError(sys.content, error).withArgs(...args);
}

/** A member leaves: its operator requests exit. */
async function exit(sys: ThresholdSystem, member: string) {
  await sys.validators.connect(sys.operator).requestExit(member);
}

describe("threshold custody (ContentRegistry, PolicyRegistry)", () => {
  describe("PolicyRegistry", () => {
    it("createPolicy_acceptsThresholdFrom2of2To16of16", async () => {
      const sys = await loadFixture(deployFixture);
      for (const [m, n] of [[2, 2], [3, 5], [2, 16], [16, 16]]) {
        const id = await createPolicy(sys, sys.publisher, { mode: Mode.Threshold, k: thresholdK(m!, n!) });
        const info = await sys.policies.registrationInfo(id);
        expect([info.mode, info.k]).to.deep.equal([BigInt(Mode.Threshold), BigInt(thresholdK(m!, n!))]);
      }
    });

    it("createPolicy_revertsForThresholdBelow2OrAboveN", async () => {
      const sys = await loadFixture(deployFixture);
      const input = (k: number) => ({ requirements: [], allowlist: [], notBefore: 0, notAfter: 0, mode: Mode.Threshold, k, explicitMembers: [] });
      // m = 1 (k < 16) would let every member decrypt alone; m > n could never be met.
      for (const k of [0, 1, 15, thresholdK(4, 3), thresholdK(16, 15), 0xff - 0x0f]) {
        await expect(sys.policies.connect(sys.publisher).createPolicy(input(k)))
          .to.be.revertedWithCustomError(sys.policies, "PolicyRegistryInvalidReplicationFactor")
          .withArgs(Mode.Threshold, k);
      }
    });
  });

  describe("registerThreshold", () => {
    it("registerThreshold_drawsTheMembersFromTheNamedBlockAndEmitsEverythingNodesNeed", async () => {
      const sys = await loadFixture(thresholdFixture);
      const { registration, contentId, members, seed } = await thresholdRegistration(sys);
      await expect(sys.content.connect(sys.publisher).registerThreshold(registration))
        .to.emit(sys.content, "ContentRegistered")
        .withArgs(contentId, sys.publisher.address, sys.policyId, ZERO, Mode.Threshold, registration.cid, HEADER, registration.recoveryEnvelope)
        .and.to.emit(sys.content, "ThresholdSharesDealt")
        .withArgs(contentId, 3, members, registration.drawBlock, seed, registration.commitments, registration.sealedShares)
        .and.not.to.emit(sys.content, "ReplicaSetAssigned");
      expect(new Set(members).size).to.equal(5);
      const slots = members.map((member, i) => ({ member, index: i + 1, previous: ZERO }));
      expect(await sys.content.isThresholdSlots(contentId, slots)).to.equal(true);
      expect(await sys.content.isThresholdSlots(contentId, [...slots].reverse())).to.equal(false);
      expect(await sys.content.isReplicaSet(contentId, members)).to.equal(false);
      expect(await sys.content.policyOf(contentId)).to.equal(sys.policyId);
      for (const member of members) expect(await sys.content.assignedReplicas(member)).to.equal(1n);
    });

    it("registerThreshold_acceptsAnyOfTheLast64BlocksAndNoOther", async () => {
      const sys = await loadFixture(thresholdFixture);
      await mine(70);
      const latest = await ethers.provider.getBlockNumber();
      // The transaction lands in block latest + 1: blocks latest − 63 … latest are within 64.
      for (const drawBlock of [latest - 63, latest]) {
        const { registration } = await thresholdRegistration(sys, { drawBlock });
        await sys.content.connect(sys.publisher).registerThreshold(registration);
      }
      // Too old, the including block itself (its hash is not known yet), and the future.
      for (const back of [-64, 1, 1000]) {
        const now = await ethers.provider.getBlockNumber();
        const { registration } = await thresholdRegistration(sys, { drawBlock: Math.min(now + back, now) });
        await expectRegisterReverts(sys, { ...registration, drawBlock: now + back }, "ContentRegistryInvalidDrawBlock", now + back);
      }
    });

    it("registerThreshold_revertsWhenSharesAreAddressedToOtherMembersThanTheDraw", async () => {
      const sys = await loadFixture(thresholdFixture);
      const outsider = (members: string[]) => sys.active.map((n) => n.address).find((a) => !members.includes(a))!;
      // Slot 2's share sealed to a validator that was not drawn.
      const kid = (member: string) => sys.kids.get(member)!;
      let made = await thresholdRegistration(sys, { sealedShares: (members) => sealedSharesFor(members, kid, { recipient: (m, slot) => (slot === 2 ? outsider(members) : m) }) });
      await expectRegisterReverts(sys, made.registration, "ContentRegistrySealedShareMismatch", 2);
      // Shares in another order than the draw's slots.
      made = await thresholdRegistration(sys, { sealedShares: (members) => sealedSharesFor(members, kid, { recipient: (_, slot) => members[(slot + 1) % 5]! }) });
      await expectRegisterReverts(sys, made.registration, "ContentRegistrySealedShareMismatch", 0);
      // The right members, wrong indexes or an unknown version.
      made = await thresholdRegistration(sys, { sealedShares: (members) => sealedSharesFor(members, kid, { index: (slot) => (slot === 4 ? 6 : slot + 1) }) });
      await expectRegisterReverts(sys, made.registration, "ContentRegistrySealedShareMismatch", 4);
      made = await thresholdRegistration(sys, { sealedShares: (members) => sealedSharesFor(members, kid, { version: 2 }) });
      await expectRegisterReverts(sys, made.registration, "ContentRegistrySealedShareMismatch", 0);
      // Sealed for the draw of another block than the one named.
      await mine(1);
      made = await thresholdRegistration(sys);
      const other = await thresholdRegistration(sys, { cid: made.registration.cid, drawBlock: made.registration.drawBlock - 1 });
      if (other.members.join() !== made.members.join()) {
        await expectRegisterReverts(sys, { ...made.registration, sealedShares: other.registration.sealedShares }, "ContentRegistrySealedShareMismatch");
      }
    });

    it("registerThreshold_revertsOnMalformedInput", async () => {
      const sys = await loadFixture(thresholdFixture);
      const { registration: r } = await thresholdRegistration(sys);
      await expectRegisterReverts(sys, { ...r, commitments: commitmentsBytes(2) }, "ContentRegistryInvalidCommitments");
      await expectRegisterReverts(sys, { ...r, commitments: commitmentsBytes(4) }, "ContentRegistryInvalidCommitments");
      await expectRegisterReverts(sys, { ...r, commitments: ethers.dataSlice(r.commitments, 1) }, "ContentRegistryInvalidCommitments");
      await expectRegisterReverts(sys, { ...r, commitments: ethers.concat(["0x04", ethers.dataSlice(r.commitments, 1)]) }, "ContentRegistryInvalidCommitments");
      await expectRegisterReverts(sys, { ...r, commitments: "0x" }, "ContentRegistryInvalidCommitments");
      await expectRegisterReverts(sys, { ...r, sealedShares: ethers.dataSlice(r.sealedShares, 112) }, "ContentRegistryInvalidSealedShares");
      await expectRegisterReverts(sys, { ...r, sealedShares: ethers.concat([r.sealedShares, "0x00"]) }, "ContentRegistryInvalidSealedShares");
      await expectRegisterReverts(sys, { ...r, sealedShares: "0x" }, "ContentRegistryInvalidSealedShares");
      await expectRegisterReverts(sys, { ...r, cid: "0x" }, "ContentRegistryInvalidCid");
      await expectRegisterReverts(sys, { ...r, header: "0x" }, "ContentRegistryInvalidHeader");
      await expectRegisterReverts(sys, { ...r, header: ethers.hexlify(new Uint8Array(1025)) }, "ContentRegistryInvalidHeader");
      await expectRegisterReverts(sys, { ...r, recoveryEnvelope: ethers.hexlify(new Uint8Array(513)) }, "ContentRegistryInvalidRecoveryEnvelope");
    });

    it("registerThreshold_revertsForAnyoneButThePublisherOfALiveThresholdPolicy", async () => {
      const sys = await loadFixture(thresholdFixture);
      const { registration: r } = await thresholdRegistration(sys);
      await expect(sys.content.connect(sys.stranger).registerThreshold(r))
        .to.be.revertedWithCustomError(sys.content, "ContentRegistryNotPublisher")
        .withArgs(sys.policyId, sys.stranger.address);
      await expectRegisterReverts(sys, { ...r, policyId: 999n }, "ContentRegistryUnknownPolicy", 999n);
      const stakePolicy = await createPolicy(sys, sys.publisher, { mode: Mode.Stake, k: 3 });
      await expectRegisterReverts(sys, { ...r, policyId: stakePolicy }, "ContentRegistryWrongMode", stakePolicy, Mode.Stake);
      await expect(sys.content.connect(sys.publisher).register(r.cid, sys.policyId, sys.active[0]!.address, HEADER, "0x"))
        .to.be.revertedWithCustomError(sys.content, "ContentRegistryWrongMode")
        .withArgs(sys.policyId, Mode.Threshold);
      await sys.policies.connect(sys.publisher).revokePolicy(sys.policyId);
      await expectRegisterReverts(sys, r, "ContentRegistryPolicyRevoked", sys.policyId);
    });

    it("registerThreshold_revertsWhenReplayed", async () => {
      const sys = await loadFixture(thresholdFixture);
      const { registration, contentId } = await thresholdRegistration(sys);
      await sys.content.connect(sys.publisher).registerThreshold(registration);
      await expectRegisterReverts(sys, registration, "ContentRegistryAlreadyRegistered", contentId);
    });

    it("registerThreshold_revertsWhenFewerActiveValidatorsThanN", async () => {
      const sys = await loadFixture(thresholdFixture);
      await exit(sys, sys.active[0]!.address);
      await exit(sys, sys.active[1]!.address);
      const { registration } = await thresholdRegistration(sys, { sealedShares: (members) => sealedSharesFor(members, (m) => sys.kids.get(m)!) });
      await expectRegisterReverts(sys, registration, "ContentRegistryNotEnoughValidators", 5, 4);
    });
  });

  describe("repairThreshold and confirmEnrollment", () => {
    it("repairThreshold_redrawsADepartedMemberWithAFreshIndexAndHoldsItUntilTheReplacementConfirms", async () => {
      const sys = await loadFixture(thresholdFixture);
      const { contentId, slots } = await registerThreshold(sys);
      const leaver = slots[1]!.member;
      await exit(sys, leaver);
      await expect(sys.content.connect(sys.stranger).repairThreshold(contentId, slots)).to.emit(sys.content, "ThresholdSlotRepaired");
      const after = await repairedSlots(sys, contentId, slots);
      expect(after[1]!.index).to.equal(6);
      expect(after[1]!.previous).to.equal(leaver);
      expect(slots.map((s) => s.member)).to.not.include(after[1]!.member);
      expect(after.filter((_, i) => i !== 1)).to.deep.equal(slots.filter((_, i) => i !== 1));
      expect(await sys.content.isThresholdSlots(contentId, after)).to.equal(true);
      // The leaver still counts the slot: it cannot withdraw before its replacement is enrolled.
      expect(await sys.content.assignedReplicas(leaver)).to.equal(1n);
      await time.increase(UNBONDING);
      await expect(sys.validators.connect(sys.operator).withdraw(leaver)).to.be.revertedWithCustomError(sys.validators, "ValidatorRegistryHandoffPending");
      const replacement = sys.active.find((n) => n.address === after[1]!.member)!;
      await expect(sys.content.connect(replacement).confirmEnrollment(contentId, after, 1))
        .to.emit(sys.content, "ThresholdEnrollmentConfirmed")
        .withArgs(contentId, 1, replacement.address, 6, leaver);
      expect(await sys.content.assignedReplicas(leaver)).to.equal(0n);
      expect(await sys.content.assignedReplicas(replacement.address)).to.equal(1n);
      const confirmed = after.map((s, i) => (i === 1 ? { ...s, previous: ZERO } : s));
      expect(await sys.content.isThresholdSlots(contentId, confirmed)).to.equal(true);
      await expect(sys.validators.connect(sys.operator).withdraw(leaver)).to.emit(sys.validators, "StakeWithdrawn");
    });

    it("repairThreshold_replacesAReplacementThatLeftBeforeConfirmingAndStillHoldsTheFirstLeaver", async () => {
      const sys = await loadFixture(deployFixture);
      const nodes = sys.nodes.slice(0, 7);
      const kids = new Map<string, string>();
      for (const node of nodes) kids.set(node.address, (await addValidator(sys, node)).kid);
      const policyId = await createPolicy(sys, sys.publisher, { mode: Mode.Threshold, k: thresholdK(2, 5) });
      const tsys = { ...sys, active: nodes, kids, policyId };
      const { contentId, slots } = await registerThreshold(tsys, { m: 2 });
      const leaver = slots[0]!.member;
      await exit(tsys, leaver);
      const first = await repairThreshold(sys, contentId, slots);
      const dropout = first[0]!.member;
      await exit(tsys, dropout);
      const second = await repairThreshold(sys, contentId, first);
      expect(second[0]).to.include({ index: 7, previous: leaver });
      expect(second[0]!.member).to.not.be.oneOf([leaver, dropout]);
      expect(await sys.content.assignedReplicas(dropout)).to.equal(0n);
      expect(await sys.content.assignedReplicas(leaver)).to.equal(1n);
      const replacement = nodes.find((n) => n.address === second[0]!.member)!;
      await sys.content.connect(replacement).confirmEnrollment(contentId, second, 0);
      expect(await sys.content.assignedReplicas(leaver)).to.equal(0n);
    });

    it("repairThreshold_revertsForWrongSlotsNothingToRepairNobodyToDrawOrOtherModes", async () => {
      const sys = await loadFixture(thresholdFixture);
      const { contentId, slots } = await registerThreshold(sys);
      await expect(sys.content.repairThreshold(contentId, slots)).to.be.revertedWithCustomError(sys.content, "ContentRegistryNothingToRepair").withArgs(contentId);
      const unknown = ethers.keccak256("0x01");
      await expect(sys.content.repairThreshold(unknown, slots)).to.be.revertedWithCustomError(sys.content, "ContentRegistryUnknownContent").withArgs(unknown);
      for (const wrong of [slots.slice(1), slots.map((s, i) => (i === 0 ? { ...s, index: 9 } : s)), slots.map((s, i) => (i === 2 ? { ...s, previous: sys.stranger.address } : s))]) {
        await expect(sys.content.repairThreshold(contentId, wrong)).to.be.revertedWithCustomError(sys.content, "ContentRegistryReplicaSetMismatch").withArgs(contentId);
      }
      // Only the sixth validator is left to draw; once it exits too, nobody is.
      const spare = sys.active.map((n) => n.address).find((a) => !slots.some((s) => s.member === a))!;
      await exit(sys, spare);
      await exit(sys, slots[0]!.member);
      await expect(sys.content.repairThreshold(contentId, slots)).to.be.revertedWithCustomError(sys.content, "ContentRegistryNothingToRepair").withArgs(contentId);
      // Stake-mode repair and the initial validator's verdict do not apply to threshold contents.
      await expect(sys.content.repair(contentId, slots.map((s) => s.member))).to.be.revertedWithCustomError(sys.content, "ContentRegistryNotStakeMode").withArgs(contentId);
      await expect(sys.content.connect(sys.active[5]!).reportUnusable(contentId, 1, []))
        .to.be.revertedWithCustomError(sys.content, "ContentRegistryNotInitialValidator");
      // And threshold repair does not apply to other modes.
      const allPolicy = await createPolicy(sys, sys.publisher);
      const plain = await registerContent(sys, sys.publisher, allPolicy, slots[1]!.member);
      await expect(sys.content.repairThreshold(plain.contentId, [])).to.be.revertedWithCustomError(sys.content, "ContentRegistryNotThresholdMode").withArgs(plain.contentId);
      const stakePolicy = await createPolicy(sys, sys.publisher, { mode: Mode.Stake, k: 2 });
      const staked = await registerContent(sys, sys.publisher, stakePolicy, slots[1]!.member);
      const stakeMembers = (await sys.content.queryFilter(sys.content.filters.ReplicaSetAssigned(staked.contentId)))[0]!.args.members;
      expect(await sys.content.isReplicaSet(staked.contentId, [...stakeMembers])).to.equal(true);
      expect(await sys.content.isThresholdSlots(staked.contentId, [])).to.equal(false);
      expect(await sys.content.isThresholdSlots(plain.contentId, [])).to.equal(false);
      expect(await sys.content.isThresholdSlots(ethers.keccak256("0x02"), [])).to.equal(false);
    });

    it("confirmEnrollment_revertsForAnyoneButTheActiveMemberBeingEnrolledAndWhenReplayed", async () => {
      const sys = await loadFixture(thresholdFixture);
      const { contentId, slots } = await registerThreshold(sys);
      const node = (address: string) => sys.active.find((n) => n.address === address)!;
      // A member of a dealt slot has nothing to confirm here (its holding goes through confirmHoldings).
      await expect(sys.content.connect(node(slots[0]!.member)).confirmEnrollment(contentId, slots, 0))
        .to.be.revertedWithCustomError(sys.content, "ContentRegistryNotEnrolling")
        .withArgs(contentId, 0);
      await exit(sys, slots[3]!.member);
      const after = await repairThreshold(sys, contentId, slots);
      const enrolling = node(after[3]!.member);
      await expect(sys.content.connect(enrolling).confirmEnrollment(contentId, after, 5)).to.be.revertedWithCustomError(sys.content, "ContentRegistryNotEnrolling").withArgs(contentId, 5);
      for (const caller of [sys.stranger, node(after[0]!.member)]) {
        await expect(sys.content.connect(caller).confirmEnrollment(contentId, after, 3))
          .to.be.revertedWithCustomError(sys.content, "ContentRegistryNotSlotMember")
          .withArgs(contentId, 3, caller.address);
      }
      await expect(sys.content.connect(enrolling).confirmEnrollment(contentId, slots, 3)).to.be.revertedWithCustomError(sys.content, "ContentRegistryReplicaSetMismatch");
      await sys.content.connect(enrolling).confirmEnrollment(contentId, after, 3);
      await expect(sys.content.connect(enrolling).confirmEnrollment(contentId, after, 3)).to.be.revertedWithCustomError(sys.content, "ContentRegistryReplicaSetMismatch");
      const confirmed = after.map((s, i) => (i === 3 ? { ...s, previous: ZERO } : s));
      await expect(sys.content.connect(enrolling).confirmEnrollment(contentId, confirmed, 3)).to.be.revertedWithCustomError(sys.content, "ContentRegistryNotEnrolling");
    });

    it("confirmEnrollment_revertsWhenTheReplacementIsNoLongerActive", async () => {
      const sys = await loadFixture(thresholdFixture);
      const { contentId, slots } = await registerThreshold(sys);
      await exit(sys, slots[2]!.member);
      const after: Slot[] = await repairThreshold(sys, contentId, slots);
      const enrolling = sys.active.find((n) => n.address === after[2]!.member)!;
      await exit(sys, enrolling.address);
      await expect(sys.content.connect(enrolling).confirmEnrollment(contentId, after, 2))
        .to.be.revertedWithCustomError(sys.content, "ContentRegistryValidatorNotActive")
        .withArgs(enrolling.address);
    });
  });
});

/** The slots after the last repair of `contentId`, from its events. */
async function repairedSlots(sys: ThresholdSystem, contentId: string, slots: Slot[]): Promise<Slot[]> {
  const events = await sys.content.queryFilter(sys.content.filters.ThresholdSlotRepaired(contentId));
  const out = slots.map((s) => ({ ...s }));
  for (const e of events) {
    const slot = Number(e.args.slot);
    out[slot] = { member: e.args.replacement, index: Number(e.args.index), previous: slots[slot]!.previous === ZERO ? slots[slot]!.member : slots[slot]!.previous };
  }
  return out;
}
