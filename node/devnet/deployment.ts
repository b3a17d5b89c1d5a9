import fs from "node:fs";
import { DevnetError } from "./errors.js";

/** The contracts of a dekmesh deployment, as `scripts/deploy.ts` names them (CONTRACT_NAMES in scripts/lib/deployment.ts, which runs under Hardhat as CommonJS; test/node/chain/actions.test.ts checks the two lists agree). */
export const DEPLOYED_CONTRACTS = [
  "StakeToken",
  "AttributeRegistry",
  "PolicyRegistry",
  "ValidatorRegistry",
  "ContentRegistry",
  "RewrapAuditLog",
] as const;
export type DeployedContractName = (typeof DEPLOYED_CONTRACTS)[number];

export type Address = `0x${string}`;

export interface DeployedContractEntry {
  address: Address;
  /** Block of the deployment transaction: where an indexer starts. */
  block: number;
  args: string[];
}

/** `deployments/<chainId>.json` as written by `scripts/deploy.ts` (bigints as decimal strings). */
export interface DeploymentFile {
  chainId: number;
  network: string;
  deployer: Address;
  deployedAt: string;
  parameters: Record<string, string | number | undefined>;
  contracts: Record<DeployedContractName, DeployedContractEntry>;
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/** Reads and checks a deployment file; throws `BAD_DEPLOYMENT` naming what is wrong. */
export function readDeploymentFile(file: string): DeploymentFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (cause) {
    throw new DevnetError("BAD_DEPLOYMENT", `cannot read deployment file ${file}`, { cause });
  }
  const bad = (what: string) => new DevnetError("BAD_DEPLOYMENT", `deployment file ${file}: ${what}`);
  const d = parsed as Partial<DeploymentFile>;
  if (typeof d !== "object" || d === null) throw bad("not a JSON object");
  if (!Number.isSafeInteger(d.chainId) || d.chainId! <= 0) throw bad("chainId must be a positive integer");
  if (typeof d.contracts !== "object" || d.contracts === null) throw bad("contracts missing");
  for (const name of DEPLOYED_CONTRACTS) {
    const entry = d.contracts[name];
    if (!entry || typeof entry.address !== "string" || !ADDRESS.test(entry.address)) {
      throw bad(`${name}.address missing or not an address`);
    }
    if (!Number.isSafeInteger(entry.block) || entry.block < 0) throw bad(`${name}.block must be a block number`);
  }
  return d as DeploymentFile;
}
