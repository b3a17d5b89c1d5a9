import type { Hex } from "viem";
import { contentRegistryAbi } from "../abis.js";
import type { ChainClients } from "../clients.js";
import { MAX_CONFIRMATION_BATCH } from "../../protocol/limits.js";
import { ChainError } from "../errors.js";
import { sendContractWrite, type ContractWrite, type WriteOptions, type WriteResult } from "./writeContract.js";

export interface ConfirmHoldingsParameters extends WriteOptions {
  /** 1–500 content ids whose DEKs the node holds durably. */
  contentIds: readonly Hex[];
}

export type ConfirmHoldingsReturnType = WriteResult;

export function confirmHoldingsRequest(clients: ChainClients, { contentIds }: ConfirmHoldingsParameters): ContractWrite {
  if (contentIds.length === 0 || contentIds.length > MAX_CONFIRMATION_BATCH) {
    throw new ChainError("CHAIN_INVALID_ARGUMENT", `a holder confirmation carries 1–${MAX_CONFIRMATION_BATCH} content ids`, {
      details: { count: contentIds.length },
    });
  }
  return { address: clients.deployment.addresses.contentRegistry, abi: contentRegistryAbi, functionName: "confirmHoldings", args: [[...contentIds]] };
}

/** The node (the clients' account, an active validator) confirms on chain that it holds these DEKs. */
export async function confirmHoldings(clients: ChainClients, parameters: ConfirmHoldingsParameters): Promise<ConfirmHoldingsReturnType> {
  return sendContractWrite(clients, confirmHoldingsRequest(clients, parameters), parameters);
}
