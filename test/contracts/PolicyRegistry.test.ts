import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import {
  AccessReason,
  ReplicationMode,
  createPolicy,
  deployAccessControl,
  namespaceId,
  policyEventTail,
  policyInput,
  randomAddresses,
  sortRequirements,
  type PolicyInput,
} from "./helpers/accessControlFixture";

const SECRET = 1;
const CONFIDENTIAL = 2;
const APOLLO = 0;
const GEMINI = 1;
const EU = 0;
const US = 1;

describe("PolicyRegistry", () => {
  async function fixture() {
    const sys = await deployAccessControl();
    const [validatorA, validatorB, validatorC] = sys.others;
    // A policy exercising every field: used by the update, revoke and view tests.
    const input = policyInput({
      requirements: sortRequirements([
        { namespace: sys.clearance, value: SECRET },
        { namespace: sys.project, value: APOLLO },
        { namespace: sys.project, value: GEMINI },
      ]),
      allowlist: [sys.reader.address, sys.stranger.address],
      notBefore: 0n,
      notAfter: BigInt((await time.latest()) + 365 * 24 * 3600),
      mode: ReplicationMode.Explicit,
      explicitMembers: [validatorA.address, validatorB.address],
    });
    const policyId = await createPolicy(sys.policies, sys.publisher, input);
    return { ...sys, input, policyId, validatorA, validatorB, validatorC };
  }

  type System = Awaited<ReturnType<typeof fixture>>;

  /** Expects `createPolicy(input)` by the publisher to revert with `error(args)`. */
  async function expectCreateReverts(sys: System, input: PolicyInput, error: string, ...args: unknown[]) {
    const { policies, publisher } = sys;
    await expect(policies.connect(publisher).createPolicy(input))
      .to.be.revertedWithCustomError(policies, error)
      .withArgs(...args);
  }

  describe("createPolicy", () => {
    it("createPolicy_assignsSequentialIdsFromOne", async () => {
      const { policies, publisher, stranger, policyId } = await loadFixture(fixture);
      expect(policyId).to.equal(1n);
      expect(await createPolicy(policies, stranger, policyInput())).to.equal(2n);
      expect(await createPolicy(policies, publisher, policyInput())).to.equal(3n);
      expect(await policies.policyCount()).to.equal(3n);
    });

    it("createPolicy_storesTermsAndEmitsPolicyCreated", async () => {
      const { policies, publisher, input, policyId } = await loadFixture(fixture);
      const view = await policies.policy(policyId);
      expect(view.publisher).to.equal(publisher.address);
      expect(view.version).to.equal(1n);
      expect(view.revoked).to.equal(false);
      expect(view.notBefore).to.equal(input.notBefore);
      expect(view.notAfter).to.equal(input.notAfter);
      expect(view.mode).to.equal(ReplicationMode.Explicit);
      expect(view.k).to.equal(0n);
      expect(view.requirements.map((r) => [r.namespace, Number(r.value)])).to.deep.equal(
        input.requirements.map((r) => [r.namespace, r.value]),
      );
      expect(view.allowlistSize).to.equal(2n);
      expect(await policies.registrationInfo(policyId)).to.deep.equal([
        publisher.address,
        false,
        BigInt(ReplicationMode.Explicit),
        0n,
      ]);

      const next = policyInput({ ...input, notBefore: 5n, notAfter: 6n });
      await expect(policies.connect(publisher).createPolicy(next))
        .to.emit(policies, "PolicyCreated")
        .withArgs(2, publisher.address, 1, ...policyEventTail(next));
    });

    it("createPolicy_emitsReplicationSpecOfEveryMode", async () => {
      const { policies, publisher } = await loadFixture(fixture);
      for (const [mode, k] of [
        [ReplicationMode.All, 0],
        [ReplicationMode.Stake, 3],
        [ReplicationMode.Xor, 16],
      ]) {
        const input = policyInput({ mode, k });
        const id = (await policies.policyCount()) + 1n;
        await expect(policies.connect(publisher).createPolicy(input))
          .to.emit(policies, "PolicyCreated")
          .withArgs(id, publisher.address, 1, ...policyEventTail(input));
        expect(await policies.registrationInfo(id)).to.deep.equal([publisher.address, false, BigInt(mode), BigInt(k)]);
      }
    });

    it("createPolicy_acceptsMaximumSizes", async () => {
      const { policies, attributes, publisher, stranger } = await loadFixture(fixture);
      const values = Array.from({ length: 16 }, (_, i) => `v${i}`);
      await attributes.connect(stranger).createNamespace("wide", 0, values);
      const wide = namespaceId("wide");
      const input = policyInput({
        requirements: values.map((_, value) => ({ namespace: wide, value })),
        allowlist: randomAddresses(256),
        mode: ReplicationMode.Explicit,
        explicitMembers: randomAddresses(32),
      });
      const id = await createPolicy(policies, publisher, input);
      const view = await policies.policy(id);
      expect(view.requirements.length).to.equal(16);
      expect(view.allowlistSize).to.equal(256n);
      expect(await policies.isOnAllowlist(id, input.allowlist[255])).to.equal(true);
    });

    it("createPolicy_acceptsOneSidedWindows", async () => {
      const { policies, publisher } = await loadFixture(fixture);
      await createPolicy(policies, publisher, policyInput({ notBefore: 100n }));
      await createPolicy(policies, publisher, policyInput({ notAfter: 100n }));
    });

    it("createPolicy_revertsWhenRequirementsUnsorted", async () => {
      const sys = await loadFixture(fixture);
      const { clearance, project } = sys;
      const [low, high] = BigInt(clearance) < BigInt(project) ? [clearance, project] : [project, clearance];
      await expectCreateReverts(
        sys,
        policyInput({
          requirements: [
            { namespace: high, value: 0 },
            { namespace: low, value: 0 },
          ],
        }),
        "PolicyRegistryRequirementsNotSorted",
        1,
      );
    });

    it("createPolicy_revertsWhenRequirementsUnsortedWithinNamespace", async () => {
      const sys = await loadFixture(fixture);
      const { project, region } = sys;
      await expectCreateReverts(
        sys,
        policyInput({
          requirements: sortRequirements([{ namespace: region, value: EU }]).concat([
            { namespace: project, value: GEMINI },
            { namespace: project, value: APOLLO },
          ]),
        }),
        "PolicyRegistryRequirementsNotSorted",
        BigInt(region) < BigInt(project) ? 2 : 1,
      );
    });

    it("createPolicy_revertsWhenRequirementsDuplicate", async () => {
      const sys = await loadFixture(fixture);
      const { project } = sys;
      await expectCreateReverts(
        sys,
        policyInput({
          requirements: [
            { namespace: project, value: APOLLO },
            { namespace: project, value: APOLLO },
          ],
        }),
        "PolicyRegistryRequirementsNotSorted",
        1,
      );
    });

    it("createPolicy_revertsWhenNamespaceUnknown", async () => {
      const sys = await loadFixture(fixture);
      const unknown = namespaceId("unknown");
      await expectCreateReverts(
        sys,
        policyInput({ requirements: [{ namespace: unknown, value: 0 }] }),
        "PolicyRegistryUnknownNamespace",
        unknown,
      );
    });

    it("createPolicy_revertsWhenValueUnknown", async () => {
      const sys = await loadFixture(fixture);
      const { region } = sys;
      await expectCreateReverts(
        sys,
        policyInput({
          requirements: [
            { namespace: region, value: US },
            { namespace: region, value: 3 },
          ],
        }),
        "PolicyRegistryUnknownValue",
        region,
        3,
      );
    });

    it("createPolicy_revertsWhenTooManyRequirements", async () => {
      const sys = await loadFixture(fixture);
      const { attributes, stranger } = sys;
      const values = Array.from({ length: 17 }, (_, i) => `v${i}`);
      await attributes.connect(stranger).createNamespace("wide", 0, values);
      await expectCreateReverts(
        sys,
        policyInput({ requirements: values.map((_, value) => ({ namespace: namespaceId("wide"), value })) }),
        "PolicyRegistryTooManyRequirements",
        17,
      );
    });

    it("createPolicy_revertsWhenAllowlistTooLong", async () => {
      const sys = await loadFixture(fixture);
      await expectCreateReverts(
        sys,
        policyInput({ allowlist: randomAddresses(257) }),
        "PolicyRegistryAllowlistTooLong",
        257,
      );
    });

    it("createPolicy_revertsWhenAllowlistHasZeroAddress", async () => {
      const sys = await loadFixture(fixture);
      await expectCreateReverts(
        sys,
        policyInput({ allowlist: [...randomAddresses(2), ethers.ZeroAddress] }),
        "PolicyRegistryInvalidAllowlistEntry",
        ethers.ZeroAddress,
      );
    });

    it("createPolicy_revertsWhenAllowlistHasDuplicate", async () => {
      const sys = await loadFixture(fixture);
      const [a, b] = randomAddresses(2);
      await expectCreateReverts(sys, policyInput({ allowlist: [a, b, a] }), "PolicyRegistryInvalidAllowlistEntry", a);
    });

    it("createPolicy_revertsWhenWindowInverted", async () => {
      const sys = await loadFixture(fixture);
      await expectCreateReverts(
        sys,
        policyInput({ notBefore: 200n, notAfter: 100n }),
        "PolicyRegistryInvalidWindow",
        200,
        100,
      );
    });

    it("createPolicy_revertsWhenWindowEmpty", async () => {
      const sys = await loadFixture(fixture);
      await expectCreateReverts(
        sys,
        policyInput({ notBefore: 100n, notAfter: 100n }),
        "PolicyRegistryInvalidWindow",
        100,
        100,
      );
    });

    it("createPolicy_revertsWhenKMissingForStakeOrXor", async () => {
      const sys = await loadFixture(fixture);
      for (const mode of [ReplicationMode.Stake, ReplicationMode.Xor]) {
        await expectCreateReverts(sys, policyInput({ mode, k: 0 }), "PolicyRegistryInvalidReplicationFactor", mode, 0);
      }
    });

    it("createPolicy_revertsWhenKAboveSixteen", async () => {
      const sys = await loadFixture(fixture);
      for (const mode of [ReplicationMode.Stake, ReplicationMode.Xor]) {
        await expectCreateReverts(
          sys,
          policyInput({ mode, k: 17 }),
          "PolicyRegistryInvalidReplicationFactor",
          mode,
          17,
        );
      }
    });

    it("createPolicy_revertsWhenKGivenForAllOrExplicit", async () => {
      const sys = await loadFixture(fixture);
      const members = randomAddresses(1);
      await expectCreateReverts(
        sys,
        policyInput({ mode: ReplicationMode.All, k: 1 }),
        "PolicyRegistryInvalidReplicationFactor",
        ReplicationMode.All,
        1,
      );
      await expectCreateReverts(
        sys,
        policyInput({ mode: ReplicationMode.Explicit, k: 2, explicitMembers: members }),
        "PolicyRegistryInvalidReplicationFactor",
        ReplicationMode.Explicit,
        2,
      );
    });

    it("createPolicy_revertsWhenExplicitHasNoMembers", async () => {
      const sys = await loadFixture(fixture);
      await expectCreateReverts(
        sys,
        policyInput({ mode: ReplicationMode.Explicit }),
        "PolicyRegistryInvalidExplicitMemberCount",
        ReplicationMode.Explicit,
        0,
      );
    });

    it("createPolicy_revertsWhenExplicitHasTooManyMembers", async () => {
      const sys = await loadFixture(fixture);
      await expectCreateReverts(
        sys,
        policyInput({ mode: ReplicationMode.Explicit, explicitMembers: randomAddresses(33) }),
        "PolicyRegistryInvalidExplicitMemberCount",
        ReplicationMode.Explicit,
        33,
      );
    });

    it("createPolicy_revertsWhenMembersGivenForOtherModes", async () => {
      const sys = await loadFixture(fixture);
      for (const [mode, k] of [
        [ReplicationMode.All, 0],
        [ReplicationMode.Stake, 2],
        [ReplicationMode.Xor, 2],
      ]) {
        await expectCreateReverts(
          sys,
          policyInput({ mode, k, explicitMembers: randomAddresses(1) }),
          "PolicyRegistryInvalidExplicitMemberCount",
          mode,
          1,
        );
      }
    });

    it("createPolicy_revertsWhenExplicitMemberZero", async () => {
      const sys = await loadFixture(fixture);
      await expectCreateReverts(
        sys,
        policyInput({ mode: ReplicationMode.Explicit, explicitMembers: [...randomAddresses(1), ethers.ZeroAddress] }),
        "PolicyRegistryInvalidExplicitMember",
        ethers.ZeroAddress,
      );
    });

    it("createPolicy_revertsWhenExplicitMemberDuplicate", async () => {
      const sys = await loadFixture(fixture);
      const [a, b, c] = randomAddresses(3);
      await expectCreateReverts(
        sys,
        policyInput({ mode: ReplicationMode.Explicit, explicitMembers: [a, b, c, b] }),
        "PolicyRegistryInvalidExplicitMember",
        b,
      );
    });
  });

  describe("updatePolicy", () => {
    it("updatePolicy_replacesTermsBumpsVersionAndEmits", async () => {
      const { policies, publisher, reader, stranger, region, input, policyId, validatorC } = await loadFixture(fixture);
      const next = policyInput({
        requirements: [{ namespace: region, value: US }],
        allowlist: [stranger.address],
        notBefore: 10n,
        notAfter: 0n,
        mode: ReplicationMode.Explicit,
        explicitMembers: [validatorC.address],
      });
      expect(await policies.connect(publisher).updatePolicy.staticCall(policyId, next)).to.equal(2n);
      await expect(policies.connect(publisher).updatePolicy(policyId, next))
        .to.emit(policies, "PolicyUpdated")
        .withArgs(policyId, publisher.address, 2, ...policyEventTail(next));
      const view = await policies.policy(policyId);
      expect(view.version).to.equal(2n);
      expect(view.notBefore).to.equal(10n);
      expect(view.notAfter).to.equal(0n);
      expect(view.requirements.map((r) => [r.namespace, Number(r.value)])).to.deep.equal([[region, US]]);
      expect(view.allowlistSize).to.equal(1n);
      // The old allowlist is gone without being cleared.
      expect(await policies.isOnAllowlist(policyId, reader.address)).to.equal(false);
      expect(await policies.isOnAllowlist(policyId, stranger.address)).to.equal(true);
      expect(input.allowlist).to.include(reader.address);

      const third = policyInput({ ...next, allowlist: [] });
      await expect(policies.connect(publisher).updatePolicy(policyId, third))
        .to.emit(policies, "PolicyUpdated")
        .withArgs(policyId, publisher.address, 3, ...policyEventTail(third));
      expect((await policies.policy(policyId)).allowlistSize).to.equal(0n);
      expect(await policies.isOnAllowlist(policyId, stranger.address)).to.equal(false);
    });

    it("updatePolicy_keepsReplicationOfCountedModes", async () => {
      const { policies, publisher, project } = await loadFixture(fixture);
      const id = await createPolicy(policies, publisher, policyInput({ mode: ReplicationMode.Stake, k: 3 }));
      const next = policyInput({ mode: ReplicationMode.Stake, k: 3, requirements: [{ namespace: project, value: 0 }] });
      await expect(policies.connect(publisher).updatePolicy(id, next))
        .to.emit(policies, "PolicyUpdated")
        .withArgs(id, publisher.address, 2, ...policyEventTail(next));
      expect(await policies.registrationInfo(id)).to.deep.equal([publisher.address, false, 1n, 3n]);
    });

    it("updatePolicy_revertsWhenModeChanged", async () => {
      const { policies, publisher, policyId } = await loadFixture(fixture);
      await expect(policies.connect(publisher).updatePolicy(policyId, policyInput({ mode: ReplicationMode.All })))
        .to.be.revertedWithCustomError(policies, "PolicyRegistryReplicationImmutable")
        .withArgs(policyId, ReplicationMode.Explicit, 0);
    });

    it("updatePolicy_revertsWhenKChanged", async () => {
      const { policies, publisher } = await loadFixture(fixture);
      const id = await createPolicy(policies, publisher, policyInput({ mode: ReplicationMode.Xor, k: 3 }));
      await expect(policies.connect(publisher).updatePolicy(id, policyInput({ mode: ReplicationMode.Xor, k: 4 })))
        .to.be.revertedWithCustomError(policies, "PolicyRegistryReplicationImmutable")
        .withArgs(id, ReplicationMode.Xor, 3);
    });

    it("updatePolicy_revertsWhenExplicitMembersInvalid", async () => {
      const { policies, publisher, input, policyId } = await loadFixture(fixture);
      await expect(policies.connect(publisher).updatePolicy(policyId, { ...input, explicitMembers: [] }))
        .to.be.revertedWithCustomError(policies, "PolicyRegistryInvalidExplicitMemberCount")
        .withArgs(ReplicationMode.Explicit, 0);
    });

    it("updatePolicy_revertsWhenInputInvalid", async () => {
      const { policies, publisher, input, policyId } = await loadFixture(fixture);
      await expect(
        policies
          .connect(publisher)
          .updatePolicy(policyId, { ...input, requirements: [...input.requirements].reverse() }),
      )
        .to.be.revertedWithCustomError(policies, "PolicyRegistryRequirementsNotSorted")
        .withArgs(1);
      await expect(policies.connect(publisher).updatePolicy(policyId, { ...input, notBefore: 9n, notAfter: 3n }))
        .to.be.revertedWithCustomError(policies, "PolicyRegistryInvalidWindow")
        .withArgs(9, 3);
      expect((await policies.policy(policyId)).version).to.equal(1n);
    });

    it("updatePolicy_revertsWhenNotPublisher", async () => {
      const { policies, stranger, input, policyId } = await loadFixture(fixture);
      await expect(policies.connect(stranger).updatePolicy(policyId, input))
        .to.be.revertedWithCustomError(policies, "PolicyRegistryNotPublisher")
        .withArgs(policyId, stranger.address);
    });

    it("updatePolicy_revertsWhenPolicyUnknown", async () => {
      const { policies, publisher, input } = await loadFixture(fixture);
      for (const id of [0, 2]) {
        await expect(policies.connect(publisher).updatePolicy(id, input))
          .to.be.revertedWithCustomError(policies, "PolicyRegistryUnknownPolicy")
          .withArgs(id);
      }
    });

    it("updatePolicy_revertsWhenRevoked", async () => {
      const { policies, publisher, input, policyId } = await loadFixture(fixture);
      await policies.connect(publisher).revokePolicy(policyId);
      await expect(policies.connect(publisher).updatePolicy(policyId, input))
        .to.be.revertedWithCustomError(policies, "PolicyRegistryPolicyRevoked")
        .withArgs(policyId);
    });
  });

  describe("revokePolicy", () => {
    it("revokePolicy_setsRevokedAndEmits", async () => {
      const { policies, publisher, reader, policyId } = await loadFixture(fixture);
      await expect(policies.connect(publisher).revokePolicy(policyId))
        .to.emit(policies, "PolicyRevoked")
        .withArgs(policyId);
      expect((await policies.policy(policyId)).revoked).to.equal(true);
      expect((await policies.registrationInfo(policyId)).revoked).to.equal(true);
      expect(await policies.canAccess(policyId, reader.address)).to.deep.equal([
        false,
        BigInt(AccessReason.PolicyRevoked),
      ]);
    });

    it("revokePolicy_revertsWhenNotPublisher", async () => {
      const { policies, stranger, policyId } = await loadFixture(fixture);
      await expect(policies.connect(stranger).revokePolicy(policyId))
        .to.be.revertedWithCustomError(policies, "PolicyRegistryNotPublisher")
        .withArgs(policyId, stranger.address);
    });

    it("revokePolicy_revertsWhenPolicyUnknown", async () => {
      const { policies, publisher } = await loadFixture(fixture);
      await expect(policies.connect(publisher).revokePolicy(7))
        .to.be.revertedWithCustomError(policies, "PolicyRegistryUnknownPolicy")
        .withArgs(7);
    });

    it("revokePolicy_revertsWhenAlreadyRevoked", async () => {
      const { policies, publisher, policyId } = await loadFixture(fixture);
      await policies.connect(publisher).revokePolicy(policyId);
      await expect(policies.connect(publisher).revokePolicy(policyId))
        .to.be.revertedWithCustomError(policies, "PolicyRegistryPolicyRevoked")
        .withArgs(policyId);
    });
  });

  describe("views", () => {
    const decision = (allowed: boolean, reason: AccessReason) => [allowed, BigInt(reason)];

    it("canAccess_reportsPolicyNotFound", async () => {
      const { policies, publisher } = await loadFixture(fixture);
      for (const id of [0, 2, 2n ** 64n - 1n]) {
        expect(await policies.canAccess(id, publisher.address)).to.deep.equal(
          decision(false, AccessReason.PolicyNotFound),
        );
      }
    });

    it("canAccess_grantsReaderWhoMeetsEveryTerm", async () => {
      const { policies, attributes, authority, reader, clearance, project, policyId } = await loadFixture(fixture);
      await attributes.connect(authority).grant(clearance, reader.address, SECRET, 0);
      await attributes.connect(authority).grant(project, reader.address, APOLLO, 0);
      // project is AllOf: GEMINI is still missing.
      expect(await policies.canAccess(policyId, reader.address)).to.deep.equal(
        decision(false, AccessReason.MissingAttribute),
      );
      await attributes.connect(authority).grant(project, reader.address, GEMINI, 0);
      expect(await policies.canAccess(policyId, reader.address)).to.deep.equal(decision(true, AccessReason.Granted));
    });

    it("canAccess_requiresEveryNamespace", async () => {
      const { policies, attributes, authority, reader, clearance, project, policyId } = await loadFixture(fixture);
      await attributes.connect(authority).grant(project, reader.address, APOLLO, 0);
      await attributes.connect(authority).grant(project, reader.address, GEMINI, 0);
      await attributes.connect(authority).grant(clearance, reader.address, CONFIDENTIAL, 0);
      expect(await policies.canAccess(policyId, reader.address)).to.deep.equal(
        decision(false, AccessReason.MissingAttribute),
      );
    });

    it("canAccess_windowBoundsAreInclusive", async () => {
      const { policies, publisher, reader } = await loadFixture(fixture);
      const start = (await time.latest()) + 100;
      const id = await createPolicy(
        policies,
        publisher,
        policyInput({ notBefore: BigInt(start), notAfter: BigInt(start + 10) }),
      );
      await time.increaseTo(start - 1);
      expect(await policies.canAccess(id, reader.address)).to.deep.equal(decision(false, AccessReason.NotYetValid));
      await time.increaseTo(start);
      expect(await policies.canAccess(id, reader.address)).to.deep.equal(decision(true, AccessReason.Granted));
      await time.increaseTo(start + 10);
      expect(await policies.canAccess(id, reader.address)).to.deep.equal(decision(true, AccessReason.Granted));
      await time.increaseTo(start + 11);
      expect(await policies.canAccess(id, reader.address)).to.deep.equal(decision(false, AccessReason.Expired));
    });

    it("canAccess_checksInSpecifiedOrder", async () => {
      const { policies, publisher, reader } = await loadFixture(fixture);
      const now = await time.latest();
      const notYet = await createPolicy(
        policies,
        publisher,
        policyInput({ notBefore: BigInt(now + 1000), allowlist: randomAddresses(1) }),
      );
      const expired = await createPolicy(
        policies,
        publisher,
        policyInput({ notAfter: BigInt(now + 100), allowlist: randomAddresses(1) }),
      );
      await policies.connect(publisher).revokePolicy(expired);
      const offList = await createPolicy(
        policies,
        publisher,
        policyInput({ notAfter: BigInt(now + 100), allowlist: randomAddresses(1) }),
      );
      await time.increaseTo(now + 101);
      expect(await policies.canAccess(notYet, reader.address)).to.deep.equal(decision(false, AccessReason.NotYetValid));
      expect(await policies.canAccess(expired, reader.address)).to.deep.equal(
        decision(false, AccessReason.PolicyRevoked),
      );
      expect(await policies.canAccess(offList, reader.address)).to.deep.equal(decision(false, AccessReason.Expired));
      for (const id of [notYet, expired, offList]) {
        expect(await policies.canAccess(id, publisher.address)).to.deep.equal(decision(true, AccessReason.Publisher));
      }
    });

    it("canAccess_followsCurrentVersion", async () => {
      const { policies, attributes, authority, publisher, reader, region } = await loadFixture(fixture);
      const id = await createPolicy(policies, publisher, policyInput({ allowlist: [reader.address] }));
      expect(await policies.canAccess(id, reader.address)).to.deep.equal(decision(true, AccessReason.Granted));
      await policies
        .connect(publisher)
        .updatePolicy(id, policyInput({ requirements: [{ namespace: region, value: EU }] }));
      expect(await policies.canAccess(id, reader.address)).to.deep.equal(
        decision(false, AccessReason.MissingAttribute),
      );
      await attributes.connect(authority).grant(region, reader.address, EU, 0);
      expect(await policies.canAccess(id, reader.address)).to.deep.equal(decision(true, AccessReason.Granted));
    });

    it("registrationInfo_returnsZeroForUnknownPolicy", async () => {
      const { policies } = await loadFixture(fixture);
      expect(await policies.registrationInfo(99)).to.deep.equal([ethers.ZeroAddress, false, 0n, 0n]);
    });

    it("registrationInfo_readsOneStorageSlot", async () => {
      const { policies, policyId } = await loadFixture(fixture);
      const data = policies.interface.encodeFunctionData("registrationInfo", [policyId]);
      const gas = await ethers.provider.estimateGas({ to: await policies.getAddress(), data });
      const intrinsic = 21_000n + 16n * 4n + 4n * 32n; // upper bound on calldata cost
      // Execution is ~1,100 gas plus one cold SLOAD (2,100); a second cold slot would add 2,100 more.
      expect(gas - intrinsic).to.be.lessThan(4_200n);
    });

    it("policy_revertsForUnknownPolicy", async () => {
      const { policies } = await loadFixture(fixture);
      await expect(policies.policy(5))
        .to.be.revertedWithCustomError(policies, "PolicyRegistryUnknownPolicy")
        .withArgs(5);
    });

    it("isOnAllowlist_isFalseWithoutAllowlistOrPolicy", async () => {
      const { policies, publisher, reader, stranger, policyId } = await loadFixture(fixture);
      expect(await policies.isOnAllowlist(policyId, reader.address)).to.equal(true);
      expect(await policies.isOnAllowlist(policyId, publisher.address)).to.equal(false);
      const open = await createPolicy(policies, publisher, policyInput());
      expect(await policies.isOnAllowlist(open, stranger.address)).to.equal(false);
      expect(await policies.isOnAllowlist(42, stranger.address)).to.equal(false);
    });

    it("attributes_isTheAttributeRegistry", async () => {
      const { policies, attributes } = await loadFixture(fixture);
      expect(await policies.attributes()).to.equal(await attributes.getAddress());
    });
  });
});
