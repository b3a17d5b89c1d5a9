import {
  encodeFunctionData,
  getContractError,
  type BaseError,
  type Abi,
  type Address,
  type EstimateGasParameters,
  type Hash,
  type Hex,
  type TransactionReceipt,
} from "viem";
import { contentRegistryAbi } from "../abis.js";
import { requireAccount, type ChainClients } from "../clients.js";
import { GAS_MARGIN_PERCENT } from "../constants.js";
import { MAX_REPLICATION_FACTOR } from "../../protocol/limits.js";
import { asChainError, ChainError } from "../errors.js";
import { waitForReceipt } from "./waitForReceipt.js";

/** One contract call to send: what the request builders of the actions return. */
export interface ContractWrite {
  address: Address;
  abi: Abi;
  functionName: string;
  args: readonly unknown[];
}

/** How long and how deep write actions wait. */
export interface WriteOptions {
  /** Blocks including the one that mined it. Default 1. */
  confirmations?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface WriteResult {
  hash: Hash;
  receipt: TransactionReceipt;
}

export function encodeWrite(write: ContractWrite): Hex {
  return encodeFunctionData({ abi: write.abi, functionName: write.functionName, args: write.args } as Parameters<typeof encodeFunctionData>[0]);
}

/**
 * Gas per replica slot that an estimate cannot see. ContentRegistry's register and repair draw
 * slots with a seed from the block that mines them (prevrandao, the previous block's hash), so
 * the estimate, run against an earlier block, may draw validators whose replica counters are
 * already set where the real call draws one whose counter is zero: an SSTORE from zero on a
 * cold slot instead of an update, ~17,100 gas more per slot (measured in
 * test/contracts/ContentRegistry.test.ts), about the whole 20 % margin of a one-slot
 * registration. Hardhat then answers "Transaction ran out of gas" (an intermittent -32602 on
 * a second registerContent in a block).
 */
const DRAW_GAS_PER_SLOT = 22_100n;

/** Extra gas for the slots `write` may draw: at most k ≤ MAX_REPLICATION_FACTOR per content. */
function drawHeadroom(write: ContractWrite): bigint {
  if (write.abi !== contentRegistryAbi) return 0n;
  switch (write.functionName) {
    case "register":
      return MAX_REPLICATION_FACTOR * DRAW_GAS_PER_SLOT;
    case "repair":
      return BigInt((write.args[1] as readonly unknown[]).length) * DRAW_GAS_PER_SLOT;
    case "repairMany":
      return BigInt((write.args[1] as readonly (readonly unknown[])[]).reduce((n, members) => n + members.length, 0)) * DRAW_GAS_PER_SLOT;
    default:
      return 0n;
  }
}

/**
 * Estimates the call as the clients' account — a revert surfaces here, decoded, before anything
 * is signed — and returns the estimate with headroom, since state may change before inclusion
 * (plus drawHeadroom for calls whose cost depends on the block).
 * `data` is the call already encoded (encodeWrite), so a caller that sends it encodes it once:
 * a full audit batch of 500 records takes viem ~1.3 ms of the validator's event loop to encode.
 */
export async function estimateWriteGas(clients: ChainClients, write: ContractWrite, data: Hex = encodeWrite(write)): Promise<bigint> {
  const account = requireAccount(clients);
  try {
    // prepare: false — otherwise viem first fills nonce, fees and type for a local account (three
    // to four more round trips, one after the other) although the estimate needs none of them.
    const gas = await clients.publicClient.estimateGas({ account, to: write.address, data, prepare: false } as EstimateGasParameters);
    return gas + (gas * GAS_MARGIN_PERCENT) / 100n + drawHeadroom(write);
  } catch (error) {
    // What estimateContractGas would do: find the revert data in the node's answer (Hardhat
    // sends it with an internal-error code) and decode it against the contract's ABI.
    const decoded = getContractError(error as BaseError, { ...write, sender: account.address });
    throw asChainError(decoded, { operation: "estimateGas", functionName: write.functionName, contract: write.address });
  }
}

/**
 * Sends one contract call with viem's own nonce handling and waits for its receipt: for the
 * occasional operator and setup transactions. The validator's recurring transactions go
 * through the TxSubmitter instead, which owns the node account's nonces.
 */
export async function sendContractWrite(clients: ChainClients, write: ContractWrite, options: WriteOptions = {}): Promise<WriteResult> {
  const account = requireAccount(clients);
  const data = encodeWrite(write);
  const gas = await estimateWriteGas(clients, write, data);
  let hash: Hash;
  try {
    hash = await clients.walletClient!.sendTransaction({ account, chain: clients.chain, to: write.address, data, gas });
  } catch (error) {
    throw asChainError(error, { operation: "sendTransaction", functionName: write.functionName, contract: write.address });
  }
  const receipt = await waitForReceipt(clients, { hash, confirmations: options.confirmations, timeoutMs: options.timeoutMs, signal: options.signal });
  if (receipt.status !== "success") {
    throw new ChainError("CHAIN_REVERTED", `${write.functionName} reverted on chain`, {
      details: { hash, block: receipt.blockNumber.toString(), functionName: write.functionName },
    });
  }
  return { hash, receipt };
}
