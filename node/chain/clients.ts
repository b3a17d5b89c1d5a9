import {
  createPublicClient,
  createWalletClient,
  defineChain,
  getContract,
  http,
  type Chain,
  type GetContractReturnType,
  type LocalAccount,
  type PublicClient,
  type Transport,
  type WalletClient,
} from "viem";
import {
  attributeRegistryAbi,
  contentRegistryAbi,
  policyRegistryAbi,
  rewrapAuditLogAbi,
  stakeTokenAbi,
  validatorRegistryAbi,
} from "./abis.js";
import {
  DEFAULT_POLLING_INTERVAL_MS,
  DEFAULT_RPC_RETRY_COUNT,
  DEFAULT_RPC_RETRY_DELAY_MS,
  DEFAULT_RPC_TIMEOUT_MS,
} from "./constants.js";
import type { ChainDeployment } from "../protocol/deployment.js";
import { asChainError, ChainError } from "./errors.js";

export interface CreateChainClientsOptions {
  /** JSON-RPC over HTTP. */
  rpcUrl: string;
  /** Expected chain id; defaults to the deployment's (and must equal it when both are given). */
  chainId?: number;
  /**
   * The account that signs: the node account for the validator, the operator account for
   * staking. A local (private-key or mnemonic-derived) account, so transactions are signed
   * here and their hashes are known before they are broadcast. Omit for read-only clients.
   */
  account?: LocalAccount;
  deployment: ChainDeployment;
  /** Per JSON-RPC call. Default 10 s. */
  timeoutMs?: number;
  /** Transport-level retries of a failed call (exponential from retryDelayMs). Default 1. */
  retryCount?: number;
  retryDelayMs?: number;
  /** How often receipts and blocks are polled. Default 250 ms. */
  pollingIntervalMs?: number;
}

type Clients<C extends boolean> = C extends true
  ? { public: PublicClient<Transport, Chain>; wallet: WalletClient<Transport, Chain, LocalAccount> }
  : { public: PublicClient<Transport, Chain> };

/** Typed handles (`.read.*`, `.write.*`, `.simulate.*`, `.getEvents.*`) on the deployment's contracts. */
export interface DekmeshContracts {
  stakeToken: GetContractReturnType<typeof stakeTokenAbi, Clients<true>>;
  attributeRegistry: GetContractReturnType<typeof attributeRegistryAbi, Clients<true>>;
  policyRegistry: GetContractReturnType<typeof policyRegistryAbi, Clients<true>>;
  validatorRegistry: GetContractReturnType<typeof validatorRegistryAbi, Clients<true>>;
  contentRegistry: GetContractReturnType<typeof contentRegistryAbi, Clients<true>>;
  rewrapAuditLog: GetContractReturnType<typeof rewrapAuditLogAbi, Clients<true>>;
}

/** One endpoint, one signing account, one deployment: what every chain action takes first. */
export interface ChainClients {
  readonly chain: Chain;
  readonly publicClient: PublicClient<Transport, Chain>;
  /** Undefined for read-only clients (no account). */
  readonly walletClient: WalletClient<Transport, Chain, LocalAccount> | undefined;
  readonly account: LocalAccount | undefined;
  readonly deployment: ChainDeployment;
  /** Write methods throw at call time on read-only clients. */
  readonly contracts: DekmeshContracts;
  readonly pollingIntervalMs: number;
}

/** viem public and wallet clients over one HTTP transport with timeouts and retries, and typed contract handles. */
export function createChainClients(options: CreateChainClientsOptions): ChainClients {
  const chainId = options.chainId ?? options.deployment.chainId;
  if (chainId !== options.deployment.chainId) {
    throw new ChainError("CHAIN_WRONG_CHAIN", "the chain id does not match the deployment's", {
      details: { chainId, deploymentChainId: options.deployment.chainId },
    });
  }
  const pollingIntervalMs = options.pollingIntervalMs ?? DEFAULT_POLLING_INTERVAL_MS;
  const chain = defineChain({
    id: chainId,
    name: `dekmesh-${chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [options.rpcUrl] } },
  });
  const transport = http(options.rpcUrl, {
    timeout: options.timeoutMs ?? DEFAULT_RPC_TIMEOUT_MS,
    retryCount: options.retryCount ?? DEFAULT_RPC_RETRY_COUNT,
    retryDelay: options.retryDelayMs ?? DEFAULT_RPC_RETRY_DELAY_MS,
  });
  const publicClient = createPublicClient({ chain, transport, pollingInterval: pollingIntervalMs });
  const walletClient = options.account
    ? createWalletClient({ chain, transport, account: options.account, pollingInterval: pollingIntervalMs })
    : undefined;
  const client = { public: publicClient, wallet: walletClient } as Clients<true>;
  const { addresses } = options.deployment;
  const contracts: DekmeshContracts = {
    stakeToken: getContract({ address: addresses.stakeToken, abi: stakeTokenAbi, client }),
    attributeRegistry: getContract({ address: addresses.attributeRegistry, abi: attributeRegistryAbi, client }),
    policyRegistry: getContract({ address: addresses.policyRegistry, abi: policyRegistryAbi, client }),
    validatorRegistry: getContract({ address: addresses.validatorRegistry, abi: validatorRegistryAbi, client }),
    contentRegistry: getContract({ address: addresses.contentRegistry, abi: contentRegistryAbi, client }),
    rewrapAuditLog: getContract({ address: addresses.rewrapAuditLog, abi: rewrapAuditLogAbi, client }),
  };
  return {
    chain,
    publicClient,
    walletClient,
    account: options.account,
    deployment: options.deployment,
    contracts,
    pollingIntervalMs,
  };
}

/** The signing account, or CHAIN_NO_ACCOUNT for read-only clients. */
export function requireAccount(clients: ChainClients): LocalAccount {
  if (clients.account === undefined) throw new ChainError("CHAIN_NO_ACCOUNT", "this operation signs a transaction; the clients have no account");
  return clients.account;
}

/**
 * Checks that the endpoint serves the deployment's chain and that every deployed contract has
 * code there: a node pointed at the wrong chain or a stale deployment file fails at start.
 */
export async function checkDeployment(clients: ChainClients): Promise<void> {
  let chainId: number;
  try {
    chainId = await clients.publicClient.getChainId();
  } catch (error) {
    throw asChainError(error, { operation: "getChainId" });
  }
  if (chainId !== clients.deployment.chainId) {
    throw new ChainError("CHAIN_WRONG_CHAIN", "the endpoint serves another chain than the deployment's", {
      details: { chainId, deploymentChainId: clients.deployment.chainId },
    });
  }
  for (const [name, address] of Object.entries(clients.deployment.addresses)) {
    let code: string | undefined;
    try {
      code = await clients.publicClient.getCode({ address });
    } catch (error) {
      throw asChainError(error, { operation: "getCode", contract: name });
    }
    if (code === undefined || code === "0x") {
      throw new ChainError("CHAIN_BAD_DEPLOYMENT", `no contract code at the deployment's ${name} address`, { details: { name, address } });
    }
  }
}
