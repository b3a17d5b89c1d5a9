import fs from "node:fs";
import path from "node:path";
import type { HardhatRuntimeEnvironment } from "hardhat/types";

/** Contracts every dekmesh deployment has, in deployment order. */
export const CONTRACT_NAMES = [
  "StakeToken",
  "AttributeRegistry",
  "PolicyRegistry",
  "ValidatorRegistry",
  "ContentRegistry",
  "RewrapAuditLog",
  "Adjudicator",
] as const;
export type ContractName = (typeof CONTRACT_NAMES)[number];

export interface DeployedContract {
  address: string;
  /** Block of the deployment transaction: where an indexer starts. */
  block: number;
  /** Constructor arguments, stringified. */
  args: string[];
  /** True for the stake token when an existing ERC-20 was given instead of deploying one. */
  external?: boolean;
}

export interface Deployment {
  chainId: number;
  network: string;
  deployer: string;
  deployedAt: string;
  parameters: DeployParameters;
  contracts: Record<ContractName, DeployedContract>;
}

export interface DeployParameters {
  /** An existing ERC-20 to stake; when absent a mintable StakeToken is deployed. */
  stakeToken?: string;
  minStake: bigint;
  stakeUnit: bigint;
  unbondingPeriod: number;
  slashRecipient: string;
  /** An account that also holds the adjudicator role, besides the Adjudicator contract. */
  adjudicator: string;
  confirmations: number;
  /** The Adjudicator's parameters (docs/challenges.md); defaults from `challengeParametersFor`. */
  challenges?: ChallengeParameters;
}

export interface ChallengeParameters {
  /** Blocks an accused validator has to answer a challenge; shorter than the unbonding period. */
  answerWindow: number;
  /** Basis points of the accused's stake slashed when a challenge is upheld. */
  slashBps: number;
  /** Basis points of the slashed stake paid to the challenger. */
  challengerBps: number;
  /** Stake-token base units a challenger posts with a challenge that waits for an answer. */
  bond: bigint;
}

/** Devnet (1-second blocks, 60 s unbonding): 20 blocks. Elsewhere: 300 blocks (an hour at 12 s). */
export function challengeParametersFor(dev: boolean): ChallengeParameters {
  return { answerWindow: dev ? 20 : 300, slashBps: 1_000, challengerBps: 5_000, bond: 10n * 10n ** 18n };
}

const DEV_CHAIN_ID = 31337;

/**
 * Deployment parameters from environment variables, with defaults that suit a local devnet
 * (chain 31337: one-minute unbonding) and a cautious testnet (seven days).
 */
export function deployParametersFromEnv(
  env: NodeJS.ProcessEnv,
  chainId: number,
  deployer: string,
): DeployParameters {
  const dev = chainId === DEV_CHAIN_ID;
  const challenges = challengeParametersFor(dev);
  const read = (name: string) => (env[name] === undefined || env[name] === "" ? undefined : env[name]);
  const integer = (name: string, fallback: bigint): bigint => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw)) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
    return BigInt(raw);
  };
  const address = (name: string, fallback: string): string => {
    const raw = read(name) ?? fallback;
    if (!/^0x[0-9a-fA-F]{40}$/.test(raw)) throw new Error(`${name} must be an address, got "${raw}"`);
    return raw;
  };
  const stakeToken = read("DEKMESH_STAKE_TOKEN");
  if (stakeToken !== undefined && !/^0x[0-9a-fA-F]{40}$/.test(stakeToken)) {
    throw new Error(`DEKMESH_STAKE_TOKEN must be an address, got "${stakeToken}"`);
  }
  return {
    stakeToken,
    minStake: integer("DEKMESH_MIN_STAKE", 1_000n * 10n ** 18n),
    stakeUnit: integer("DEKMESH_STAKE_UNIT", 10n ** 18n),
    unbondingPeriod: Number(integer("DEKMESH_UNBONDING_PERIOD", dev ? 60n : 7n * 24n * 3600n)),
    slashRecipient: address("DEKMESH_SLASH_RECIPIENT", deployer),
    adjudicator: address("DEKMESH_ADJUDICATOR", deployer),
    confirmations: Number(integer("DEKMESH_CONFIRMATIONS", dev ? 1n : 2n)),
    challenges: {
      answerWindow: Number(integer("DEKMESH_ANSWER_WINDOW", BigInt(challenges.answerWindow))),
      slashBps: Number(integer("DEKMESH_SLASH_BPS", BigInt(challenges.slashBps))),
      challengerBps: Number(integer("DEKMESH_CHALLENGER_BPS", BigInt(challenges.challengerBps))),
      bond: integer("DEKMESH_CHALLENGE_BOND", challenges.bond),
    },
  };
}

/**
 * Deploys and wires every dekmesh contract, then checks the result: every address has code
 * and every cross-contract reference points where it should. It throws before returning a
 * deployment that is only half there, so no deployment file is ever written for one.
 */
export async function deployDekmesh(hre: HardhatRuntimeEnvironment, params: DeployParameters): Promise<Deployment> {
  const { ethers } = hre;
  const [signer] = await ethers.getSigners();
  const chainId = Number((await ethers.provider.getNetwork()).chainId);
  const contracts = {} as Record<ContractName, DeployedContract>;

  async function deploy(name: ContractName, args: unknown[]) {
    const factory = await ethers.getContractFactory(name, signer);
    const contract = await factory.deploy(...args);
    const receipt = await contract.deploymentTransaction()!.wait(params.confirmations);
    if (!receipt || receipt.status !== 1) throw new Error(`deployment of ${name} failed`);
    const address = await contract.getAddress();
    contracts[name] = { address, block: receipt.blockNumber, args: args.map(String) };
    return address;
  }
  async function send(what: string, tx: Promise<{ wait(confirmations?: number): Promise<unknown> }>) {
    const receipt = (await (await tx).wait(params.confirmations)) as { status?: number } | null;
    if (!receipt || receipt.status !== 1) throw new Error(`${what} failed`);
  }

  let stakeToken: string;
  if (params.stakeToken) {
    stakeToken = params.stakeToken;
    const block = await ethers.provider.getBlockNumber();
    contracts.StakeToken = { address: stakeToken, block, args: [], external: true };
  } else {
    stakeToken = await deploy("StakeToken", [signer.address]);
  }
  const attributes = await deploy("AttributeRegistry", []);
  const policies = await deploy("PolicyRegistry", [attributes]);
  const validators = await deploy("ValidatorRegistry", [
    stakeToken,
    params.minStake,
    params.stakeUnit,
    params.unbondingPeriod,
    params.slashRecipient,
    signer.address,
  ]);
  const content = await deploy("ContentRegistry", [validators, policies]);
  const audit = await deploy("RewrapAuditLog", [validators]);
  const challenges = params.challenges ?? challengeParametersFor(chainId === DEV_CHAIN_ID);
  const adjudicator = await deploy("Adjudicator", [
    validators,
    content,
    policies,
    audit,
    stakeToken,
    [challenges.answerWindow, challenges.slashBps, challenges.challengerBps, challenges.bond],
  ]);

  const validatorRegistry = await ethers.getContractAt("ValidatorRegistry", validators, signer);
  await send("setHandoffGate", validatorRegistry.setHandoffGate(content));
  await send(
    "grantRole(ADJUDICATOR_ROLE)",
    validatorRegistry.grantRole(await validatorRegistry.ADJUDICATOR_ROLE(), params.adjudicator),
  );
  await send(
    "grantRole(ADJUDICATOR_ROLE, Adjudicator)",
    validatorRegistry.grantRole(await validatorRegistry.ADJUDICATOR_ROLE(), adjudicator),
  );

  const deployment: Deployment = {
    chainId,
    network: hre.network.name,
    deployer: signer.address,
    deployedAt: new Date().toISOString(),
    parameters: { ...params, challenges },
    contracts,
  };
  await verifyDeployment(hre, deployment);
  return deployment;
}

/** Throws unless every contract of `deployment` is on chain and wired together. */
export async function verifyDeployment(hre: HardhatRuntimeEnvironment, deployment: Deployment): Promise<void> {
  const { ethers } = hre;
  const c = deployment.contracts;
  for (const name of CONTRACT_NAMES) {
    const entry = c[name];
    if (!entry) throw new Error(`deployment is missing ${name}`);
    if ((await ethers.provider.getCode(entry.address)) === "0x") {
      throw new Error(`${name} has no code at ${entry.address}`);
    }
  }
  const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
  const validators = await ethers.getContractAt("ValidatorRegistry", c.ValidatorRegistry.address);
  const content = await ethers.getContractAt("ContentRegistry", c.ContentRegistry.address);
  const audit = await ethers.getContractAt("RewrapAuditLog", c.RewrapAuditLog.address);
  const policies = await ethers.getContractAt("PolicyRegistry", c.PolicyRegistry.address);
  const adjudicator = await ethers.getContractAt("Adjudicator", c.Adjudicator.address);
  const checks: [string, boolean][] = [
    ["ValidatorRegistry.stakeToken", same(await validators.stakeToken(), c.StakeToken.address)],
    ["ValidatorRegistry.handoffGate", same(await validators.handoffGate(), c.ContentRegistry.address)],
    ["ContentRegistry.validators", same(await content.validators(), c.ValidatorRegistry.address)],
    ["ContentRegistry.policies", same(await content.policies(), c.PolicyRegistry.address)],
    ["RewrapAuditLog.validators", same(await audit.validators(), c.ValidatorRegistry.address)],
    ["PolicyRegistry.attributes", same(await policies.attributes(), c.AttributeRegistry.address)],
    [
      "ValidatorRegistry adjudicator role",
      await validators.hasRole(await validators.ADJUDICATOR_ROLE(), deployment.parameters.adjudicator),
    ],
    ["Adjudicator.validators", same(await adjudicator.validators(), c.ValidatorRegistry.address)],
    ["Adjudicator.contents", same(await adjudicator.contents(), c.ContentRegistry.address)],
    ["Adjudicator.policies", same(await adjudicator.policies(), c.PolicyRegistry.address)],
    ["Adjudicator.auditLog", same(await adjudicator.auditLog(), c.RewrapAuditLog.address)],
    ["Adjudicator.stakeToken", same(await adjudicator.stakeToken(), c.StakeToken.address)],
    [
      "ValidatorRegistry adjudicator role of Adjudicator",
      await validators.hasRole(await validators.ADJUDICATOR_ROLE(), c.Adjudicator.address),
    ],
  ];
  const failed = checks.filter(([, ok]) => !ok).map(([what]) => what);
  if (failed.length) throw new Error(`deployment is inconsistent: ${failed.join(", ")}`);
}

/** Writes `deployments/<chainId>.json` atomically (temp file + rename). */
export function writeDeployment(deployment: Deployment, dir = path.join(__dirname, "..", "..", "deployments")): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${deployment.chainId}.json`);
  const json = JSON.stringify(deployment, (_k, v) => (typeof v === "bigint" ? v.toString() : v), 2);
  fs.writeFileSync(`${file}.tmp`, json + "\n");
  fs.renameSync(`${file}.tmp`, file);
  return file;
}
