import { encodeAbiParameters, keccak256, type Address, type Hex } from "viem";
import { validatorRegistryAbi } from "../abis.js";
import type { ChainClients } from "../clients.js";
import { read } from "./readContract.js";

export interface DrawThresholdMembersParameters {
  contentId: Hex;
  n: number;
  /** The block whose hash seeds the draw; default the chain head (the contract accepts the last 64). */
  drawBlock?: bigint;
}

export interface DrawThresholdMembersReturnType {
  drawBlock: bigint;
  seed: bigint;
  /** The members in slot order; fewer than n when fewer validators are active. */
  members: Address[];
}

/**
 * The members `registerThreshold` (and `redealThreshold`) will draw for a content: seed
 * keccak256(abi.encode(blockhash(drawBlock), contentId)) (ThresholdShares.drawSeed), then
 * ValidatorRegistry.sample(seed, n, []) on the current validator set, as the contract does when
 * the transaction runs. A set that changes before it is mined makes the registration revert
 * ContentRegistrySealedShareMismatch; the caller draws again.
 */
export async function drawThresholdMembers(clients: ChainClients, params: DrawThresholdMembersParameters): Promise<DrawThresholdMembersReturnType> {
  const drawBlock = params.drawBlock ?? (await read("blockNumber", () => clients.publicClient.getBlockNumber({ cacheTime: 0 })));
  const block = await read("getBlock", () => clients.publicClient.getBlock({ blockNumber: drawBlock }));
  const seed = BigInt(keccak256(encodeAbiParameters([{ type: "bytes32" }, { type: "bytes32" }], [block.hash!, params.contentId])));
  const members = await read("sample", () =>
    clients.publicClient.readContract({
      address: clients.deployment.addresses.validatorRegistry,
      abi: validatorRegistryAbi,
      functionName: "sample",
      args: [seed, BigInt(params.n), []],
    }),
  );
  return { drawBlock, seed, members: [...members] };
}
