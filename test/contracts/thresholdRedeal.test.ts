import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, mine, time } from "@nomicfoundation/hardhat-network-helpers";
import { addValidator, registerContent, createPolicy, Mode, UNBONDING } from "./helpers/fixtures";
import { commitmentsBytes, drawMembers, registerThreshold, repairThreshold, sealedSharesFor, thresholdFixture, type Slot, type ThresholdSystem } from "./helpers/threshold";

const ZERO = ethers.ZeroAddress;

/** Nine active validators (so five stay when a content loses three members) and a threshold(3, 5) content. */
async function redealFixture() {
  const sys = await thresholdFixture();
  const extra = sys.nodes.slice(6, 9);
  for (const node of extra) sys.kids.set(node.address, (await addValidator(sys, node)).kid);
  const active = [...sys.active, ...extra];
  const tsys = { ...sys, active };
  const registered = await registerThreshold(tsys);
  return { sys: tsys, ...registered };
}

async function exit(sys: ThresholdSystem, member: string) {
  await sys.validators.connect(sys.operator).requestExit(member);
}

/** A new dealing sealed to the contract's draw from the latest block, shares indexed from `firstIndex`. */
async function dealFor(sys: ThresholdSystem, contentId: string, firstIndex: number, o: { m?: number; index?: (slot: number) => number } = {}) {
  const drawBlock = await ethers.provider.getBlockNumber();
  const { members, seed } = await drawMembers(sys, drawBlock, contentId, 5);
  const deal = {
    drawBlock,
    commitments: commitmentsBytes(o.m ?? 3),
    sealedShares: sealedSharesFor(members, (member) => sys.kids.get(member)!, { index: o.index ?? ((slot) => firstIndex + slot) }),
  };
  return { deal, members, seed };
}

describe("ContentRegistry.redealThreshold", () => {
  it("redealThreshold_replacesEverySlotWithFreshIndexesAndReleasesTheMembersAndPreviousOnes", async () => {
    const { sys, contentId, slots } = await loadFixture(redealFixture);
    // One member leaves and is repaired (its slot names it as previous), then two more leave: two of five left, fewer than m = 3.
    await exit(sys, slots[0]!.member);
    const repaired: Slot[] = await repairThreshold(sys, contentId, slots);
    await exit(sys, repaired[1]!.member);
    await exit(sys, repaired[2]!.member);
    const { deal, members, seed } = await dealFor(sys, contentId, 7);
    const tx = sys.content.connect(sys.publisher).redealThreshold(contentId, repaired, deal);
    await expect(tx)
      .to.emit(sys.content, "ThresholdSharesRedealt")
      .withArgs(contentId, 3, members, 7, deal.drawBlock, seed, deal.commitments, deal.sealedShares);
    const receipt = await (await tx).wait();
    console.log(`      redealThreshold, threshold(3, 5), 9 validators, one slot enrolling: ${receipt!.gasUsed} gas`);
    const dealt = members.map((member, i) => ({ member, index: 7 + i, previous: ZERO }));
    expect(await sys.content.isThresholdSlots(contentId, dealt)).to.equal(true);
    expect(await sys.content.isThresholdSlots(contentId, repaired)).to.equal(false);
    // Every earlier member and the repaired slot's previous one are released; the new members count the slot once.
    const earlier = new Set([...slots.map((s) => s.member), repaired[0]!.member]);
    for (const member of earlier) expect(await sys.content.assignedReplicas(member)).to.equal(members.includes(member) ? 1n : 0n);
    for (const member of members) expect(await sys.content.assignedReplicas(member)).to.equal(1n);
    await time.increase(UNBONDING);
    await expect(sys.validators.connect(sys.operator).withdraw(slots[0]!.member)).to.emit(sys.validators, "StakeWithdrawn");
  });

  it("redealThreshold_revertsForAnyoneButThePublisherAndForARevokedPolicy", async () => {
    const { sys, contentId, slots } = await loadFixture(redealFixture);
    const { deal } = await dealFor(sys, contentId, 6);
    const member = sys.active.find((n) => n.address === slots[0]!.member)!;
    for (const caller of [sys.stranger, member, sys.reader]) {
      await expect(sys.content.connect(caller).redealThreshold(contentId, slots, deal))
        .to.be.revertedWithCustomError(sys.content, "ContentRegistryNotPublisher")
        .withArgs(sys.policyId, caller.address);
    }
    await sys.policies.connect(sys.publisher).revokePolicy(sys.policyId);
    await expect(sys.content.connect(sys.publisher).redealThreshold(contentId, slots, deal))
      .to.be.revertedWithCustomError(sys.content, "ContentRegistryPolicyRevoked")
      .withArgs(sys.policyId);
  });

  it("redealThreshold_revertsWhenReplayed", async () => {
    const { sys, contentId, slots } = await loadFixture(redealFixture);
    const { deal, members } = await dealFor(sys, contentId, 6);
    await sys.content.connect(sys.publisher).redealThreshold(contentId, slots, deal);
    // The same transaction again: its slots are no longer the content's.
    await expect(sys.content.connect(sys.publisher).redealThreshold(contentId, slots, deal))
      .to.be.revertedWithCustomError(sys.content, "ContentRegistryReplicaSetMismatch")
      .withArgs(contentId);
    // The same deal against the current slots: its indexes are no longer fresh.
    const current = members.map((member, i) => ({ member, index: 6 + i, previous: ZERO }));
    await mine(1);
    const again = await dealFor(sys, contentId, 6);
    await expect(sys.content.connect(sys.publisher).redealThreshold(contentId, current, again.deal))
      .to.be.revertedWithCustomError(sys.content, "ContentRegistrySealedShareMismatch")
      .withArgs(0);
  });

  it("redealThreshold_revertsOnMalformedInput", async () => {
    const { sys, contentId, slots } = await loadFixture(redealFixture);
    const { deal } = await dealFor(sys, contentId, 6);
    const redeal = (d: object, s: Slot[] = slots, id = contentId) => sys.content.connect(sys.publisher).redealThreshold(id, s, d as never);
    const reverts = (call: Promise<unknown>, error: string) => expect(call).to.be.revertedWithCustomError(sys.content, error);
    await reverts(redeal({ ...deal, commitments: commitmentsBytes(2) }), "ContentRegistryInvalidCommitments");
    await reverts(redeal({ ...deal, commitments: ethers.concat(["0x04", ethers.dataSlice(deal.commitments, 1)]) }), "ContentRegistryInvalidCommitments");
    await reverts(redeal({ ...deal, sealedShares: ethers.dataSlice(deal.sealedShares, 112) }), "ContentRegistryInvalidSealedShares");
    // Indexes restarting at 1 (the dealt ones) instead of above every index in use.
    const reused = await dealFor(sys, contentId, 1);
    await reverts(redeal(reused.deal), "ContentRegistrySealedShareMismatch");
    await reverts(redeal({ ...deal, drawBlock: (await ethers.provider.getBlockNumber()) + 1 }), "ContentRegistryInvalidDrawBlock");
    await reverts(redeal(deal, [...slots].reverse()), "ContentRegistryReplicaSetMismatch");
    await reverts(redeal(deal, slots, ethers.keccak256("0x1234")), "ContentRegistryUnknownContent");
    const stakePolicy = await createPolicy(sys, sys.publisher, { mode: Mode.Stake, k: 1 });
    const stake = await registerContent(sys, sys.publisher, stakePolicy, sys.active[0]!.address);
    await reverts(redeal(deal, slots, stake.contentId), "ContentRegistryNotThresholdMode");
  });

  it("redealThreshold_revertsWhenFewerActiveValidatorsThanN", async () => {
    const { sys, contentId, slots } = await loadFixture(redealFixture);
    for (const node of sys.active.slice(0, 5)) await exit(sys, node.address);
    const drawBlock = await ethers.provider.getBlockNumber();
    const deal = { drawBlock, commitments: commitmentsBytes(3), sealedShares: sealedSharesFor(sys.active.slice(5, 9).map((n) => n.address), (m) => sys.kids.get(m)!) };
    await expect(sys.content.connect(sys.publisher).redealThreshold(contentId, slots, deal))
      .to.be.revertedWithCustomError(sys.content, "ContentRegistryNotEnoughValidators")
      .withArgs(5, 4);
  });
});
