import { bytesToHex, type Address, type Hex } from "viem";
import { validatorRegistryAbi } from "../abis.js";
import type { ChainClients } from "../clients.js";
import { sendContractWrite, type ContractWrite, type WriteOptions, type WriteResult } from "./writeContract.js";

export interface UpdateNetworkParameters extends WriteOptions {
  node: Address;
  /** libp2p peer id of a secp256k1 key, binary multihash form (39 bytes). */
  peerId: Hex | Uint8Array;
  /** The libp2p key's signature for `node` (signPeerIdProof); only checked when the peer id changes. */
  peerIdProof: Hex | Uint8Array;
  /** libp2p listen addresses (≤ 8). */
  multiaddrs: readonly string[];
  /** HTTP rewrap endpoint URL. */
  endpoint: string;
}

export type UpdateNetworkReturnType = WriteResult;

const hex = (value: Hex | Uint8Array): Hex => (typeof value === "string" ? value : bytesToHex(value));

export function updateNetworkRequest(clients: ChainClients, parameters: UpdateNetworkParameters): ContractWrite {
  return {
    address: clients.deployment.addresses.validatorRegistry,
    abi: validatorRegistryAbi,
    functionName: "updateNetwork",
    args: [parameters.node, hex(parameters.peerId), hex(parameters.peerIdProof), [...parameters.multiaddrs], parameters.endpoint],
  };
}

/** The operator (the clients' account) publishes `node`'s peer id, addresses and endpoint; a new peer id frees the old one. */
export async function updateNetwork(clients: ChainClients, parameters: UpdateNetworkParameters): Promise<UpdateNetworkReturnType> {
  return sendContractWrite(clients, updateNetworkRequest(clients, parameters), parameters);
}
