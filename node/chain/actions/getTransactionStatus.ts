import { TransactionNotFoundError, TransactionReceiptNotFoundError, type Hash, type TransactionReceipt } from "viem";
import type { ChainClients } from "../clients.js";
import { asChainError } from "../errors.js";

export interface GetTransactionStatusParameters {
  hash: Hash;
}

/** Mined (with its receipt, successful or reverted), pending in the node's pool, or unknown to the node. */
export type GetTransactionStatusReturnType =
  | { state: "mined"; receipt: TransactionReceipt }
  | { state: "pending"; nonce: number }
  | { state: "unknown" };

/**
 * Where a transaction stands, by hash. "unknown" means the node has neither mined nor pooled
 * it: it was never broadcast (a crash between signing and sending) or it was dropped.
 */
export async function getTransactionStatus(
  clients: ChainClients,
  { hash }: GetTransactionStatusParameters,
): Promise<GetTransactionStatusReturnType> {
  try {
    try {
      return { state: "mined", receipt: await clients.publicClient.getTransactionReceipt({ hash }) };
    } catch (error) {
      if (!(error instanceof TransactionReceiptNotFoundError)) throw error;
    }
    try {
      const transaction = await clients.publicClient.getTransaction({ hash });
      // A node may answer with the transaction and a block before the receipt is indexed.
      if (transaction.blockNumber !== null) {
        return { state: "mined", receipt: await clients.publicClient.getTransactionReceipt({ hash }) };
      }
      return { state: "pending", nonce: transaction.nonce };
    } catch (error) {
      if (error instanceof TransactionNotFoundError) return { state: "unknown" };
      throw error;
    }
  } catch (error) {
    throw asChainError(error, { operation: "getTransactionStatus", hash });
  }
}
