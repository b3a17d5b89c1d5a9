import type { Address } from "viem";
import { validatorRegistryAbi } from "../abis.js";
import type { ChainClients } from "../clients.js";
import { sendContractWrite, type ContractWrite, type WriteOptions, type WriteResult } from "./writeContract.js";

export interface WithdrawParameters extends WriteOptions {
  node: Address;
}

export type WithdrawReturnType = WriteResult;

export function withdrawRequest(clients: ChainClients, { node }: WithdrawParameters): ContractWrite {
  return { address: clients.deployment.addresses.validatorRegistry, abi: validatorRegistryAbi, functionName: "withdraw", args: [node] };
}

/**
 * The operator takes the stake back once unbonding is over and every stake-assigned replica
 * of the node was repaired away (ValidatorRegistryStillUnbonding / ValidatorRegistryHandoffPending otherwise).
 */
export async function withdraw(clients: ChainClients, parameters: WithdrawParameters): Promise<WithdrawReturnType> {
  return sendContractWrite(clients, withdrawRequest(clients, parameters), parameters);
}
