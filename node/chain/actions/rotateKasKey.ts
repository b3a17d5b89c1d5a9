import { bytesToHex, parseEventLogs, type Address, type Hex } from "viem";
import { validatorRegistryAbi } from "../abis.js";
import type { ChainClients } from "../clients.js";
import { sendContractWrite, type ContractWrite, type WriteOptions, type WriteResult } from "./writeContract.js";

export interface RotateKasKeyParameters extends WriteOptions {
  node: Address;
  /** The new compressed P-256 KAS public key (33 bytes). */
  kasPublicKey: Hex | Uint8Array;
}

export interface RotateKasKeyReturnType extends WriteResult {
  kid: Hex;
  previousKid: Hex;
}

export function rotateKasKeyRequest(clients: ChainClients, { node, kasPublicKey }: RotateKasKeyParameters): ContractWrite {
  return {
    address: clients.deployment.addresses.validatorRegistry,
    abi: validatorRegistryAbi,
    functionName: "rotateKasKey",
    args: [node, typeof kasPublicKey === "string" ? kasPublicKey : bytesToHex(kasPublicKey)],
  };
}

/** The operator makes a new KAS key current for `node`; the old key stays resolvable by its KID until revoked. */
export async function rotateKasKey(clients: ChainClients, parameters: RotateKasKeyParameters): Promise<RotateKasKeyReturnType> {
  const result = await sendContractWrite(clients, rotateKasKeyRequest(clients, parameters), parameters);
  const [event] = parseEventLogs({ abi: validatorRegistryAbi, eventName: "KasKeyRotated", logs: result.receipt.logs });
  return { ...result, kid: event!.args.kid, previousKid: event!.args.previousKid };
}
