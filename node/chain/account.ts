/**
 * The validator's viem accounts, with transactions hashed by the WebAssembly Keccak-256 of
 * node/crypto/keys/keccak.ts. viem's own signTransaction hashes with @noble/hashes in JS, which cost
 * the event loop ~2.5 ms per 64 KB audit batch of 500 records, and as much again for the
 * transaction hash the sender computes (main-thread profile during bench:rewrap); this way each
 * is ~0.2 ms. Transactions are serialized by serializeTransaction.ts (the same bytes as viem's
 * serializer, without its byte-at-a-time hex). Everything else is viem's private-key account.
 */
import type { Hash, Hex, PrivateKeyAccount } from "viem";
import { privateKeyToAccount, sign } from "viem/accounts";
import { keccak256 } from "../crypto/keys/keccak.js";
import { serializeTransactionFast } from "./serializeTransaction.js";

/** keccak256 of 0x-hex bytes, as 0x-hex: a signed transaction's hash, or what is signed. */
export function keccakOfHex(data: Hex): Hash {
  return `0x${Buffer.from(keccak256(Buffer.from(data.slice(2), "hex"))).toString("hex")}`;
}

export function localAccount(privateKey: Hex): PrivateKeyAccount {
  const account = privateKeyToAccount(privateKey);
  return {
    ...account,
    // viem's signTransaction (accounts/utils/signTransaction.ts), with the hash computed here.
    async signTransaction(transaction, options) {
      const serializer = options?.serializer ?? serializeTransactionFast;
      // An EIP-4844 transaction is signed without its sidecars (the network wrapper).
      const signable = transaction.type === "eip4844" ? { ...transaction, sidecars: false } : transaction;
      const signature = await sign({ hash: keccakOfHex(await serializer(signable)), privateKey });
      return serializer(transaction, signature);
    },
  } as PrivateKeyAccount;
}
