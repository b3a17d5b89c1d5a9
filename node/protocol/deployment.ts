/**
 * The deployment file, `deployments/<chainId>.json`, as `scripts/deploy.ts` writes it: its
 * schema and its checks, in one place for the validator, the SDK, the CLI, the devnet and the
 * indexer. Pure: callers read the file (node/chain/deployment.ts, node/devnet/deployment.ts,
 * indexer/settings.ts) and hand the parsed JSON here.
 */
import { getAddress, isAddress, type Address } from "viem";
import { DekmeshError } from "./errors.js";

/**
 * The contracts of a dekmesh deployment, in deployment order. scripts/lib/deployment.ts runs
 * under Hardhat as CommonJS and keeps its own list; test/node/chain/actions.test.ts checks that
 * the two agree.
 */
export const DEPLOYED_CONTRACTS = [
  "StakeToken",
  "AttributeRegistry",
  "PolicyRegistry",
  "ValidatorRegistry",
  "ContentRegistry",
  "RewrapAuditLog",
  "Adjudicator",
] as const;
export type DeployedContractName = (typeof DEPLOYED_CONTRACTS)[number];

export interface DeployedContractEntry {
  address: Address;
  /** Block of the deployment transaction: where an indexer starts. */
  block: number;
  args: string[];
}

/** `deployments/<chainId>.json` (bigints as decimal strings). */
export interface DeploymentFile {
  chainId: number;
  network: string;
  deployer: Address;
  deployedAt: string;
  parameters: Record<string, string | number | undefined>;
  contracts: Record<DeployedContractName, DeployedContractEntry>;
}

/** The contract addresses, keyed as in code (camelCase). */
export interface DekmeshAddresses {
  stakeToken: Address;
  attributeRegistry: Address;
  policyRegistry: Address;
  validatorRegistry: Address;
  contentRegistry: Address;
  rewrapAuditLog: Address;
  adjudicator: Address;
}

/** What the chain side needs from a deployment file. */
export interface ChainDeployment {
  chainId: number;
  addresses: DekmeshAddresses;
  /** The earliest deployment block: where log scans start. */
  startBlock: bigint;
}

export class DeploymentError extends DekmeshError<"DEPLOYMENT_INVALID"> {
  override name = "DeploymentError";
}

const KEYS: Record<DeployedContractName, keyof DekmeshAddresses> = {
  StakeToken: "stakeToken",
  AttributeRegistry: "attributeRegistry",
  PolicyRegistry: "policyRegistry",
  ValidatorRegistry: "validatorRegistry",
  ContentRegistry: "contentRegistry",
  RewrapAuditLog: "rewrapAuditLog",
  Adjudicator: "adjudicator",
};

/** Checks parsed JSON against the schema; DEPLOYMENT_INVALID names `source` and what is wrong. */
export function parseDeploymentFile(json: unknown, source: string): DeploymentFile {
  const bad = (what: string) =>
    new DeploymentError("DEPLOYMENT_INVALID", `deployment file ${source}: ${what}`, { details: { source } });
  const d = json as Partial<DeploymentFile>;
  if (typeof d !== "object" || d === null || Array.isArray(d)) throw bad("not a JSON object");
  if (!Number.isSafeInteger(d.chainId) || d.chainId! <= 0) throw bad("chainId must be a positive integer");
  if (typeof d.contracts !== "object" || d.contracts === null) throw bad("contracts missing");
  for (const name of DEPLOYED_CONTRACTS) {
    const entry = d.contracts[name];
    if (!entry || typeof entry.address !== "string" || !isAddress(entry.address, { strict: false })) {
      throw bad(`${name}.address missing or not an address`);
    }
    if (!Number.isSafeInteger(entry.block) || entry.block < 0) throw bad(`${name}.block must be a block number`);
  }
  return d as DeploymentFile;
}

/** Parses deployment-file text (JSON); DEPLOYMENT_INVALID when it is not JSON or not the schema. */
export function parseDeploymentText(text: string, source: string): DeploymentFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new DeploymentError("DEPLOYMENT_INVALID", `deployment file ${source}: not JSON`, { details: { source }, cause });
  }
  return parseDeploymentFile(json, source);
}

/** The addresses (checksummed) and the earliest deployment block of a deployment file. */
export function toChainDeployment(file: DeploymentFile): ChainDeployment {
  const addresses = {} as DekmeshAddresses;
  let startBlock: number | undefined;
  for (const name of DEPLOYED_CONTRACTS) {
    const entry = file.contracts[name];
    addresses[KEYS[name]] = getAddress(entry.address);
    startBlock = startBlock === undefined ? entry.block : Math.min(startBlock, entry.block);
  }
  return { chainId: file.chainId, addresses, startBlock: BigInt(startBlock ?? 0) };
}
