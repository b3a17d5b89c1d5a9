import type { Address, Hex } from "viem";
import { unusableReasonCode, type UnusableReason } from "../../protocol/unusableReasons.js";
import { contentRegistryAbi } from "../abis.js";
import type { ChainClients } from "../clients.js";
import { sendContractWrite, type ContractWrite, type WriteOptions, type WriteResult } from "./writeContract.js";

export interface ReportUnusableParameters extends WriteOptions {
  contentId: Hex;
  reason: UnusableReason;
  /** A stake(k) content's current replica set in slot order (`address(0)` for a vacant slot); empty for other modes. */
  members: readonly Address[];
}

export type ReportUnusableReturnType = WriteResult;

export function reportUnusableRequest(clients: ChainClients, { contentId, reason, members }: ReportUnusableParameters): ContractWrite {
  return {
    address: clients.deployment.addresses.contentRegistry,
    abi: contentRegistryAbi,
    functionName: "reportUnusable",
    args: [contentId, unusableReasonCode(reason), [...members]],
  };
}

/**
 * ContentRegistry.reportUnusable, sent by the content's initial validator (the clients' account)
 * while active: nobody can derive the DEK from the registered header, so validators stop
 * replicating it; a stake(k) content's slots are released. Once per content.
 */
export async function reportUnusable(clients: ChainClients, parameters: ReportUnusableParameters): Promise<ReportUnusableReturnType> {
  return sendContractWrite(clients, reportUnusableRequest(clients, parameters), parameters);
}
