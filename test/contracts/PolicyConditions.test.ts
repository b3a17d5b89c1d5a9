import { expect } from "chai";
import type { Result } from "ethers";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { deployAccessControl, policyInput } from "./helpers/accessControlFixture";

// PolicyRegistry condition trees (docs/conditions.md): every leaf kind against real OpenZeppelin
// tokens and a misbehaving target, the combinators, the limits, and bad input refused with no
// state change.

enum Kind { And, Or, Not, Erc20Balance, Erc721Owner, Erc721Any, Erc1155Balance, NativeBalance, Time, Call }
enum Op { Eq, Ne, Gt, Gte, Lt, Lte }
enum Returns { Uint256, Bool, Address }
const NOT_MET = 8n;
const CALL_FAILED = 9n;
const GRANTED = 0n;

interface Node {
  kind: Kind;
  operands: number;
  comparator: Op;
  returnKind: Returns;
  target: string;
  readerArgs: number;
  id: bigint;
  value: bigint;
  data: string;
}

const node = (fields: Partial<Node> & { kind: Kind }): Node => ({
  operands: 0,
  comparator: Op.Eq,
  returnKind: Returns.Uint256,
  target: ethers.ZeroAddress,
  readerArgs: 0,
  id: 0n,
  value: 0n,
  data: "0x",
  ...fields,
});
const and = (...children: Node[][]): Node[] => [node({ kind: Kind.And, operands: children.length }), ...children.flat()];
const or = (...children: Node[][]): Node[] => [node({ kind: Kind.Or, operands: children.length }), ...children.flat()];
const not = (child: Node[]): Node[] => [node({ kind: Kind.Not, operands: 1 }), ...child];
const erc20 = (token: string, comparator: Op, value: bigint) => [node({ kind: Kind.Erc20Balance, target: token, comparator, value })];
const timeIs = (comparator: Op, value: bigint) => [node({ kind: Kind.Time, comparator, value })];
/** A call to `target.fn(reader)` (the single argument word replaced by the reader). */
const callWithReader = (target: string, signature: string, returnKind: Returns, comparator: Op, value: bigint) => [
  node({
    kind: Kind.Call,
    target,
    returnKind,
    comparator,
    value,
    readerArgs: 1,
    data: ethers.concat([ethers.id(signature).slice(0, 10), ethers.ZeroHash]),
  }),
];
const callNoArgs = (target: string, signature: string, comparator: Op, value: bigint) => [
  node({ kind: Kind.Call, target, comparator, value, data: ethers.id(signature).slice(0, 10) }),
];

describe("PolicyRegistry conditions", () => {
  async function fixture() {
    const sys = await deployAccessControl();
    const erc20Token = await ethers.deployContract("ConditionTestERC20");
    const nft = await ethers.deployContract("ConditionTestERC721");
    const multi = await ethers.deployContract("ConditionTestERC1155");
    const target = await ethers.deployContract("ConditionTestTarget");
    const [token, nftAddress, multiAddress, targetAddress] = await Promise.all(
      [erc20Token, nft, multi, target].map((c) => c.getAddress()),
    );
    return { ...sys, erc20Token, nft, multi, target, token, nftAddress, multiAddress, targetAddress };
  }
  type System = Awaited<ReturnType<typeof fixture>>;

  async function create(sys: System, conditions: Node[]): Promise<bigint> {
    const asPublisher = sys.policies.connect(sys.publisher);
    const id = await asPublisher.createPolicyWithConditions.staticCall(policyInput(), conditions);
    await asPublisher.createPolicyWithConditions(policyInput(), conditions);
    return id;
  }

  async function decision(sys: System, policyId: bigint, account = sys.reader.address) {
    const [allowed, reason, condition] = await sys.policies.checkAccess(policyId, account);
    expect(await sys.policies.canAccess(policyId, account)).to.deep.equal([allowed, reason]);
    return { allowed, reason, condition };
  }

  describe("leaves", () => {
    it("erc20_grantsAtTheThresholdAndDeniesBelowIt", async () => {
      const sys = await loadFixture(fixture);
      const id = await create(sys, erc20(sys.token, Op.Gte, 100n));
      expect(await decision(sys, id)).to.deep.equal({ allowed: false, reason: NOT_MET, condition: 0n });
      await sys.erc20Token.mint(sys.reader.address, 99n);
      expect((await decision(sys, id)).reason).to.equal(NOT_MET);
      await sys.erc20Token.mint(sys.reader.address, 1n);
      expect(await decision(sys, id)).to.deep.equal({ allowed: true, reason: GRANTED, condition: 0n });
      await sys.erc20Token.burn(sys.reader.address, 1n);
      expect((await decision(sys, id)).allowed).to.equal(false);
      // The publisher is never subject to conditions.
      expect((await decision(sys, id, sys.publisher.address)).allowed).to.equal(true);
    });

    it("erc721_anyNeedsOneTokenAndAnIdNeedsThatToken", async () => {
      const sys = await loadFixture(fixture);
      const any = await create(sys, [node({ kind: Kind.Erc721Any, target: sys.nftAddress })]);
      const seven = await create(sys, [node({ kind: Kind.Erc721Owner, target: sys.nftAddress, id: 7n })]);
      expect((await decision(sys, any)).reason).to.equal(NOT_MET);
      // ownerOf of a token nobody holds reverts in OpenZeppelin: the call failed.
      expect((await decision(sys, seven)).reason).to.equal(CALL_FAILED);
      await sys.nft.mint(sys.reader.address, 8n);
      expect((await decision(sys, any)).allowed).to.equal(true);
      await sys.nft.mint(sys.stranger.address, 7n);
      expect((await decision(sys, seven)).reason).to.equal(NOT_MET);
      expect((await decision(sys, seven, sys.stranger.address)).allowed).to.equal(true);
    });

    it("erc1155_nativeAndTime_compareTheirQuantity", async () => {
      const sys = await loadFixture(fixture);
      const multi = await create(sys, [node({ kind: Kind.Erc1155Balance, target: sys.multiAddress, id: 3n, comparator: Op.Gte, value: 2n })]);
      await sys.multi.mint(sys.reader.address, 3n, 1n);
      expect((await decision(sys, multi)).reason).to.equal(NOT_MET);
      await sys.multi.mint(sys.reader.address, 3n, 1n);
      expect((await decision(sys, multi)).allowed).to.equal(true);

      const poor = ethers.Wallet.createRandom().address;
      const native = await create(sys, [node({ kind: Kind.NativeBalance, comparator: Op.Gte, value: 10n ** 18n })]);
      expect((await decision(sys, native)).allowed).to.equal(true); // hardhat accounts hold 10,000 ETH
      expect((await decision(sys, native, poor)).reason).to.equal(NOT_MET);

      const at = BigInt(await time.latest()) + 100n;
      const after = await create(sys, timeIs(Op.Gte, at));
      expect((await decision(sys, after)).reason).to.equal(NOT_MET);
      await time.increaseTo(at);
      expect((await decision(sys, after)).allowed).to.equal(true);
    });

    it("call_comparesUint256BoolAndAddressWithTheReaderAsArgument", async () => {
      const sys = await loadFixture(fixture);
      const score = await create(sys, callWithReader(sys.targetAddress, "score(address)", Returns.Uint256, Op.Gt, 4n));
      const member = await create(sys, callWithReader(sys.targetAddress, "isMember(address)", Returns.Bool, Op.Eq, 1n));
      const owner = await create(sys, [
        node({
          kind: Kind.Call,
          target: sys.nftAddress,
          returnKind: Returns.Address,
          comparator: Op.Ne,
          value: 0n,
          data: sys.nft.interface.encodeFunctionData("ownerOf", [1n]),
        }),
      ]);
      expect((await decision(sys, score)).reason).to.equal(NOT_MET);
      expect((await decision(sys, member)).reason).to.equal(NOT_MET);
      await sys.target.setScore(sys.reader.address, 5n);
      expect((await decision(sys, score)).allowed).to.equal(true);
      expect((await decision(sys, member)).allowed).to.equal(true);
      // The argument is the account asked about, not a fixed address.
      expect((await decision(sys, score, sys.stranger.address)).reason).to.equal(NOT_MET);
      expect((await decision(sys, owner)).reason).to.equal(CALL_FAILED);
      await sys.nft.mint(sys.stranger.address, 1n);
      expect((await decision(sys, owner)).allowed).to.equal(true);
    });

    it("call_deniesWithCallFailedWhenItRevertsBurnsGasOrReturnsMalformedData", async () => {
      const sys = await loadFixture(fixture);
      const t = sys.targetAddress;
      const cases = [
        callWithReader(t, "reverts(address)", Returns.Uint256, Op.Gte, 0n),
        callWithReader(t, "burnsGas(address)", Returns.Uint256, Op.Gte, 0n),
        callNoArgs(t, "returnsShort()", Op.Gte, 0n),
        [node({ kind: Kind.Call, target: t, returnKind: Returns.Bool, data: sys.target.interface.encodeFunctionData("returnsWord", [2n]) })],
        [node({ kind: Kind.Call, target: t, returnKind: Returns.Address, data: sys.target.interface.encodeFunctionData("returnsWord", [1n << 160n]) })],
        // A target that is not a token answers balanceOf with a revert (no such function).
        erc20(t, Op.Gte, 0n),
      ];
      for (const conditions of cases) {
        expect(await decision(sys, await create(sys, conditions))).to.deep.equal({ allowed: false, reason: CALL_FAILED, condition: 0n });
      }
      const huge = await create(sys, callNoArgs(t, "returnsHuge()", Op.Eq, 7n));
      expect((await decision(sys, huge)).allowed).to.equal(true);
    });

    it("call_aGasBurnerCostsTheCallerAtMostTheCap", async () => {
      const sys = await loadFixture(fixture);
      const burner = await create(sys, callWithReader(sys.targetAddress, "burnsGas(address)", Returns.Uint256, Op.Gte, 0n));
      const cap = await sys.policies.CONDITION_CALL_GAS();
      const gas = await sys.policies.canAccess.estimateGas(burner, sys.reader.address);
      // Intrinsic gas, the policy reads and the cap the call must be able to get: no more.
      expect(gas).to.be.lessThan(cap + 50_000n);
      // With too little gas for the cap the check reverts rather than deny on the caller's behalf.
      const call = { to: await sys.policies.getAddress(), data: sys.policies.interface.encodeFunctionData("canAccess", [burner, sys.reader.address]) };
      await expect(ethers.provider.call({ ...call, gasLimit: 70_000n })).to.be.revertedWithCustomError(sys.policies, "PolicyRegistryConditionGasTooLow");
      expect(sys.policies.interface.decodeFunctionResult("canAccess", await ethers.provider.call({ ...call, gasLimit: gas }))).to.deep.equal([false, CALL_FAILED]);
    });
  });

  describe("combinators", () => {
    it("andOrNot_followTheTreeAndNameTheDecisiveNode", async () => {
      const sys = await loadFixture(fixture);
      const rich = erc20(sys.token, Op.Gte, 100n);
      const member = callWithReader(sys.targetAddress, "isMember(address)", Returns.Bool, Op.Eq, 1n);
      // [0] and [1] or [2] rich [3] member [4] not [5] time < 1
      const id = await create(sys, and(or(rich, member), not(timeIs(Op.Lt, 1n))));
      expect(await decision(sys, id)).to.deep.equal({ allowed: false, reason: NOT_MET, condition: 1n });
      await sys.target.setScore(sys.reader.address, 1n);
      expect((await decision(sys, id)).allowed).to.equal(true);
      const never = await create(sys, and(rich, not(timeIs(Op.Gt, 1n))));
      await sys.erc20Token.mint(sys.reader.address, 100n);
      expect(await decision(sys, never)).to.deep.equal({ allowed: false, reason: NOT_MET, condition: 2n });
    });

    it("failedCall_deniesThroughNotAndOr_unlessAnEarlierOperandDecided", async () => {
      const sys = await loadFixture(fixture);
      const failing = callWithReader(sys.targetAddress, "reverts(address)", Returns.Uint256, Op.Gte, 0n);
      const yes = timeIs(Op.Gt, 0n);
      const no = timeIs(Op.Lt, 1n);
      expect(await decision(sys, await create(sys, not(failing)))).to.deep.equal({ allowed: false, reason: CALL_FAILED, condition: 1n });
      expect((await decision(sys, await create(sys, or(no, failing)))).reason).to.equal(CALL_FAILED);
      expect((await decision(sys, await create(sys, or(yes, failing)))).allowed).to.equal(true);
      expect(await decision(sys, await create(sys, and(no, failing)))).to.deep.equal({ allowed: false, reason: NOT_MET, condition: 1n });
    });

    it("aFullTree_fiveWideTwoDeep_isAccepted", async () => {
      const sys = await loadFixture(fixture);
      const five = (leaf: Node[]) => Array.from({ length: 5 }, () => leaf);
      const tree = or(...five(and(...five(erc20(sys.token, Op.Gte, 1n)))));
      expect(tree.length).to.equal(31);
      const id = await create(sys, tree);
      expect((await decision(sys, id)).reason).to.equal(NOT_MET);
      await sys.erc20Token.mint(sys.reader.address, 1n);
      expect((await decision(sys, id)).allowed).to.equal(true);
    });
  });

  describe("create and update", () => {
    it("conditions_areStoredPerVersionAndAnnounced", async () => {
      const sys = await loadFixture(fixture);
      const { policies, publisher } = sys;
      /** The PolicyConditionsSet of a transaction, its nodes as plain objects. */
      const announced = async (sent: Promise<{ wait(): Promise<unknown> }>) => {
        const receipt = (await (await sent).wait()) as { logs: { topics: string[]; data: string }[] };
        const log = receipt.logs.map((l) => policies.interface.parseLog(l)).find((l) => l?.name === "PolicyConditionsSet")!;
        const nodes = log.args.conditions.map((n: { toObject(): Record<string, unknown> }) => n.toObject());
        return { policyId: log.args.policyId, version: log.args.version, nodes };
      };
      const plain = (nodes: Node[]) => nodes.map((n) => ({ ...n, kind: BigInt(n.kind), operands: BigInt(n.operands), comparator: BigInt(n.comparator), returnKind: BigInt(n.returnKind), readerArgs: BigInt(n.readerArgs) }));
      const first = erc20(sys.token, Op.Gte, 100n);
      expect(await announced(policies.connect(publisher).createPolicyWithConditions(policyInput(), first))).to.deep.equal({ policyId: 1n, version: 1n, nodes: plain(first) });
      const stored = (await policies.conditions(1n)).map((n) => (n as unknown as Result).toObject());
      expect(stored).to.deep.equal(plain(first));

      const second = timeIs(Op.Gt, 5n);
      expect(await announced(policies.connect(publisher).updatePolicyWithConditions(1n, policyInput(), second))).to.deep.equal({ policyId: 1n, version: 2n, nodes: plain(second) });
      expect((await decision(sys, 1n)).allowed).to.equal(true);
      // A plain update makes a version without conditions, and says nothing about conditions.
      await expect(policies.connect(publisher).updatePolicy(1n, policyInput())).not.to.emit(policies, "PolicyConditionsSet");
      expect(await policies.conditions(1n)).to.deep.equal([]);
      // A policy without conditions emits no PolicyConditionsSet either.
      await expect(policies.connect(publisher).createPolicyWithConditions(policyInput(), [])).not.to.emit(policies, "PolicyConditionsSet");
      await expect(policies.conditions(99n)).to.be.revertedWithCustomError(policies, "PolicyRegistryUnknownPolicy");
    });

    it("update_byAnotherAccountOrOfARevokedPolicy_isRefusedAndChangesNothing", async () => {
      const sys = await loadFixture(fixture);
      const { policies, publisher, stranger } = sys;
      const id = await create(sys, erc20(sys.token, Op.Gte, 100n));
      await expect(policies.connect(stranger).updatePolicyWithConditions(id, policyInput(), timeIs(Op.Gt, 0n)))
        .to.be.revertedWithCustomError(policies, "PolicyRegistryNotPublisher")
        .withArgs(id, stranger.address);
      await policies.connect(publisher).revokePolicy(id);
      await expect(policies.connect(publisher).updatePolicyWithConditions(id, policyInput(), timeIs(Op.Gt, 0n)))
        .to.be.revertedWithCustomError(policies, "PolicyRegistryPolicyRevoked")
        .withArgs(id);
      expect((await policies.policy(id)).version).to.equal(1n);
      expect((await policies.conditions(id)).map((n) => Number(n.kind))).to.deep.equal([Kind.Erc20Balance]);
    });

    it("aReplayedSignedCreate_isRejectedAndCreatesOnePolicy", async () => {
      const sys = await loadFixture(fixture);
      const wallet = ethers.Wallet.createRandom().connect(ethers.provider);
      await sys.deployer.sendTransaction({ to: wallet.address, value: 10n ** 18n });
      const tx = await sys.policies.connect(wallet).createPolicyWithConditions.populateTransaction(policyInput(), timeIs(Op.Gt, 0n));
      const signed = await wallet.signTransaction(await wallet.populateTransaction(tx));
      await (await ethers.provider.broadcastTransaction(signed)).wait();
      await expect(ethers.provider.broadcastTransaction(signed)).to.be.rejectedWith(/nonce/i);
      expect(await sys.policies.policyCount()).to.equal(1n);
    });
  });

  describe("bad input", () => {
    async function expectRefused(sys: System, conditions: Node[], error: string, ...args: unknown[]) {
      const { policies, publisher } = sys;
      const before = await policies.policyCount();
      const attempt = expect(policies.connect(publisher).createPolicyWithConditions(policyInput(), conditions)).to.be.revertedWithCustomError(policies, error);
      await (args.length > 0 ? attempt.withArgs(...args) : attempt);
      expect(await policies.policyCount()).to.equal(before);
    }

    it("tooDeep_tooWide_tooMany_areRefused", async () => {
      const sys = await loadFixture(fixture);
      const leaf = timeIs(Op.Gt, 0n);
      await expectRefused(sys, and(or(not(leaf), leaf), leaf), "PolicyRegistryConditionTooDeep", 2n);
      await expectRefused(sys, and(leaf, leaf, leaf, leaf, leaf, leaf), "PolicyRegistryConditionTooWide", 0n, 6n);
      await expectRefused(sys, Array.from({ length: 32 }, () => leaf[0]!), "PolicyRegistryTooManyConditions", 32n);
    });

    it("malformedTrees_areRefusedWithTheNodeIndex", async () => {
      const sys = await loadFixture(fixture);
      const leaf = timeIs(Op.Gt, 0n);
      const token = sys.token;
      const cases: [Node[], bigint][] = [
        [[node({ kind: Kind.And, operands: 2 }), ...leaf], 2n], // an operand missing
        [[...leaf, ...leaf], 2n], // nodes left over
        [and(leaf), 0n], // an And of one
        [[node({ kind: Kind.Not, operands: 2 }), ...leaf, ...leaf], 0n],
        [[node({ kind: Kind.Time, operands: 1 })], 0n], // a leaf with operands
        [[node({ kind: Kind.Time, target: token })], 0n], // an unused field set
        [[node({ kind: Kind.Erc20Balance, target: token, id: 1n })], 0n],
        [[node({ kind: Kind.Erc721Any, target: token, comparator: Op.Gt })], 0n],
        [[node({ kind: Kind.Erc20Balance, target: token, data: "0x12345678" })], 0n],
        [[node({ kind: Kind.Call, target: token, data: "0x1234" })], 0n], // no selector
        [[node({ kind: Kind.Call, target: token, data: "0x12345678ff" })], 0n], // not whole words
        [[node({ kind: Kind.Call, target: token, data: "0x12345678", readerArgs: 1 })], 0n], // reader arg past the data
        [[node({ kind: Kind.Call, target: token, data: ethers.concat(["0x12345678", ...Array(9).fill(ethers.ZeroHash)]) })], 0n],
        [[node({ kind: Kind.Call, target: token, data: "0x12345678", returnKind: Returns.Bool, comparator: Op.Gt })], 0n],
      ];
      for (const [conditions, index] of cases) await expectRefused(sys, conditions, "PolicyRegistryConditionMalformed", index);
      // An enum value past the last kind does not even decode.
      const { policies, publisher } = sys;
      const raw = policies.interface.encodeFunctionData("createPolicyWithConditions", [policyInput(), leaf]);
      const kindWord = raw.indexOf("0".repeat(63) + "8"); // Time = 8, the first node's first word
      const bad = raw.slice(0, kindWord) + "0".repeat(62) + "0a" + raw.slice(kindWord + 64);
      await expect(publisher.sendTransaction({ to: await policies.getAddress(), data: bad })).to.be.reverted;
      expect(await policies.policyCount()).to.equal(0n);
    });

    it("targetsWithoutCode_andValuesOutOfRange_areRefused", async () => {
      const sys = await loadFixture(fixture);
      const eoa = sys.stranger.address;
      await expectRefused(sys, erc20(eoa, Op.Gte, 1n), "PolicyRegistryConditionTargetNotContract", 0n, eoa);
      await expectRefused(sys, and(timeIs(Op.Gt, 0n), [node({ kind: Kind.Erc721Any, target: eoa })]), "PolicyRegistryConditionTargetNotContract", 2n, eoa);
      await expectRefused(sys, timeIs(Op.Gt, 1n << 64n), "PolicyRegistryConditionValueOutOfRange", 0n, 1n << 64n);
      const t = sys.targetAddress;
      await expectRefused(sys, callWithReader(t, "isMember(address)", Returns.Bool, Op.Eq, 2n), "PolicyRegistryConditionValueOutOfRange", 0n, 2n);
      await expectRefused(sys, callWithReader(t, "isMember(address)", Returns.Address, Op.Eq, 1n << 160n), "PolicyRegistryConditionValueOutOfRange", 0n, 1n << 160n);
      // An update with bad conditions leaves the version and its conditions as they were.
      const id = await create(sys, erc20(sys.token, Op.Gte, 1n));
      await expect(sys.policies.connect(sys.publisher).updatePolicyWithConditions(id, policyInput(), erc20(eoa, Op.Gte, 1n)))
        .to.be.revertedWithCustomError(sys.policies, "PolicyRegistryConditionTargetNotContract");
      expect((await sys.policies.policy(id)).version).to.equal(1n);
      expect((await sys.policies.conditions(id))[0]!.target).to.equal(sys.token);
    });
  });
});
