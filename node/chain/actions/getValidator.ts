import type { Address, Hex } from "viem";
import { validatorRegistryAbi } from "../abis.js";
import type { ChainClients } from "../clients.js";
import { VALIDATOR_STATUSES, type ValidatorStatusName } from "../../protocol/limits.js";
import { read } from "./readContract.js";

export interface GetValidatorParameters {
  node: Address;
  blockNumber?: bigint;
}

/** ValidatorRegistry.validator(node), with the status by name. */
export interface GetValidatorReturnType {
  operator: Address;
  status: ValidatorStatusName;
  revoked: boolean;
  /** Unix seconds; 0 while active. */
  unbondingEndsAt: bigint;
  stake: bigint;
  currentKid: Hex;
}

export async function getValidator(clients: ChainClients, { node, blockNumber }: GetValidatorParameters): Promise<GetValidatorReturnType> {
  const v = await read("validator", () =>
    clients.publicClient.readContract({
      address: clients.deployment.addresses.validatorRegistry,
      abi: validatorRegistryAbi,
      functionName: "validator",
      args: [node],
      blockNumber,
    }),
  );
  return {
    operator: v.operator,
    status: VALIDATOR_STATUSES[v.status] ?? "none",
    revoked: v.revoked,
    unbondingEndsAt: v.unbondingEndsAt,
    stake: v.stake,
    currentKid: v.currentKid,
  };
}
