import { getAddress, zeroAddress, type Address, type Hex } from "viem";
import { contentRegistryAbi } from "../abis.js";
import type { ChainClients } from "../clients.js";
import type { ContractWrite } from "./writeContract.js";

/** A threshold slot as ContentRegistry commits to it (docs/threshold.md#on-chain); no previous member is null. */
export interface ThresholdSlotInput {
  member: Address;
  index: number;
  previous: Address | null;
}

/**
 * ContentRegistry.repairThreshold: re-draws every slot of a threshold content whose member left
 * the active set, each with a fresh share index (anyone may call it). `slots` are the current
 * ones in slot order, as the indexer serves them.
 */
export function repairThresholdRequest(clients: ChainClients, { contentId, slots }: { contentId: Hex; slots: readonly ThresholdSlotInput[] }): ContractWrite {
  return {
    address: clients.deployment.addresses.contentRegistry,
    abi: contentRegistryAbi,
    functionName: "repairThreshold",
    args: [contentId, slots.map((s) => ({ member: getAddress(s.member), index: s.index, previous: s.previous === null ? zeroAddress : getAddress(s.previous) }))],
  };
}
