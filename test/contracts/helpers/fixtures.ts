import { createECDH, randomBytes } from "node:crypto";
import hre, { ethers } from "hardhat";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { deployDekmesh, type DeployParameters } from "../../../scripts/lib/deployment";
import type {
  AttributeRegistry,
  ContentRegistry,
  PolicyRegistry,
  RewrapAuditLog,
  StakeToken,
  ValidatorRegistry,
} from "../../../build/typechain";

export const TOKEN = 10n ** 18n;
export const MIN_STAKE = 1_000n * TOKEN;
export const UNBONDING = 3_600;

export enum Mode {
  All = 0,
  Stake = 1,
  Xor = 2,
  Explicit = 3,
}

/** A fresh compressed P-256 public key, as validators publish for their KAS key. */
export function kasKey(): string {
  const ecdh = createECDH("prime256v1");
  ecdh.generateKeys();
  return ethers.hexlify(ecdh.getPublicKey(undefined, "compressed"));
}

/** KID as the contracts define it: the first 8 bytes of SHA-256(compressed key). */
export function kidOf(key: string): string {
  return ethers.dataSlice(ethers.sha256(key), 0, 8);
}

export function peerId(): string {
  return ethers.hexlify(Uint8Array.from([0x00, 0x24, ...randomBytes(36)]));
}

/** The whole system deployed through the real deployment code on the in-process chain. */
export async function deployFixture() {
  const [deployer, treasury, adjudicator, publisher, reader, stranger, ...rest] = await ethers.getSigners();
  const params: DeployParameters = {
    minStake: MIN_STAKE,
    stakeUnit: TOKEN,
    unbondingPeriod: UNBONDING,
    slashRecipient: treasury.address,
    adjudicator: adjudicator.address,
    confirmations: 1,
  };
  const deployment = await deployDekmesh(hre, params);
  const at = async <T>(name: string, address: string) => (await ethers.getContractAt(name, address)) as T;
  const c = deployment.contracts;
  const token = await at<StakeToken>("StakeToken", c.StakeToken.address);
  const validators = await at<ValidatorRegistry>("ValidatorRegistry", c.ValidatorRegistry.address);
  const attributes = await at<AttributeRegistry>("AttributeRegistry", c.AttributeRegistry.address);
  const policies = await at<PolicyRegistry>("PolicyRegistry", c.PolicyRegistry.address);
  const content = await at<ContentRegistry>("ContentRegistry", c.ContentRegistry.address);
  const audit = await at<RewrapAuditLog>("RewrapAuditLog", c.RewrapAuditLog.address);
  // The remaining signers are validator node accounts; `operator` stakes for all of them.
  const operator = rest.pop()!;
  await token.mint(operator.address, 1_000_000n * TOKEN);
  await token.connect(operator).approve(c.ValidatorRegistry.address, ethers.MaxUint256);
  return {
    deployment,
    token,
    validators,
    attributes,
    policies,
    content,
    audit,
    deployer,
    treasury,
    adjudicator,
    publisher,
    reader,
    stranger,
    operator,
    nodes: rest,
  };
}
export type System = Awaited<ReturnType<typeof deployFixture>>;

/** Registers `node` under the system's operator; stakes `amount` (0 = stay Registered). */
export async function addValidator(sys: System, node: HardhatEthersSigner, amount: bigint = MIN_STAKE) {
  const key = kasKey();
  await sys.validators
    .connect(node)
    .register(sys.operator.address, key, peerId(), ["/ip4/127.0.0.1/tcp/4001"], "http://127.0.0.1:8080");
  if (amount > 0n) await sys.validators.connect(sys.operator).stake(node.address, amount);
  return { node, key, kid: kidOf(key) };
}

export interface PolicyOptions {
  mode?: Mode;
  k?: number;
  explicitMembers?: string[];
  allowlist?: string[];
  notBefore?: number;
  notAfter?: number;
}

/** Creates a policy with no attribute requirements for `publisher`; returns its id. */
export async function createPolicy(sys: System, publisher: HardhatEthersSigner, o: PolicyOptions = {}) {
  const input = {
    requirements: [],
    allowlist: o.allowlist ?? [],
    notBefore: o.notBefore ?? 0,
    notAfter: o.notAfter ?? 0,
    mode: o.mode ?? Mode.All,
    k: o.k ?? 0,
    explicitMembers: o.explicitMembers ?? [],
  };
  const id = await sys.policies.connect(publisher).createPolicy.staticCall(input);
  await sys.policies.connect(publisher).createPolicy(input);
  return id;
}

/** Random CID-shaped bytes (CIDv1, raw codec, sha2-256 multihash). */
export function cid(): string {
  return ethers.hexlify(Uint8Array.from([0x01, 0x55, 0x12, 0x20, ...randomBytes(32)]));
}

export const HEADER = ethers.hexlify(Uint8Array.from([0x4c, 0x31, 0x4c, ...randomBytes(120)]));
export const RECOVERY = ethers.hexlify(randomBytes(97));

/** Registers a fresh content; returns its id and cid. */
export async function registerContent(
  sys: System,
  publisher: HardhatEthersSigner,
  policyId: bigint,
  initialValidator: string,
) {
  const contentCid = cid();
  await sys.content.connect(publisher).register(contentCid, policyId, initialValidator, HEADER, RECOVERY);
  return { contentId: ethers.keccak256(contentCid), cid: contentCid };
}
