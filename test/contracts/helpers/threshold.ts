import { randomBytes } from "node:crypto";
import { ethers } from "hardhat";
import { mine } from "@nomicfoundation/hardhat-network-helpers";
import { addValidator, cid, createPolicy, deployFixture, HEADER, kasKey, kidOf, Mode, RECOVERY, type System } from "./fixtures";

/** threshold(m, n) in a policy's k byte: (m − 1) << 4 | (n − 1) (DekmeshTypes.sol `thresholdOf`). */
export const thresholdK = (m: number, n: number) => ((m - 1) << 4) | (n - 1);

/** Six active validators and a threshold(3, 5) policy; `kids` maps each node to its KAS key's KID. */
export async function thresholdFixture() {
  const sys = await deployFixture();
  const active = sys.nodes.slice(0, 6);
  const kids = new Map<string, string>();
  for (const node of active) kids.set(node.address, (await addValidator(sys, node)).kid);
  const policyId = await createPolicy(sys, sys.publisher, { mode: Mode.Threshold, k: thresholdK(3, 5) });
  await mine(3);
  return { ...sys, active, kids, policyId };
}
export type ThresholdSystem = Awaited<ReturnType<typeof thresholdFixture>>;

export interface Slot {
  member: string;
  index: number;
  previous: string;
}

/** m compressed P-256 points, as the Feldman commitments are. */
export function commitmentsBytes(m: number): string {
  return ethers.concat(Array.from({ length: m }, () => kasKey()));
}

/**
 * Sealed shares as the publisher's dealing lays them out (node/crypto/threshold/sealedShare.ts):
 * version 1, uint16 index, the member's address and KID, then 81 bytes of ECIES output. The
 * contract reads only the clear part; the real sealing is tested with the crypto core.
 */
export function sealedSharesFor(
  members: string[],
  kidOfMember: (member: string) => string,
  { index = (slot: number) => slot + 1, recipient = (member: string, _slot: number) => member, version = 1 } = {},
): string {
  return ethers.concat(
    members.map((member, slot) =>
      ethers.concat([ethers.toBeHex(version, 1), ethers.toBeHex(index(slot), 2), recipient(member, slot), kidOfMember(recipient(member, slot)), randomBytes(81)]),
    ),
  );
}

/** The draw the contract will make for `contentId` from `drawBlock`, computed as the publisher does before sealing. */
export async function drawMembers(sys: System, drawBlock: number, contentId: string, n: number): Promise<{ members: string[]; seed: bigint }> {
  const hash = (await ethers.provider.getBlock(drawBlock))!.hash!;
  const seed = BigInt(ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(["bytes32", "bytes32"], [hash, contentId])));
  return { members: [...(await sys.validators.sample(seed, n, []))], seed };
}

export interface RegistrationOptions {
  m?: number;
  n?: number;
  policyId?: bigint;
  drawBlock?: number;
  commitments?: string;
  /** Rewrites the sealed shares the honest publisher would send. */
  sealedShares?: (members: string[], sys: ThresholdSystem) => string;
  cid?: string;
  header?: string;
  recoveryEnvelope?: string;
}

/** A publisher's registration made as the SDK will make it: draw computed off chain, shares sealed to the drawn members. */
export async function thresholdRegistration(sys: ThresholdSystem, o: RegistrationOptions = {}) {
  const contentCid = o.cid ?? cid();
  const contentId = ethers.keccak256(contentCid);
  const drawBlock = o.drawBlock ?? (await ethers.provider.getBlockNumber());
  const n = o.n ?? 5;
  const { members, seed } = await drawMembers(sys, drawBlock, contentId, n);
  const registration = {
    cid: contentCid,
    policyId: o.policyId ?? sys.policyId,
    header: o.header ?? HEADER,
    recoveryEnvelope: o.recoveryEnvelope ?? RECOVERY,
    drawBlock,
    commitments: o.commitments ?? commitmentsBytes(o.m ?? 3),
    sealedShares: o.sealedShares ? o.sealedShares(members, sys) : sealedSharesFor(members, (member) => sys.kids.get(member)!),
  };
  return { registration, contentId, members, seed };
}

/** Registers a threshold content; returns its id, members and initial slots. */
export async function registerThreshold(sys: ThresholdSystem, o: RegistrationOptions = {}) {
  const made = await thresholdRegistration(sys, o);
  await sys.content.connect(sys.publisher).registerThreshold(made.registration);
  const slots: Slot[] = made.members.map((member, i) => ({ member, index: i + 1, previous: ethers.ZeroAddress }));
  return { ...made, slots };
}

/** Repairs and returns the slots after it, read from its ThresholdSlotRepaired events as the indexer reads them. */
export async function repairThreshold(sys: System, contentId: string, slots: Slot[]): Promise<Slot[]> {
  const receipt = await (await sys.content.connect(sys.stranger).repairThreshold(contentId, slots)).wait();
  const repaired = slots.map((s) => ({ ...s }));
  for (const log of receipt!.logs) {
    const event = sys.content.interface.parseLog(log);
    if (event?.name !== "ThresholdSlotRepaired") continue;
    const slot = Number(event.args.slot);
    const old = slots[slot]!;
    repaired[slot] = { member: event.args.replacement, index: Number(event.args.index), previous: old.previous === ethers.ZeroAddress ? old.member : old.previous };
  }
  return repaired;
}

export { kidOf };
