import type { Address } from "viem";
import { validatorRegistryAbi } from "../abis.js";
import type { ChainClients } from "../clients.js";
import { sendContractWrite, type ContractWrite, type WriteOptions, type WriteResult } from "./writeContract.js";

export interface RequestExitParameters extends WriteOptions {
  node: Address;
}

export type RequestExitReturnType = WriteResult;

export function requestExitRequest(clients: ChainClients, { node }: RequestExitParameters): ContractWrite {
  return { address: clients.deployment.addresses.validatorRegistry, abi: validatorRegistryAbi, functionName: "requestExit", args: [node] };
}

/**
 * The operator takes `node` out of the active set; it unbonds from then on. From this block the
 * chain refuses the node's audit batches and holder confirmations: flush the node's
 * TxSubmitter before sending this (docs/chain.md).
 */
export async function requestExit(clients: ChainClients, parameters: RequestExitParameters): Promise<RequestExitReturnType> {
  return sendContractWrite(clients, requestExitRequest(clients, parameters), parameters);
}
