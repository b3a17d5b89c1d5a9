import { bytesToHex, parseEventLogs, type Address, type Hex } from "viem";
import { validatorRegistryAbi } from "../abis.js";
import { requireAccount, type ChainClients } from "../clients.js";
import { sendContractWrite, type ContractWrite, type WriteOptions, type WriteResult } from "./writeContract.js";

export interface RegisterValidatorParameters extends WriteOptions {
  /** The account that will stake for this node and manage its keys. */
  operator: Address;
  /** Compressed P-256 KAS public key (33 bytes). */
  kasPublicKey: Hex | Uint8Array;
  /** libp2p peer id of a secp256k1 key, binary multihash form (39 bytes). */
  peerId: Hex | Uint8Array;
  /** The libp2p key's signature letting this node claim `peerId` (signPeerIdProof). */
  peerIdProof: Hex | Uint8Array;
  /** libp2p listen addresses (≤ 8). */
  multiaddrs: readonly string[];
  /** HTTP rewrap endpoint URL. */
  endpoint: string;
}

export interface RegisterValidatorReturnType extends WriteResult {
  node: Address;
  /** The KAS key id the chain derived (first 8 bytes of SHA-256 of the key). */
  kid: Hex;
}

const hex = (value: Hex | Uint8Array): Hex => (typeof value === "string" ? value : bytesToHex(value));

export function registerValidatorRequest(clients: ChainClients, parameters: RegisterValidatorParameters): ContractWrite {
  return {
    address: clients.deployment.addresses.validatorRegistry,
    abi: validatorRegistryAbi,
    functionName: "register",
    args: [
      parameters.operator,
      hex(parameters.kasPublicKey),
      hex(parameters.peerId),
      hex(parameters.peerIdProof),
      [...parameters.multiaddrs],
      parameters.endpoint,
    ],
  };
}

/** Registers the clients' account (the node account) as a validator of `operator`; it becomes active once the operator stakes. */
export async function registerValidator(clients: ChainClients, parameters: RegisterValidatorParameters): Promise<RegisterValidatorReturnType> {
  const node = requireAccount(clients).address;
  const result = await sendContractWrite(clients, registerValidatorRequest(clients, parameters), parameters);
  const [event] = parseEventLogs({ abi: validatorRegistryAbi, eventName: "ValidatorRegistered", logs: result.receipt.logs });
  return { ...result, node, kid: event!.args.kid };
}
