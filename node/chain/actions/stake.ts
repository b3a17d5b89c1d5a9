import type { Address, Hash } from "viem";
import { stakeTokenAbi, validatorRegistryAbi } from "../abis.js";
import { requireAccount, type ChainClients } from "../clients.js";
import { asChainError, ChainError } from "../errors.js";
import { sendContractWrite, type ContractWrite, type WriteOptions, type WriteResult } from "./writeContract.js";

export interface StakeParameters extends WriteOptions {
  /** The validator's node account. */
  node: Address;
  /** Stake token base units. */
  amount: bigint;
}

export interface StakeReturnType extends WriteResult {
  /** The approval sent first, when the registry's allowance was short. */
  approvalHash: Hash | undefined;
}

export function stakeRequest(clients: ChainClients, { node, amount }: StakeParameters): ContractWrite {
  return { address: clients.deployment.addresses.validatorRegistry, abi: validatorRegistryAbi, functionName: "stake", args: [node, amount] };
}

/**
 * The operator (the clients' account) stakes `amount` for `node`: approves the registry for the
 * amount if the allowance is short, waits for that, then stakes. A registered validator becomes
 * active once its stake reaches the minimum.
 */
export async function stake(clients: ChainClients, parameters: StakeParameters): Promise<StakeReturnType> {
  if (parameters.amount <= 0n) throw new ChainError("CHAIN_INVALID_ARGUMENT", "stake amount must be positive");
  const operator = requireAccount(clients).address;
  const { stakeToken, validatorRegistry } = clients.deployment.addresses;
  let allowance: bigint;
  try {
    allowance = await clients.publicClient.readContract({ address: stakeToken, abi: stakeTokenAbi, functionName: "allowance", args: [operator, validatorRegistry] });
  } catch (error) {
    throw asChainError(error, { operation: "allowance" });
  }
  let approvalHash: Hash | undefined;
  if (allowance < parameters.amount) {
    const approval = await sendContractWrite(
      clients,
      { address: stakeToken, abi: stakeTokenAbi, functionName: "approve", args: [validatorRegistry, parameters.amount] },
      parameters,
    );
    approvalHash = approval.hash;
  }
  return { ...(await sendContractWrite(clients, stakeRequest(clients, parameters), parameters)), approvalHash };
}
