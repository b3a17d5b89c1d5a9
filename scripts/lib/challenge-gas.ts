// The Adjudicator's figures for `npm run bench:gas` (scripts/bench-gas.ts): a withheld-service
// challenge opened and answered, a bad share answer proven, and a fabricated-record challenge
// opened on a verifiable batch of 100 records (its packed records travel with it) and answered
// with one account-signed record's evidence. Measured on a deployment of
// their own with three validators whose KAS keys are known, so threshold(2, 3) draws all three.
// Everything is derived from fixed labels and signatures are deterministic (RFC 6979), so the
// figures are a pure function of the code like the others.
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { p256 } from "@noble/curves/nist.js";
import { deployDekmesh } from "./deployment";
import {
  accountReader,
  contractEvidence,
  contractRecord,
  packRecords,
  resetNonces,
  singleRecord,
  tree,
} from "../../test/contracts/helpers/auditEvidence";

const TOKEN = 10n ** 18n;

export interface ChallengeGas {
  challenge_withheld_open: number;
  challenge_withheld_answer: number;
  challenge_bad_answer_prove: number;
  challenge_fabricated_open: number;
  challenge_fabricated_answer: number;
}

export async function measureChallenges(hre: HardhatRuntimeEnvironment): Promise<ChallengeGas> {
  const { ethers } = hre;
  const [deployer, publisher, operator] = await ethers.getSigners();
  const signers = await ethers.getSigners();
  const nodes = signers.slice(signers.length - 3);
  const { contracts: c } = await deployDekmesh(hre, {
    minStake: 1_000n * TOKEN,
    stakeUnit: TOKEN,
    unbondingPeriod: 60,
    slashRecipient: deployer.address,
    adjudicator: deployer.address,
    confirmations: 1,
  });
  const token = await ethers.getContractAt("StakeToken", c.StakeToken.address);
  const validators = await ethers.getContractAt("ValidatorRegistry", c.ValidatorRegistry.address);
  const policies = await ethers.getContractAt("PolicyRegistry", c.PolicyRegistry.address);
  const content = await ethers.getContractAt("ContentRegistry", c.ContentRegistry.address);
  const adjudicator = await ethers.getContractAt("Adjudicator", c.Adjudicator.address);
  const gasOf = async (tx: Promise<{ wait(): Promise<{ gasUsed: bigint } | null> }>) => Number((await (await tx).wait())!.gasUsed);
  const label = (name: string) => ethers.getBytes(ethers.id(name));
  const point = (name: string) => ethers.hexlify(p256.getPublicKey(label(name)));

  await token.mint(operator.address, 10_000n * TOKEN);
  await token.connect(operator).approve(c.ValidatorRegistry.address, ethers.MaxUint256);
  await token.mint(publisher.address, 1_000n * TOKEN);
  await token.connect(publisher).approve(c.Adjudicator.address, ethers.MaxUint256);

  // Three validators whose KAS secret keys are fixed labels (a fourth joins for the last figures).
  const secrets = new Map<string, Uint8Array>();
  const { chainId } = await ethers.provider.getNetwork();
  async function registerNode(node: (typeof signers)[number], i: number) {
    secrets.set(node.address, label(`challenge-kas-${i}`));
    const libp2p = new ethers.Wallet(ethers.id(`challenge-libp2p-${i}`));
    const peerId = ethers.concat(["0x002508021221", libp2p.signingKey.compressedPublicKey]);
    const proof = await libp2p.signTypedData(
      { name: "dekmesh", version: "1", chainId, verifyingContract: c.ValidatorRegistry.address },
      { PeerIdProof: [{ name: "node", type: "address" }, { name: "peerId", type: "bytes" }] },
      { node: node.address, peerId },
    );
    await validators.connect(node).register(operator.address, point(`challenge-kas-${i}`), peerId, proof, [], "http://127.0.0.1:8080");
    await validators.connect(operator).stake(node.address, 1_000n * TOKEN);
  }
  for (const [i, node] of nodes.entries()) await registerNode(node, i);
  const kasKey = (node: string) => {
    const xy = p256.getPublicKey(secrets.get(node)!, false);
    return { x: ethers.hexlify(xy.slice(1, 33)), y: ethers.hexlify(xy.slice(33)), kid: ethers.dataSlice(ethers.sha256(p256.getPublicKey(secrets.get(node)!)), 0, 8) };
  };
  const sign = (node: string, message: string) => ethers.hexlify(p256.sign(ethers.getBytes(message), secrets.get(node)!));
  const fixed = (name: string, bytes: number) =>
    ethers.dataSlice(ethers.concat(Array.from({ length: Math.ceil(bytes / 32) }, (_, i) => ethers.id(`${name}-${i}`))), 0, bytes);

  const policy = async (mode: number, k: number) => {
    const input = { requirements: [], allowlist: [], notBefore: 0, notAfter: 0, mode, k, explicitMembers: [] };
    const id = await policies.connect(publisher).createPolicy.staticCall(input);
    await policies.connect(publisher).createPolicy(input);
    return id;
  };

  // challenge_withheld_open / _answer: an `all` content; the publisher (who may read) challenges.
  const holder = nodes[0]!.address;
  const cid = ethers.concat(["0x01551220", ethers.id("challenge-cid")]);
  const contentId = ethers.keccak256(cid);
  await content.connect(publisher).register(cid, await policy(0, 0), holder, fixed("challenge-header", 120), fixed("challenge-recovery", 97));
  const request = { contentId, clientPublicKey: point("challenge-client"), nonce: 1n, expiry: 4_000_000_000n };
  const noProof = { members: [], slots: [], slot: 0 };
  const withheldId = await adjudicator.connect(publisher).openWithheld.staticCall(request, holder, noProof);
  const open = await gasOf(adjudicator.connect(publisher).openWithheld(request, holder, noProof));
  const digest = await adjudicator.requestDigest(request);
  const envelope = ethers.concat(["0x01", point("challenge-ephemeral"), fixed("challenge-wrapped", 48)]);
  const signed = ethers.concat([ethers.toUtf8Bytes("dekmesh/challenge/rewrap-answer/v1"), digest, contentId, envelope]);
  const key = kasKey(holder);
  const answer = await gasOf(adjudicator.answerWithheld(withheldId, ethers.concat([envelope, sign(holder, signed)]), key.x, key.y));

  // challenge_bad_answer_prove: a threshold(2, 3) member's signed answer for a slot it does not hold.
  const tcid = ethers.concat(["0x01551220", ethers.id("challenge-threshold-cid")]);
  const tcontentId = ethers.keccak256(tcid);
  const tpolicy = await policy(4, (1 << 4) | 2);
  const drawBlock = await ethers.provider.getBlockNumber();
  const hash = (await ethers.provider.getBlock(drawBlock))!.hash!;
  const seed = BigInt(ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(["bytes32", "bytes32"], [hash, tcontentId])));
  const members = [...(await validators.sample(seed, 3, []))];
  const sealedShares = ethers.concat(
    members.map((m, i) => ethers.concat([ethers.toBeHex(1, 1), ethers.toBeHex(i + 1, 2), m, kasKey(m).kid, fixed(`challenge-sealed-${i}`, 81)])),
  );
  await content.connect(publisher).registerThreshold({
    cid: tcid,
    policyId: tpolicy,
    header: fixed("challenge-theader", 120),
    recoveryEnvelope: fixed("challenge-trecovery", 97),
    drawBlock,
    commitments: ethers.concat([point("challenge-c0"), point("challenge-c1")]),
    sealedShares,
  });
  const slots = members.map((member, i) => ({ member, index: i + 1, previous: ethers.ZeroAddress }));
  const member = members[0]!;
  const wrapped = ethers.concat(["0x01", ethers.toBeHex(3, 2), point("challenge-share-ephemeral"), fixed("challenge-share", 48)]);
  const shareDigest = ethers.id("challenge-share-request");
  const context = ethers.concat([ethers.toUtf8Bytes("dekmesh/threshold/share-answer/v1"), shareDigest, tcontentId, "0x01", ethers.toBeHex(3, 2)]);
  const shareAnswer = ethers.concat([wrapped, sign(member, ethers.concat([context, wrapped]))]);
  const mkey = kasKey(member);
  const prove = await gasOf(adjudicator.connect(publisher).proveBadShareAnswer(member, tcontentId, shareDigest, shareAnswer, mkey.x, mkey.y, slots));

  // challenge_fabricated_open / _answer: record 0 of a verifiable batch of 100 by a fourth
  // validator that joins now (after the threshold draw), so the bond it is paid always lands on
  // an empty token balance, whichever member the draw above slashed.
  const batcher = signers[signers.length - 4]!;
  await registerNode(batcher, 3);
  resetNonces();
  const domain = { chainId, verifyingContract: c.RewrapAuditLog.address };
  const entries = Array.from({ length: 100 }, (_, i) => singleRecord(domain, accountReader(`challenge-reader-${i}`), contentId, 1_700_000_000, true));
  const packed = packRecords(entries.map((e) => e.record));
  const evidence = tree(entries);
  const audit = await ethers.getContractAt("RewrapAuditLog", c.RewrapAuditLog.address);
  await audit.connect(batcher).recordVerifiableRewraps(1, packed, evidence.root, "0x01551220" + "5a".repeat(32));
  const fabricatedId = await adjudicator.connect(publisher).openFabricated.staticCall(batcher.address, 1, packed, 0);
  const fabricatedOpen = await gasOf(adjudicator.connect(publisher).openFabricated(batcher.address, 1, packed, 0));
  const fabricatedAnswer = await gasOf(
    adjudicator.answerFabricated(fabricatedId, contractRecord(entries[0]!.record), contractEvidence(entries[0]!.evidence), evidence.getProof(0)),
  );
  return {
    challenge_withheld_open: open,
    challenge_withheld_answer: answer,
    challenge_bad_answer_prove: prove,
    challenge_fabricated_open: fabricatedOpen,
    challenge_fabricated_answer: fabricatedAnswer,
  };
}
