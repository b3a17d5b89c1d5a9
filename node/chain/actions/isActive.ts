import type { Address } from "viem";
import { validatorRegistryAbi } from "../abis.js";
import type { ChainClients } from "../clients.js";
import { read } from "./readContract.js";

export interface IsActiveParameters {
  node: Address;
  blockNumber?: bigint;
}

/** Whether the chain accepts the node's records now: staked, not exiting, not jailed, not revoked. */
export function isActive(clients: ChainClients, { node, blockNumber }: IsActiveParameters): Promise<boolean> {
  return read("isActive", () =>
    clients.publicClient.readContract({
      address: clients.deployment.addresses.validatorRegistry,
      abi: validatorRegistryAbi,
      functionName: "isActive",
      args: [node],
      blockNumber,
    }),
  );
}
