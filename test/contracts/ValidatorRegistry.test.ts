import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import {
  addValidator,
  deployFixture,
  kasKey,
  kidOf,
  MIN_STAKE,
  Mode,
  peerIdOf,
  peerIdProof,
  peerIdentity,
  provenPeerId,
  registryDomain,
  TOKEN,
  UNBONDING,
  createPolicy,
  registerContent,
} from "./helpers/fixtures";

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
      const { peerId: pid, proof } = await provenPeerId(sys, node.address);
      await expect(sys.validators.connect(node).register(sys.operator.address, key, pid, proof, ADDRS, ENDPOINT))
        .to.emit(sys.validators, "ValidatorRegistered")
        .withArgs(node.address, sys.operator.address, key, kidOf(key), pid, ADDRS, ENDPOINT);
      expect(await sys.validators.peerIdHolder(ethers.keccak256(pid))).to.equal(node.address);
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
      const { peerId, proof } = await provenPeerId(sys, node.address);
      await expect(
        sys.validators.connect(node).register(sys.operator.address, kasKey(), peerId, proof, ADDRS, ENDPOINT),
      ).to.be.revertedWithCustomError(sys.validators, "ValidatorRegistryAlreadyRegistered");
    });

    it("register_revertsOnZeroOperator", async () => {
      const sys = await loadFixture(deployFixture);
      const { peerId, proof } = await provenPeerId(sys, sys.nodes[0].address);
      await expect(
        sys.validators.connect(sys.nodes[0]).register(ethers.ZeroAddress, kasKey(), peerId, proof, ADDRS, ENDPOINT),
      ).to.be.revertedWithCustomError(sys.validators, "ValidatorRegistryInvalidParameters");
    });

    it("register_revertsOnInvalidKasKey", async () => {
      const sys = await loadFixture(deployFixture);
      const good = ethers.getBytes(kasKey());
      const wrongPrefix = ethers.hexlify(Uint8Array.from([0x04, ...good.slice(1)]));
      const { peerId, proof } = await provenPeerId(sys, sys.nodes[0].address);
      for (const key of ["0x", ethers.hexlify(good.slice(0, 32)), ethers.hexlify(new Uint8Array(34)), wrongPrefix]) {
        await expect(
          sys.validators.connect(sys.nodes[0]).register(sys.operator.address, key, peerId, proof, ADDRS, ENDPOINT),
        ).to.be.revertedWithCustomError(sys.validators, "ValidatorRegistryInvalidKasKey");
      }
    });

    it("register_revertsOnInvalidNetwork", async () => {
      const sys = await loadFixture(deployFixture);
      const long = "x".repeat(257);
      const cases: [string[], string][] = [
        [Array(9).fill(ADDRS[0]), ENDPOINT],
        [[""], ENDPOINT],
        [[long], ENDPOINT],
        [ADDRS, ""],
        [ADDRS, long],
      ];
      const { peerId, proof } = await provenPeerId(sys, sys.nodes[0].address);
      for (const [addrs, endpoint] of cases) {
        await expect(
          sys.validators.connect(sys.nodes[0]).register(sys.operator.address, kasKey(), peerId, proof, addrs, endpoint),
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

    it("stake_revertsWhenStakeExceedsUint128", async () => {
      const sys = await loadFixture(deployFixture);
      const [node] = sys.nodes;
      await addValidator(sys, node, 0n);
      const tooLarge = 2n ** 128n;
      await expect(sys.validators.connect(sys.operator).stake(node.address, tooLarge))
        .to.be.revertedWithCustomError(sys.validators, "ValidatorRegistryStakeTooLarge")
        .withArgs(tooLarge);
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

    it("requestExit_fromRegisteredWithoutStakeTransfersNothing", async () => {
      const sys = await loadFixture(deployFixture);
      const [node] = sys.nodes;
      await addValidator(sys, node, 0n);
      const tx = sys.validators.connect(sys.operator).requestExit(node.address);
      await expect(tx).to.emit(sys.validators, "StakeWithdrawn").withArgs(node.address, sys.operator.address, 0n);
      await expect(tx).to.changeTokenBalance(sys.token, sys.operator, 0n);
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

    it("withdraw_withoutHandoffGateReturnsStake", async () => {
      // A registry whose admin never wired a content registry: nothing to wait for on exit.
      const sys = await loadFixture(deployFixture);
      const [node] = sys.nodes;
      const factory = await ethers.getContractFactory("ValidatorRegistry");
      const bare = await factory.deploy(
        await sys.token.getAddress(),
        MIN_STAKE,
        TOKEN,
        UNBONDING,
        sys.treasury.address,
        sys.deployer.address,
      );
      await sys.token.connect(sys.operator).approve(await bare.getAddress(), MIN_STAKE);
      const { peerId, key } = peerIdentity();
      const domain = { chainId: (await registryDomain(sys)).chainId, verifyingContract: await bare.getAddress() };
      const proof = await peerIdProof(domain, node.address, key);
      await bare.connect(node).register(sys.operator.address, kasKey(), peerId, proof, ADDRS, ENDPOINT);
      await bare.connect(sys.operator).stake(node.address, MIN_STAKE);
      await bare.connect(sys.operator).requestExit(node.address);
      await time.increase(UNBONDING);
      await expect(bare.connect(sys.operator).withdraw(node.address)).to.changeTokenBalance(
        sys.token,
        sys.operator,
        MIN_STAKE,
      );
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

    it("slash_afterFullSlashTransfersNothingAndRestartsUnbonding", async () => {
      const sys = await loadFixture(deployFixture);
      const [node] = sys.nodes;
      await addValidator(sys, node);
      await sys.validators.connect(sys.adjudicator).slash(node.address, 10n * MIN_STAKE, ethers.ZeroHash);
      expect((await sys.validators.validator(node.address)).stake).to.equal(0n);
      await time.increase(UNBONDING - 10);
      const tx = sys.validators.connect(sys.adjudicator).slash(node.address, TOKEN, ethers.ZeroHash);
      await expect(tx)
        .to.emit(sys.validators, "ValidatorSlashed")
        .withArgs(node.address, 0n, ethers.ZeroHash, (await time.latest()) + 1 + UNBONDING);
      await expect(tx).to.changeTokenBalance(sys.token, sys.treasury, 0n);
      expect((await sys.validators.validator(node.address)).status).to.equal(Status.Jailed);
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
      const { peerId, proof } = await provenPeerId(sys, node.address);
      await expect(sys.validators.connect(sys.operator).revokeNode(node.address)).to.emit(sys.validators, "NodeRevoked");
      const v = await sys.validators.validator(node.address);
      expect(v.revoked).to.equal(true);
      expect(v.status).to.equal(Status.Exiting);
      expect(await sys.validators.isActive(node.address)).to.equal(false);
      for (const call of [
        sys.validators.connect(sys.operator).revokeNode(node.address),
        sys.validators.connect(sys.operator).rotateKasKey(node.address, kasKey()),
        sys.validators.connect(sys.operator).updateNetwork(node.address, peerId, proof, ADDRS, ENDPOINT),
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

    it("revokeNode_refundsRegisteredNodeAtOnce", async () => {
      const sys = await loadFixture(deployFixture);
      const [node] = sys.nodes;
      await addValidator(sys, node, 10n * TOKEN);
      const tx = sys.validators.connect(sys.operator).revokeNode(node.address);
      await expect(tx).to.emit(sys.validators, "NodeRevoked").withArgs(node.address, 0n);
      await expect(tx).to.changeTokenBalance(sys.token, sys.operator, 10n * TOKEN);
      const v = await sys.validators.validator(node.address);
      expect(v.revoked).to.equal(true);
      expect(v.status).to.equal(Status.Exited);
    });

    it("revokeNode_keepsUnbondingOfExitingNode", async () => {
      const sys = await loadFixture(deployFixture);
      const [node] = sys.nodes;
      await addValidator(sys, node);
      await sys.validators.connect(sys.operator).requestExit(node.address);
      const { unbondingEndsAt } = await sys.validators.validator(node.address);
      await time.increase(10);
      await expect(sys.validators.connect(sys.operator).revokeNode(node.address))
        .to.emit(sys.validators, "NodeRevoked")
        .withArgs(node.address, unbondingEndsAt);
      const v = await sys.validators.validator(node.address);
      expect(v.status).to.equal(Status.Exiting);
      expect(v.unbondingEndsAt).to.equal(unbondingEndsAt);
    });

    it("updateNetwork_revertsForExitedNode", async () => {
      const sys = await loadFixture(deployFixture);
      const [node] = sys.nodes;
      await addValidator(sys, node, 0n);
      const { peerId, proof } = await provenPeerId(sys, node.address);
      await sys.validators.connect(sys.operator).requestExit(node.address); // Registered: Exited at once
      for (const call of [
        sys.validators.connect(sys.operator).updateNetwork(node.address, peerId, proof, ADDRS, ENDPOINT),
        sys.validators.connect(sys.operator).rotateKasKey(node.address, kasKey()),
        sys.validators.connect(sys.operator).revokeNode(node.address),
        sys.validators.connect(sys.operator).stake(node.address, MIN_STAKE),
      ]) {
        await expect(call)
          .to.be.revertedWithCustomError(sys.validators, "ValidatorRegistryInvalidStatus")
          .withArgs(node.address, Status.Exited);
      }
    });

    it("updateNetwork_emitsNewAddresses", async () => {
      const sys = await loadFixture(deployFixture);
      const [node] = sys.nodes;
      await addValidator(sys, node);
      const { peerId: pid, proof } = await provenPeerId(sys, node.address);
      await expect(sys.validators.connect(sys.operator).updateNetwork(node.address, pid, proof, [], "https://v.example"))
        .to.emit(sys.validators, "ValidatorNetworkUpdated")
        .withArgs(node.address, pid, [], "https://v.example");
      await expect(
        sys.validators.connect(sys.operator).updateNetwork(node.address, pid, proof, [], ""),
      ).to.be.revertedWithCustomError(sys.validators, "ValidatorRegistryInvalidNetwork");
    });
  });

  describe("peer id", () => {
    const hashOf = (peerId: string) => ethers.keccak256(peerId);

    it("register_acceptsProofByThePeerIdKeyAndRecordsHolder", async () => {
      const sys = await loadFixture(deployFixture);
      const [node] = sys.nodes;
      const identity = peerIdentity();
      const digest = await sys.validators.peerIdProofDigest(node.address, identity.peerId);
      const domain = { name: "dekmesh", version: "1", ...(await registryDomain(sys)) };
      const types = { PeerIdProof: [{ name: "node", type: "address" }, { name: "peerId", type: "bytes" }] };
      expect(digest).to.equal(ethers.TypedDataEncoder.hash(domain, types, { node: node.address, peerId: identity.peerId }));
      const proof = await peerIdProof(await registryDomain(sys), node.address, identity.key);
      expect(ethers.recoverAddress(digest, proof)).to.equal(identity.key.address);
      await sys.validators.connect(node).register(sys.operator.address, kasKey(), identity.peerId, proof, ADDRS, ENDPOINT);
      expect(await sys.validators.peerIdHolder(hashOf(identity.peerId))).to.equal(node.address);
      expect(await sys.validators.peerIdHolder(ethers.ZeroHash)).to.equal(ethers.ZeroAddress);
    });

    it("register_revertsOnProofByAnotherKey", async () => {
      const sys = await loadFixture(deployFixture);
      const [node] = sys.nodes;
      const victim = peerIdentity();
      const thief = peerIdentity();
      // The thief signs the victim's peer id for its own node with its own key.
      const proof = await peerIdProof(await registryDomain(sys), node.address, thief.key, victim.peerId);
      await expect(sys.validators.connect(node).register(sys.operator.address, kasKey(), victim.peerId, proof, ADDRS, ENDPOINT))
        .to.be.revertedWithCustomError(sys.validators, "ValidatorRegistryInvalidPeerIdProof")
        .withArgs(node.address, hashOf(victim.peerId));
    });

    it("register_revertsOnProofReplayedForAnotherNodeChainOrRegistry", async () => {
      const sys = await loadFixture(deployFixture);
      const [node, other] = sys.nodes;
      const { key, peerId } = peerIdentity();
      const domain = await registryDomain(sys);
      const replays = [
        await peerIdProof(domain, other.address, key), // made for another validator
        await peerIdProof({ ...domain, chainId: domain.chainId + 1n }, node.address, key), // another chain
        await peerIdProof({ ...domain, verifyingContract: await sys.content.getAddress() }, node.address, key), // another contract
      ];
      for (const proof of replays) {
        await expect(sys.validators.connect(node).register(sys.operator.address, kasKey(), peerId, proof, ADDRS, ENDPOINT))
          .to.be.revertedWithCustomError(sys.validators, "ValidatorRegistryInvalidPeerIdProof")
          .withArgs(node.address, hashOf(peerId));
      }
      // The proof made for the other validator is good for it, and for it only.
      await sys.validators.connect(other).register(sys.operator.address, kasKey(), peerId, replays[0], ADDRS, ENDPOINT);
    });

    it("register_revertsOnMalformedPeerId", async () => {
      const sys = await loadFixture(deployFixture);
      const [node] = sys.nodes;
      const { key, peerId } = peerIdentity();
      const bytes = ethers.getBytes(peerId);
      const x = ethers.dataSlice(peerId, 7);
      const P = 2n ** 256n - 2n ** 32n - 977n;
      const modPow = (b: bigint, e: bigint): bigint => {
        let r = 1n;
        for (b %= P; e > 0n; e >>= 1n, b = (b * b) % P) if (e & 1n) r = (r * b) % P;
        return r;
      };
      let offCurve = 1n;
      while (modPow(offCurve ** 3n + 7n, (P - 1n) / 2n) === 1n) offCurve++;
      const ed25519 = ethers.concat(["0x002408011220", ethers.randomBytes(32)]);
      const malformed = [
        "0x",
        ethers.hexlify(bytes.slice(0, 38)), // truncated
        ethers.concat([peerId, "0x00"]), // trailing byte
        ed25519, // an Ed25519 key: the registry cannot check its signatures
        ethers.concat(["0x1220", ethers.sha256(peerId)]), // sha2-256 multihash: the key is not in the id
        ethers.concat(["0x002508031221", ethers.dataSlice(peerId, 6)]), // key type 3 (ECDSA P-256)
        ethers.concat(["0x00250802122104", x]), // not a compressed point
        peerIdOf(ethers.concat(["0x02", ethers.toBeHex(P, 32)])), // x ≥ p
        peerIdOf(ethers.concat(["0x02", ethers.toBeHex(offCurve, 32)])), // x not on the curve
      ];
      const domain = await registryDomain(sys);
      for (const bad of malformed) {
        const proof = await peerIdProof(domain, node.address, key, bad);
        await expect(
          sys.validators.connect(node).register(sys.operator.address, kasKey(), bad, proof, ADDRS, ENDPOINT),
        ).to.be.revertedWithCustomError(sys.validators, "ValidatorRegistryInvalidPeerId");
      }
    });

    it("register_revertsOnMalformedProof", async () => {
      const sys = await loadFixture(deployFixture);
      const [node] = sys.nodes;
      const { key, peerId } = peerIdentity();
      const good = ethers.Signature.from(await peerIdProof(await registryDomain(sys), node.address, key));
      const n = 2n ** 256n - 0x14551231950b75fc4402da1732fc9bebfn;
      // The same signature with s' = n - s: ecrecover accepts it, OpenZeppelin's ECDSA does not.
      const highS = ethers.concat([good.r, ethers.toBeHex(n - BigInt(good.s), 32), good.v === 27 ? "0x1c" : "0x1b"]);
      const garbage = [
        "0x",
        ethers.dataSlice(good.serialized, 0, 64), // no v
        ethers.concat([good.serialized, "0x00"]), // 66 bytes
        ethers.hexlify(ethers.randomBytes(65)),
        ethers.concat([good.r, good.s, "0x1d"]), // v = 29
        highS,
      ];
      for (const proof of garbage) {
        await expect(sys.validators.connect(node).register(sys.operator.address, kasKey(), peerId, proof, ADDRS, ENDPOINT))
          .to.be.revertedWithCustomError(sys.validators, "ValidatorRegistryInvalidPeerIdProof")
          .withArgs(node.address, hashOf(peerId));
      }
    });

    it("register_revertsWhenPeerIdTaken", async () => {
      const sys = await loadFixture(deployFixture);
      const [first, second] = sys.nodes;
      const { key, peerId } = peerIdentity();
      const domain = await registryDomain(sys);
      await sys.validators
        .connect(first)
        .register(sys.operator.address, kasKey(), peerId, await peerIdProof(domain, first.address, key), ADDRS, ENDPOINT);
      // Even the key's owner cannot put one peer id on two live validators.
      const proof = await peerIdProof(domain, second.address, key);
      await expect(sys.validators.connect(second).register(sys.operator.address, kasKey(), peerId, proof, ADDRS, ENDPOINT))
        .to.be.revertedWithCustomError(sys.validators, "ValidatorRegistryPeerIdTaken")
        .withArgs(hashOf(peerId), first.address);
    });

    it("updateNetwork_revertsOnUnprovenOrTakenPeerId", async () => {
      const sys = await loadFixture(deployFixture);
      const [a, b] = sys.nodes;
      const { peerId: held } = await addValidator(sys, a);
      await addValidator(sys, b);
      const thief = peerIdentity();
      const stolen = await peerIdProof(await registryDomain(sys), b.address, thief.key, held);
      await expect(sys.validators.connect(sys.operator).updateNetwork(b.address, held, stolen, ADDRS, ENDPOINT))
        .to.be.revertedWithCustomError(sys.validators, "ValidatorRegistryInvalidPeerIdProof")
        .withArgs(b.address, hashOf(held));
      const fresh = await provenPeerId(sys, a.address);
      await expect(sys.validators.connect(sys.operator).updateNetwork(b.address, fresh.peerId, fresh.proof, ADDRS, ENDPOINT))
        .to.be.revertedWithCustomError(sys.validators, "ValidatorRegistryInvalidPeerIdProof")
        .withArgs(b.address, hashOf(fresh.peerId));
      await expect(sys.validators.connect(sys.operator).updateNetwork(b.address, "0x1220", "0x", ADDRS, ENDPOINT))
        .to.be.revertedWithCustomError(sys.validators, "ValidatorRegistryInvalidPeerId");
      // b's operator holds a's key too (one operator runs both): still one live holder per id.
      await sys.validators.connect(sys.operator).updateNetwork(a.address, fresh.peerId, fresh.proof, ADDRS, ENDPOINT);
      const moved = await peerIdProof(await registryDomain(sys), b.address, fresh.key);
      await expect(sys.validators.connect(sys.operator).updateNetwork(b.address, fresh.peerId, moved, ADDRS, ENDPOINT))
        .to.be.revertedWithCustomError(sys.validators, "ValidatorRegistryPeerIdTaken")
        .withArgs(hashOf(fresh.peerId), a.address);
    });

    it("updateNetwork_movesToNewPeerIdAndFreesPrevious", async () => {
      const sys = await loadFixture(deployFixture);
      const [a, b] = sys.nodes;
      const { peerId: previous } = await addValidator(sys, a);
      const next = await provenPeerId(sys, a.address);
      await sys.validators.connect(sys.operator).updateNetwork(a.address, next.peerId, next.proof, ADDRS, ENDPOINT);
      expect(await sys.validators.peerIdHolder(hashOf(next.peerId))).to.equal(a.address);
      expect(await sys.validators.peerIdHolder(hashOf(previous))).to.equal(ethers.ZeroAddress);
      // Back to the first key is a new claim: it takes a proof again.
      await expect(
        sys.validators.connect(sys.operator).updateNetwork(a.address, previous, "0x", ADDRS, ENDPOINT),
      ).to.be.revertedWithCustomError(sys.validators, "ValidatorRegistryInvalidPeerIdProof");
      const proof = await peerIdProof(await registryDomain(sys), b.address, next.key);
      await expect(
        sys.validators.connect(b).register(sys.operator.address, kasKey(), next.peerId, proof, ADDRS, ENDPOINT),
      ).to.be.revertedWithCustomError(sys.validators, "ValidatorRegistryPeerIdTaken");
    });

    it("updateNetwork_keepsCurrentPeerIdWithoutNewProof", async () => {
      const sys = await loadFixture(deployFixture);
      const [node] = sys.nodes;
      const { peerId } = await addValidator(sys, node);
      await expect(sys.validators.connect(sys.operator).updateNetwork(node.address, peerId, "0x", [], "https://v.example"))
        .to.emit(sys.validators, "ValidatorNetworkUpdated")
        .withArgs(node.address, peerId, [], "https://v.example");
      expect(await sys.validators.peerIdHolder(hashOf(peerId))).to.equal(node.address);
    });

    it("withdraw_freesPeerIdHeldThroughUnbonding", async () => {
      const sys = await loadFixture(deployFixture);
      const [leaver, successor] = sys.nodes;
      const { key, peerId } = peerIdentity();
      const domain = await registryDomain(sys);
      await sys.validators
        .connect(leaver)
        .register(sys.operator.address, kasKey(), peerId, await peerIdProof(domain, leaver.address, key), ADDRS, ENDPOINT);
      await sys.validators.connect(sys.operator).stake(leaver.address, MIN_STAKE);
      await sys.validators.connect(sys.operator).requestExit(leaver.address);
      // An unbonding validator still answers for its replicas under its peer id.
      const proof = await peerIdProof(domain, successor.address, key);
      const registerSuccessor = () =>
        sys.validators.connect(successor).register(sys.operator.address, kasKey(), peerId, proof, ADDRS, ENDPOINT);
      await expect(registerSuccessor())
        .to.be.revertedWithCustomError(sys.validators, "ValidatorRegistryPeerIdTaken")
        .withArgs(hashOf(peerId), leaver.address);
      await time.increase(UNBONDING);
      await sys.validators.connect(sys.operator).withdraw(leaver.address);
      expect(await sys.validators.peerIdHolder(hashOf(peerId))).to.equal(ethers.ZeroAddress);
      await registerSuccessor();
      expect(await sys.validators.peerIdHolder(hashOf(peerId))).to.equal(successor.address);
    });

    it("revokeNode_freesPeerIdWhenExitedOnly", async () => {
      const sys = await loadFixture(deployFixture);
      const [registered, active] = sys.nodes;
      const { peerId: idle } = await addValidator(sys, registered, 0n);
      const { peerId: busy } = await addValidator(sys, active);
      await sys.validators.connect(sys.operator).revokeNode(registered.address); // refunded: Exited at once
      await sys.validators.connect(sys.operator).revokeNode(active.address); // unbonds first
      expect(await sys.validators.peerIdHolder(hashOf(idle))).to.equal(ethers.ZeroAddress);
      expect(await sys.validators.peerIdHolder(hashOf(busy))).to.equal(active.address);
      await time.increase(UNBONDING);
      await sys.validators.connect(sys.operator).withdraw(active.address);
      expect(await sys.validators.peerIdHolder(hashOf(busy))).to.equal(ethers.ZeroAddress);
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

    it("setHandoffGate_revertsOnZeroAddress", async () => {
      const sys = await loadFixture(deployFixture);
      const factory = await ethers.getContractFactory("ValidatorRegistry");
      const bare = await factory.deploy(
        await sys.token.getAddress(),
        MIN_STAKE,
        TOKEN,
        UNBONDING,
        sys.treasury.address,
        sys.deployer.address,
      );
      await expect(bare.setHandoffGate(ethers.ZeroAddress)).to.be.revertedWithCustomError(
        bare,
        "ValidatorRegistryInvalidParameters",
      );
      expect(await bare.handoffGate()).to.equal(ethers.ZeroAddress);
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
