import { createECDH, randomBytes } from "node:crypto";
import hre, { ethers } from "hardhat";
import type { BaseWallet } from "ethers";
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
  Threshold = 4,
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

/** A validator's libp2p identity: a secp256k1 key and its peer id in binary (multihash) form. */
export interface PeerIdentity {
  key: BaseWallet;
  peerId: string;
}

/** The libp2p peer id of a compressed secp256k1 key: the identity multihash of its protobuf encoding. */
export function peerIdOf(compressedKey: string): string {
  return ethers.concat(["0x002508021221", compressedKey]);
}

export function peerIdentity(): PeerIdentity {
  const key = ethers.Wallet.createRandom() as BaseWallet;
  return { key, peerId: peerIdOf(key.signingKey.compressedPublicKey) };
}

/** The EIP-712 domain a peer-id proof is bound to (IValidatorRegistry.peerIdProofDigest). */
export interface ProofDomain {
  chainId: bigint;
  verifyingContract: string;
}

export async function registryDomain(sys: System): Promise<ProofDomain> {
  return { chainId: (await ethers.provider.getNetwork()).chainId, verifyingContract: await sys.validators.getAddress() };
}

/** The libp2p key's signature that lets `node` claim `peerId` (by default the key's own id). */
export function peerIdProof(domain: ProofDomain, node: string, key: BaseWallet, peerId = peerIdOf(key.signingKey.compressedPublicKey)) {
  return key.signTypedData(
    { name: "dekmesh", version: "1", ...domain },
    { PeerIdProof: [{ name: "node", type: "address" }, { name: "peerId", type: "bytes" }] },
    { node, peerId },
  );
}

/** A fresh libp2p identity for `node` with its proof for this system's registry. */
export async function provenPeerId(sys: System, node: string) {
  const identity = peerIdentity();
  return { ...identity, proof: await peerIdProof(await registryDomain(sys), node, identity.key) };
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
  const { peerId, proof } = await provenPeerId(sys, node.address);
  await sys.validators
    .connect(node)
    .register(sys.operator.address, key, peerId, proof, ["/ip4/127.0.0.1/tcp/4001"], "http://127.0.0.1:8080");
  if (amount > 0n) await sys.validators.connect(sys.operator).stake(node.address, amount);
  return { node, key, kid: kidOf(key), peerId };
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
