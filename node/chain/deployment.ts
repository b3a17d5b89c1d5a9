import { getAddress, type Address } from "viem";
import { DEPLOYED_CONTRACTS, readDeploymentFile, type DeployedContractName, type DeploymentFile } from "../devnet/deployment.js";
import { ChainError } from "./errors.js";

/** The contract addresses the node talks to, keyed as in code (camelCase). */
export interface DekmeshAddresses {
  stakeToken: Address;
  attributeRegistry: Address;
  policyRegistry: Address;
  validatorRegistry: Address;
  contentRegistry: Address;
  rewrapAuditLog: Address;
}

/** What the chain side needs from `deployments/<chainId>.json`. */
export interface ChainDeployment {
  chainId: number;
  addresses: DekmeshAddresses;
  /** The earliest deployment block: where log scans start. */
  startBlock: bigint;
}

const KEYS: Record<DeployedContractName, keyof DekmeshAddresses> = {
  StakeToken: "stakeToken",
  AttributeRegistry: "attributeRegistry",
  PolicyRegistry: "policyRegistry",
  ValidatorRegistry: "validatorRegistry",
  ContentRegistry: "contentRegistry",
  RewrapAuditLog: "rewrapAuditLog",
};

/** Converts a parsed deployment file (as `node/devnet` reads it) into a ChainDeployment. */
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

/**
 * Reads and checks a deployment file written by `scripts/deploy.ts`; CHAIN_BAD_DEPLOYMENT
 * names what is wrong. The file format and its checks are shared with the devnet harness.
 */
export function loadDeployment(file: string): ChainDeployment {
  try {
    return toChainDeployment(readDeploymentFile(file));
  } catch (error) {
    throw new ChainError("CHAIN_BAD_DEPLOYMENT", error instanceof Error ? error.message : `cannot read ${file}`, {
      details: { file },
      cause: error,
    });
  }
}
