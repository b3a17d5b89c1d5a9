import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { addValidator, deployFixture, kasKey, kidOf, MIN_STAKE, Mode, peerId, TOKEN, UNBONDING } from "./helpers/fixtures";
import { createPolicy, registerContent } from "./helpers/fixtures";

enum Status {
  None,
  Registered,
  Active,
  Exiting,
  Exited,
  Jailed,
}
const ADDRS = ["/ip4/127.0.0.1/tcp/4001"];
const ENDPOINT = "http://127.0.0.1:8080";

describe("ValidatorRegistry", () => {
  describe("constructor", () => {
    it("constructor_revertsOnInvalidParameters", async () => {
      const { token, treasury, deployer, validators } = await loadFixture(deployFixture);
      const factory = await ethers.getContractFactory("ValidatorRegistry");
      const t = await token.getAddress();
      const bad: [string, bigint, bigint, number, string, string][] = [
        [ethers.ZeroAddress, MIN_STAKE, TOKEN, UNBONDING, treasury.address, deployer.address],
        [t, MIN_STAKE, 0n, UNBONDING, treasury.address, deployer.address],
        [t, TOKEN - 1n, TOKEN, UNBONDING, treasury.address, deployer.address],
        [t, MIN_STAKE, TOKEN, UNBONDING, ethers.ZeroAddress, deployer.address],
        [t, MIN_STAKE, TOKEN, UNBONDING, treasury.address, ethers.ZeroAddress],
      ];
      for (const args of bad) {
        await expect(factory.deploy(...args)).to.be.revertedWithCustomError(
          validators,
          "ValidatorRegistryInvalidParameters",
        );
      }
    });
  });

  describe("register", () => {
    it("register_recordsValidatorAndEmits", async () => {
      const sys = await loadFixture(deployFixture);
      const [node] = sys.nodes;
      const key = kasKey();
      const pid = peerId();
      await expect(sys.validators.connect(node).register(sys.operator.address, key, pid, ADDRS, ENDPOINT))
        .to.emit(sys.validators, "ValidatorRegistered")
        .withArgs(node.address, sys.operator.address, key, kidOf(key), pid, ADDRS, ENDPOINT);
      const v = await sys.validators.validator(node.address);
      expect(v.operator).to.equal(sys.operator.address);
      expect(v.status).to.equal(Status.Registered);
      expect(v.currentKid).to.equal(kidOf(key));
      expect(await sys.validators.kasKeyStatus(node.address, kidOf(key))).to.equal(1);
      expect(await sys.validators.isActive(node.address)).to.equal(false);
    });

    it("register_revertsWhenAlreadyRegistered", async () => {
      const sys = await loadFixture(deployFixture);
      const [node] = sys.nodes;
      await addValidator(sys, node, 0n);
      await expect(
        sys.validators.connect(node).register(sys.operator.address, kasKey(), peerId(), ADDRS, ENDPOINT),
      ).to.be.revertedWithCustomError(sys.validators, "ValidatorRegistryAlreadyRegistered");
    });

    it("register_revertsOnZeroOperator", async () => {
      const sys = await loadFixture(deployFixture);
      await expect(
        sys.validators.connect(sys.nodes[0]).register(ethers.ZeroAddress, kasKey(), peerId(), ADDRS, ENDPOINT),
      ).to.be.revertedWithCustomError(sys.validators, "ValidatorRegistryInvalidParameters");
    });

    it("register_revertsOnInvalidKasKey", async () => {
      const sys = await loadFixture(deployFixture);
      const good = ethers.getBytes(kasKey());
      const wrongPrefix = ethers.hexlify(Uint8Array.from([0x04, ...good.slice(1)]));
      for (const key of ["0x", ethers.hexlify(good.slice(0, 32)), ethers.hexlify(new Uint8Array(34)), wrongPrefix]) {
        await expect(
          sys.validators.connect(sys.nodes[0]).register(sys.operator.address, key, peerId(), ADDRS, ENDPOINT),
        ).to.be.revertedWithCustomError(sys.validators, "ValidatorRegistryInvalidKasKey");
      }
    });

    it("register_revertsOnInvalidNetwork", async () => {
      const sys = await loadFixture(deployFixture);
      const long = "x".repeat(257);
      const cases: [string, string[], string][] = [
        ["0x", ADDRS, ENDPOINT],
        [ethers.hexlify(new Uint8Array(65)), ADDRS, ENDPOINT],
        [peerId(), Array(9).fill(ADDRS[0]), ENDPOINT],
        [peerId(), [""], ENDPOINT],
        [peerId(), [long], ENDPOINT],
        [peerId(), ADDRS, ""],
        [peerId(), ADDRS, long],
      ];
      for (const [pid, addrs, endpoint] of cases) {
        await expect(
          sys.validators.connect(sys.nodes[0]).register(sys.operator.address, kasKey(), pid, addrs, endpoint),
        ).to.be.revertedWithCustomError(sys.validators, "ValidatorRegistryInvalidNetwork");
      }
    });
  });

  describe("stake", () => {
    it("stake_activatesAtMinimum", async () => {
      const sys = await loadFixture(deployFixture);
      const [node] = sys.nodes;
      await addValidator(sys, node, 0n);
      await expect(sys.validators.connect(sys.operator).stake(node.address, MIN_STAKE - 1n))
        .to.emit(sys.validators, "StakeDeposited")
        .withArgs(node.address, sys.operator.address, MIN_STAKE - 1n, MIN_STAKE - 1n)
        .and.not.to.emit(sys.validators, "ValidatorActivated");
      expect(await sys.validators.isActive(node.address)).to.equal(false);
      await expect(sys.validators.connect(sys.operator).stake(node.address, 1n))
        .to.emit(sys.validators, "ValidatorActivated")
        .withArgs(node.address, MIN_STAKE, MIN_STAKE / TOKEN);
      expect(await sys.validators.isActive(node.address)).to.equal(true);
      expect(await sys.validators.weightOf(node.address)).to.equal(MIN_STAKE / TOKEN);
      expect(await sys.token.balanceOf(await sys.validators.getAddress())).to.equal(MIN_STAKE);
    });

    it("stake_topUpChangesWeight", async () => {
      const sys = await loadFixture(deployFixture);
      const [node] = sys.nodes;
      await addValidator(sys, node);
      await expect(sys.validators.connect(sys.operator).stake(node.address, 500n * TOKEN))
        .to.emit(sys.validators, "ValidatorWeightChanged")
        .withArgs(node.address, MIN_STAKE + 500n * TOKEN, 1_500n);
      expect(await sys.validators.activeSet()).to.deep.equal([1_500n, 1n]);
    });

    it("stake_revertsWhenNotOperatorOrZero", async () => {
      const sys = await loadFixture(deployFixture);
      const [node] = sys.nodes;
      await addValidator(sys, node, 0n);
      await expect(sys.validators.connect(node).stake(node.address, MIN_STAKE)).to.be.revertedWithCustomError(
        sys.validators,
        "ValidatorRegistryNotOperator",
      );
      await expect(sys.validators.connect(sys.operator).stake(node.address, 0n)).to.be.revertedWithCustomError(
        sys.validators,
        "ValidatorRegistryZeroAmount",
      );
      await expect(
        sys.validators.connect(sys.operator).stake(sys.stranger.address, MIN_STAKE),
      ).to.be.revertedWithCustomError(sys.validators, "ValidatorRegistryUnknownValidator");
    });

    it("stake_revertsWhenExitingJailedOrRevoked", async () => {
      const sys = await loadFixture(deployFixture);
      const [a, b, c] = sys.nodes;
      for (const n of [a, b, c]) await addValidator(sys, n);
      await sys.validators.connect(sys.operator).requestExit(a.address);
      await sys.validators.connect(sys.adjudicator).slash(b.address, TOKEN, ethers.ZeroHash);
      await sys.validators.connect(sys.operator).revokeNode(c.address);
      await expect(sys.validators.connect(sys.operator).stake(a.address, TOKEN))
        .to.be.revertedWithCustomError(sys.validators, "ValidatorRegistryInvalidStatus")
        .withArgs(a.address, Status.Exiting);
      await expect(sys.validators.connect(sys.operator).stake(b.address, TOKEN))
        .to.be.revertedWithCustomError(sys.validators, "ValidatorRegistryInvalidStatus")
        .withArgs(b.address, Status.Jailed);
      await expect(sys.validators.connect(sys.operator).stake(c.address, TOKEN)).to.be.revertedWithCustomError(
        sys.validators,
        "ValidatorRegistryNodeRevoked",
      );
    });
  });

  describe("exit and withdraw", () => {
    it("requestExit_fromActiveUnbonds", async () => {
      const sys = await loadFixture(deployFixture);
      const [node] = sys.nodes;
      await addValidator(sys, node);
      const tx = sys.validators.connect(sys.operator).requestExit(node.address);
      const endsAt = (await time.latest()) + 1 + UNBONDING;
      await expect(tx).to.emit(sys.validators, "ValidatorExitRequested").withArgs(node.address, endsAt);
      const v = await sys.validators.validator(node.address);
      expect(v.status).to.equal(Status.Exiting);
      expect(await sys.validators.isActive(node.address)).to.equal(false);
      expect(await sys.validators.activeSet()).to.deep.equal([0n, 0n]);
    });

    it("requestExit_fromRegisteredRefundsAtOnce", async () => {
      const sys = await loadFixture(deployFixture);
      const [node] = sys.nodes;
      await addValidator(sys, node, 10n * TOKEN);
      await expect(sys.validators.connect(sys.operator).requestExit(node.address)).to.changeTokenBalance(
        sys.token,
        sys.operator,
        10n * TOKEN,
      );
      expect((await sys.validators.validator(node.address)).status).to.equal(Status.Exited);
    });

    it("requestExit_revertsWhenNotOperatorOrAlreadyExiting", async () => {
      const sys = await loadFixture(deployFixture);
      const [node] = sys.nodes;
      await addValidator(sys, node);
      await expect(sys.validators.connect(sys.stranger).requestExit(node.address)).to.be.revertedWithCustomError(
        sys.validators,
        "ValidatorRegistryNotOperator",
      );
      await sys.validators.connect(sys.operator).requestExit(node.address);
      await expect(sys.validators.connect(sys.operator).requestExit(node.address)).to.be.revertedWithCustomError(
        sys.validators,
        "ValidatorRegistryInvalidStatus",
      );
    });

    it("withdraw_revertsWhileActiveOrUnbonding", async () => {
      const sys = await loadFixture(deployFixture);
      const [node] = sys.nodes;
      await addValidator(sys, node);
      await expect(sys.validators.connect(sys.operator).withdraw(node.address))
        .to.be.revertedWithCustomError(sys.validators, "ValidatorRegistryInvalidStatus")
        .withArgs(node.address, Status.Active);
      await sys.validators.connect(sys.operator).requestExit(node.address);
      await expect(sys.validators.connect(sys.operator).withdraw(node.address)).to.be.revertedWithCustomError(
        sys.validators,
        "ValidatorRegistryStillUnbonding",
      );
    });

    it("withdraw_afterUnbondingReturnsStake", async () => {
      const sys = await loadFixture(deployFixture);
      const [node] = sys.nodes;
      await addValidator(sys, node);
      await sys.validators.connect(sys.operator).requestExit(node.address);
      await time.increase(UNBONDING);
      const tx = sys.validators.connect(sys.operator).withdraw(node.address);
      await expect(tx).to.emit(sys.validators, "StakeWithdrawn").withArgs(node.address, sys.operator.address, MIN_STAKE);
      await expect(tx).to.changeTokenBalance(sys.token, sys.operator, MIN_STAKE);
      expect((await sys.validators.validator(node.address)).status).to.equal(Status.Exited);
      await expect(sys.validators.connect(sys.operator).withdraw(node.address)).to.be.revertedWithCustomError(
        sys.validators,
        "ValidatorRegistryInvalidStatus",
      );
    });

    it("withdraw_revertsWhileHandoffPending", async () => {
      const sys = await loadFixture(deployFixture);
      const [a, b, c, d] = sys.nodes;
      for (const n of [a, b, c, d]) await addValidator(sys, n);
      const policyId = await createPolicy(sys, sys.publisher, { mode: Mode.Stake, k: 3 });
      // Register until `a` holds an assigned slot.
      let assignment = await registerContent(sys, sys.publisher, policyId, b.address);
      while ((await sys.content.assignedReplicas(a.address)) === 0n) {
        assignment = await registerContent(sys, sys.publisher, policyId, b.address);
      }
      await sys.validators.connect(sys.operator).requestExit(a.address);
      await time.increase(UNBONDING);
      await expect(sys.validators.connect(sys.operator).withdraw(a.address))
        .to.be.revertedWithCustomError(sys.validators, "ValidatorRegistryHandoffPending")
        .withArgs(a.address, await sys.content.assignedReplicas(a.address));
      expect(assignment.contentId).to.be.properHex(64);
    });
  });

  describe("slash", () => {
    it("slash_onlyAdjudicator", async () => {
      const sys = await loadFixture(deployFixture);
      const [node] = sys.nodes;
      await addValidator(sys, node);
      await expect(
        sys.validators.connect(sys.stranger).slash(node.address, TOKEN, ethers.ZeroHash),
      ).to.be.revertedWithCustomError(sys.validators, "AccessControlUnauthorizedAccount");
    });

    it("slash_jailsAndSendsStakeToRecipient", async () => {
      const sys = await loadFixture(deployFixture);
      const [node] = sys.nodes;
      await addValidator(sys, node);
      const reason = ethers.id("equivocation");
      const tx = sys.validators.connect(sys.adjudicator).slash(node.address, 100n * TOKEN, reason);
      await expect(tx)
        .to.emit(sys.validators, "ValidatorSlashed")
        .withArgs(node.address, 100n * TOKEN, reason, (await time.latest()) + 1 + UNBONDING);
      await expect(tx).to.changeTokenBalance(sys.token, sys.treasury, 100n * TOKEN);
      const v = await sys.validators.validator(node.address);
      expect(v.status).to.equal(Status.Jailed);
      expect(v.stake).to.equal(MIN_STAKE - 100n * TOKEN);
      expect(await sys.validators.isActive(node.address)).to.equal(false);
      expect(await sys.validators.weightOf(node.address)).to.equal(0n);
    });

    it("slash_capsAtStakeAndRestartsUnbonding", async () => {
      const sys = await loadFixture(deployFixture);
      const [node] = sys.nodes;
      await addValidator(sys, node);
      await sys.validators.connect(sys.operator).requestExit(node.address);
      await time.increase(UNBONDING - 10);
      await expect(
        sys.validators.connect(sys.adjudicator).slash(node.address, 10n * MIN_STAKE, ethers.ZeroHash),
      ).to.changeTokenBalance(sys.token, sys.treasury, MIN_STAKE);
      await time.increase(20);
      await expect(sys.validators.connect(sys.operator).withdraw(node.address)).to.be.revertedWithCustomError(
        sys.validators,
        "ValidatorRegistryStillUnbonding",
      );
    });

    it("slash_revertsForRegisteredOrZero", async () => {
      const sys = await loadFixture(deployFixture);
      const [a, b] = sys.nodes;
      await addValidator(sys, a, 0n);
      await addValidator(sys, b);
      await expect(
        sys.validators.connect(sys.adjudicator).slash(a.address, TOKEN, ethers.ZeroHash),
      ).to.be.revertedWithCustomError(sys.validators, "ValidatorRegistryInvalidStatus");
      await expect(
        sys.validators.connect(sys.adjudicator).slash(b.address, 0n, ethers.ZeroHash),
      ).to.be.revertedWithCustomError(sys.validators, "ValidatorRegistryZeroAmount");
    });
  });

  describe("keys and network", () => {
    it("rotateKasKey_makesNewKeyCurrentAndKeepsOld", async () => {
      const sys = await loadFixture(deployFixture);
      const [node] = sys.nodes;
      const { kid: oldKid } = await addValidator(sys, node);
      const key = kasKey();
      await expect(sys.validators.connect(sys.operator).rotateKasKey(node.address, key))
        .to.emit(sys.validators, "KasKeyRotated")
        .withArgs(node.address, kidOf(key), key, oldKid);
      expect((await sys.validators.validator(node.address)).currentKid).to.equal(kidOf(key));
      expect(await sys.validators.kasKeyStatus(node.address, oldKid)).to.equal(1);
      await expect(sys.validators.connect(sys.operator).rotateKasKey(node.address, key)).to.be.revertedWithCustomError(
        sys.validators,
        "ValidatorRegistryKasKeyExists",
      );
      await expect(sys.validators.connect(node).rotateKasKey(node.address, kasKey())).to.be.revertedWithCustomError(
        sys.validators,
        "ValidatorRegistryNotOperator",
      );
    });

    it("revokeKasKey_marksOldKeyRevoked", async () => {
      const sys = await loadFixture(deployFixture);
      const [node] = sys.nodes;
      const { kid: oldKid, key: oldKey } = await addValidator(sys, node);
      await expect(sys.validators.connect(sys.operator).revokeKasKey(node.address, oldKid))
        .to.be.revertedWithCustomError(sys.validators, "ValidatorRegistryCurrentKasKey")
        .withArgs(node.address, oldKid);
      await sys.validators.connect(sys.operator).rotateKasKey(node.address, kasKey());
      await expect(sys.validators.connect(sys.operator).revokeKasKey(node.address, oldKid))
        .to.emit(sys.validators, "KasKeyRevoked")
        .withArgs(node.address, oldKid);
      expect(await sys.validators.kasKeyStatus(node.address, oldKid)).to.equal(2);
      await expect(sys.validators.connect(sys.operator).revokeKasKey(node.address, oldKid)).to.be.revertedWithCustomError(
        sys.validators,
        "ValidatorRegistryUnknownKasKey",
      );
      // A revoked key can never come back under the same id.
      await expect(sys.validators.connect(sys.operator).rotateKasKey(node.address, oldKey))
        .to.be.revertedWithCustomError(sys.validators, "ValidatorRegistryKasKeyExists")
        .withArgs(node.address, oldKid);
    });

    it("revokeNode_leavesActiveSetForGood", async () => {
      const sys = await loadFixture(deployFixture);
      const [node] = sys.nodes;
      await addValidator(sys, node);
      await expect(sys.validators.connect(sys.operator).revokeNode(node.address)).to.emit(sys.validators, "NodeRevoked");
      const v = await sys.validators.validator(node.address);
      expect(v.revoked).to.equal(true);
      expect(v.status).to.equal(Status.Exiting);
      expect(await sys.validators.isActive(node.address)).to.equal(false);
      for (const call of [
        sys.validators.connect(sys.operator).revokeNode(node.address),
        sys.validators.connect(sys.operator).rotateKasKey(node.address, kasKey()),
        sys.validators.connect(sys.operator).updateNetwork(node.address, peerId(), ADDRS, ENDPOINT),
      ]) {
        await expect(call).to.be.revertedWithCustomError(sys.validators, "ValidatorRegistryNodeRevoked");
      }
      // Its stake is still recoverable after unbonding.
      await time.increase(UNBONDING);
      await expect(sys.validators.connect(sys.operator).withdraw(node.address)).to.changeTokenBalance(
        sys.token,
        sys.operator,
        MIN_STAKE,
      );
    });

    it("updateNetwork_emitsNewAddresses", async () => {
      const sys = await loadFixture(deployFixture);
      const [node] = sys.nodes;
      await addValidator(sys, node);
      const pid = peerId();
      await expect(sys.validators.connect(sys.operator).updateNetwork(node.address, pid, [], "https://v.example"))
        .to.emit(sys.validators, "ValidatorNetworkUpdated")
        .withArgs(node.address, pid, [], "https://v.example");
      await expect(
        sys.validators.connect(sys.operator).updateNetwork(node.address, "0x", [], "https://v.example"),
      ).to.be.revertedWithCustomError(sys.validators, "ValidatorRegistryInvalidNetwork");
    });
  });

  describe("handoff gate", () => {
    it("setHandoffGate_onlyAdminAndOnce", async () => {
      const sys = await loadFixture(deployFixture);
      await expect(
        sys.validators.connect(sys.stranger).setHandoffGate(sys.stranger.address),
      ).to.be.revertedWithCustomError(sys.validators, "AccessControlUnauthorizedAccount");
      await expect(
        sys.validators.connect(sys.deployer).setHandoffGate(sys.stranger.address),
      ).to.be.revertedWithCustomError(sys.validators, "ValidatorRegistryHandoffGateAlreadySet");
    });
  });

  describe("selection", () => {
    it("draw_neverReturnsInactiveValidators", async () => {
      const sys = await loadFixture(deployFixture);
      const [a, b, c, d, e] = sys.nodes;
      for (const n of [a, b, c, d]) await addValidator(sys, n);
      await addValidator(sys, e, 0n); // registered, never active
      await sys.validators.connect(sys.operator).requestExit(a.address);
      await sys.validators.connect(sys.adjudicator).slash(b.address, TOKEN, ethers.ZeroHash);
      await sys.validators.connect(sys.operator).revokeNode(c.address);
      for (let seed = 0; seed < 50; seed++) {
        expect(await sys.validators.draw(seed)).to.equal(d.address);
      }
      expect(await sys.validators.sample(7, 3, [])).to.deep.equal([d.address]);
      expect(await sys.validators.sample(7, 3, [d.address])).to.deep.equal([]);
    });

    it("sample_returnsDistinctStakeWeightedMembers", async () => {
      const sys = await loadFixture(deployFixture);
      const nodes = sys.nodes.slice(0, 6);
      for (const [i, n] of nodes.entries()) await addValidator(sys, n, MIN_STAKE * BigInt(i + 1));
      const chosen = await sys.validators.sample(ethers.id("seed"), 4, [nodes[0].address]);
      expect(new Set(chosen).size).to.equal(4);
      expect(chosen).to.not.include(nodes[0].address);
      expect(await sys.validators.activeSet()).to.deep.equal([21_000n, 6n]);
    });
  });
});
