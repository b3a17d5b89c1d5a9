import { ethers } from "hardhat";
import type { AttributeRegistry, PolicyRegistry } from "../../../build/typechain";
import { AttributeRule, type Requirement } from "./accessModel";

export { AccessReason, AttributeRule } from "./accessModel";

/** Mirrors `ReplicationMode` in contracts/types/DekmeshTypes.sol. */
export enum ReplicationMode {
  All = 0,
  Stake = 1,
  Xor = 2,
  Explicit = 3,
}

/** Namespace id as the registry derives it: keccak256 of the UTF-8 name. */
export function namespaceId(name: string): string {
  return ethers.keccak256(ethers.toUtf8Bytes(name));
}

/** Requirements in the order the registry demands: by namespace id, then value. */
export function sortRequirements(requirements: readonly Requirement[]): Requirement[] {
  return [...requirements].sort((a, b) => {
    const na = BigInt(a.namespace);
    const nb = BigInt(b.namespace);
    return na !== nb ? (na < nb ? -1 : 1) : a.value - b.value;
  });
}

export interface PolicyInput {
  requirements: Requirement[];
  allowlist: string[];
  notBefore: bigint;
  notAfter: bigint;
  mode: ReplicationMode;
  k: number;
  explicitMembers: string[];
}

/** A valid `PolicyInput` (no requirements, no allowlist, open window, mode All) with overrides. */
export function policyInput(overrides: Partial<PolicyInput> = {}): PolicyInput {
  return {
    requirements: [],
    allowlist: [],
    notBefore: 0n,
    notAfter: 0n,
    mode: ReplicationMode.All,
    k: 0,
    explicitMembers: [],
    ...overrides,
  };
}

/** Arguments of PolicyCreated/PolicyUpdated after `policyId, publisher, version`. */
export function policyEventTail(input: PolicyInput) {
  return [
    input.requirements.map((r) => [r.namespace, r.value]),
    input.allowlist,
    input.notBefore,
    input.notAfter,
    input.mode,
    input.k,
    input.explicitMembers,
  ] as const;
}

/** `count` distinct random addresses (accounts that never send transactions). */
export function randomAddresses(count: number): string[] {
  return Array.from({ length: count }, () => ethers.getAddress(ethers.hexlify(ethers.randomBytes(20))));
}

/** Creates a policy as `publisher` and returns its id. */
export async function createPolicy(policies: PolicyRegistry, publisher: { address: string }, input: PolicyInput) {
  const signer = await ethers.getSigner(publisher.address);
  const id = await policies.connect(signer).createPolicy.staticCall(input);
  await policies.connect(signer).createPolicy(input);
  return id;
}

export const CLEARANCE = { name: "clearance", values: ["topsecret", "secret", "confidential", "public"] } as const;
export const PROJECT = { name: "project", values: ["apollo", "gemini", "mercury"] } as const;
export const REGION = { name: "region", values: ["eu", "us", "apac"] } as const;

/**
 * Both registries, deployed bare, with three namespaces owned by `authority`:
 * `clearance` (Hierarchy), `project` (AllOf) and `region` (AnyOf).
 */
export async function deployAccessControl() {
  const [deployer, authority, publisher, reader, stranger, ...others] = await ethers.getSigners();
  const attributes = (await ethers.deployContract("AttributeRegistry")) as unknown as AttributeRegistry;
  const policies = (await ethers.deployContract("PolicyRegistry", [
    await attributes.getAddress(),
  ])) as unknown as PolicyRegistry;
  const asAuthority = attributes.connect(authority);
  await asAuthority.createNamespace(CLEARANCE.name, AttributeRule.Hierarchy, [...CLEARANCE.values]);
  await asAuthority.createNamespace(PROJECT.name, AttributeRule.AllOf, [...PROJECT.values]);
  await asAuthority.createNamespace(REGION.name, AttributeRule.AnyOf, [...REGION.values]);
  return {
    attributes,
    policies,
    deployer,
    authority,
    publisher,
    reader,
    stranger,
    others,
    clearance: namespaceId(CLEARANCE.name),
    project: namespaceId(PROJECT.name),
    region: namespaceId(REGION.name),
  };
}
