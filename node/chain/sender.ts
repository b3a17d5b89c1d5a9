/**
 * The one path by which a node account sends transactions: serialized, with its own nonce.
 *
 * - The nonce comes from the node's pending count when first needed and after anything that
 *   may have moved it; between those it is counted locally, advanced only by a broadcast the
 *   node accepted. So a failed broadcast never leaves a gap that would stall later transactions.
 * - A transaction is signed here (local account), and its hash is handed to `onSigned` — which
 *   persists it — before it is broadcast. Whatever happens next (a timeout after the node took
 *   it, a crash), the caller can look the transaction up by that hash instead of sending a
 *   second one for the same intent.
 * - A failed broadcast is retried with the exact same signed bytes, so a retry can never be a
 *   second transaction. Only when the node says the nonce is taken by a transaction other
 *   than ours is the call re-signed, with a fresh nonce (and `onSigned` called again).
 */
import type { Address, Hash, Hex } from "viem";
import { keccakOfHex } from "./account.js";
import { requireAccount, type ChainClients } from "./clients.js";
import { asChainError, ChainError, sendRefusal } from "./errors.js";
import { silentLogger, type Logger } from "../protocol/logger.js";
import { backoffDelay, sleep, throwIfAborted, type BackoffOptions } from "./retry.js";
import { getTransactionStatus } from "./actions/getTransactionStatus.js";
import { encodeWrite, estimateWriteGas, type ContractWrite } from "./actions/writeContract.js";

/** Broadcast attempts of one signed transaction before the error goes to the caller. */
const BROADCAST_ATTEMPTS = 4;
/** Re-signings after nonce conflicts before giving up (another sender is racing us). */
const RESIGN_ATTEMPTS = 5;
/** How long a fee estimate is reused: below the block time of any chain dekmesh targets (1 s devnet, 12 s Ethereum). */
const FEE_CACHE_MS = 1_000;

interface Fees {
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
}

export interface TxSenderComponents {
  clients: ChainClients;
  logger?: Logger;
}

export interface TxSenderOptions extends BackoffOptions {
  /** Called on every broadcast retry and nonce resync, for metrics. */
  onRetry?: (kind: "broadcast" | "nonce", error: ChainError) => void;
}

export interface SendOptions {
  /**
   * Receives the hash of the signed transaction before it is broadcast; persist it there.
   * Called again with the new hash if the sender has to re-sign.
   */
  onSigned?: (hash: Hash) => Promise<void> | void;
  signal?: AbortSignal;
  /**
   * For calls whose estimate costs the node more than the call itself (an audit batch):
   * estimate `probe` instead — a cheap call that reverts exactly when the real one would, so a
   * revert still surfaces decoded before anything is signed — and send with `gas`.
   */
  probe?: { write: ContractWrite; gas: bigint };
  /**
   * Send with this gas limit and estimate nothing: for a call queued behind one of ours that is
   * not mined yet (the next audit batch), whose estimate against the latest block would revert.
   * A revert then shows only in the receipt.
   */
  gas?: bigint;
}

export interface SentTransaction {
  hash: Hash;
  nonce: number;
}

const accountsInUse = new Set<string>();

export class TxSender {
  readonly address: Address;
  readonly #clients: ChainClients;
  readonly #logger: Logger;
  readonly #options: TxSenderOptions;
  readonly #key: string;
  #nonce: number | undefined;
  #feeCache: { fees: Fees; at: number } | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #open = false;

  constructor(components: TxSenderComponents, options: TxSenderOptions) {
    this.#clients = components.clients;
    this.#logger = components.logger ?? silentLogger;
    this.#options = options;
    this.address = requireAccount(components.clients).address;
    this.#key = `${components.clients.chain.id}:${this.address.toLowerCase()}`;
  }

  /** Claims the account for this sender; CHAIN_ACCOUNT_IN_USE if another sender in this process has it. */
  open(): void {
    if (this.#open) return;
    if (accountsInUse.has(this.#key)) {
      throw new ChainError("CHAIN_ACCOUNT_IN_USE", "another sender already sends for this account", { details: { account: this.address } });
    }
    accountsInUse.add(this.#key);
    this.#open = true;
    this.#nonce = undefined;
  }

  close(): void {
    if (!this.#open) return;
    accountsInUse.delete(this.#key);
    this.#open = false;
  }

  /** Forget the local nonce; the next send reads the pending count again (after a dropped transaction). */
  invalidateNonce(): void {
    this.#nonce = undefined;
  }

  /** Sends `write` once it is this call's turn; resolves when the node accepted the transaction (not mined yet). */
  send(write: ContractWrite, options: SendOptions = {}): Promise<SentTransaction> {
    const turn = this.#queue.then(() => this.#send(write, options));
    this.#queue = turn.catch(() => undefined);
    return turn;
  }

  async #send(write: ContractWrite, options: SendOptions): Promise<SentTransaction> {
    if (!this.#open) throw new ChainError("CHAIN_STOPPED", "the sender is closed", { details: { account: this.address } });
    const account = requireAccount(this.#clients);
    const data = encodeWrite(write);
    for (let signing = 0; ; signing++) {
      throwIfAborted(options.signal);
      // Estimating surfaces a revert, decoded, before anything is signed or persisted. The three
      // reads are independent: on a busy node each is a round trip of 100–300 ms (measured in
      // bench:replication), and one after the other they were most of a confirmation's latency.
      const { probe } = options;
      const [gas, nonce, fees] = await Promise.all([
        options.gas ?? (probe ? estimateWriteGas(this.#clients, probe.write).then(() => probe.gas) : estimateWriteGas(this.#clients, write, data)),
        this.#nonce ?? this.#pendingNonce(),
        this.#fees(),
      ]);
      const serialized = await account.signTransaction!({
        chainId: this.#clients.chain.id,
        type: "eip1559",
        to: write.address,
        data,
        gas,
        nonce,
        ...fees,
      });
      const hash = keccakOfHex(serialized);
      await options.onSigned?.(hash);
      const outcome = await this.#broadcast(serialized, hash, nonce, write.functionName, options.signal);
      if (outcome === "accepted") {
        this.#nonce = nonce + 1;
        this.#logger.debug("transaction sent", { hash, nonce, functionName: write.functionName });
        return { hash, nonce };
      }
      // The nonce is taken by another transaction: read the pending count again and re-sign
      // (with fresh fees too, in case ours were the reason).
      this.#nonce = undefined;
      this.#feeCache = undefined;
      const fresh = await this.#pendingNonce();
      this.#nonce = outcome === "replacement-underpriced" && fresh <= nonce ? nonce + 1 : fresh;
      const error = new ChainError("CHAIN_NONCE", `nonce ${nonce} is taken (${outcome}); re-signing with ${this.#nonce}`, {
        details: { account: this.address, nonce, next: this.#nonce },
      });
      this.#options.onRetry?.("nonce", error);
      this.#logger.warn("nonce conflict, re-signing", { nonce, next: this.#nonce, refusal: outcome });
      if (signing + 1 >= RESIGN_ATTEMPTS) throw error;
    }
  }

  /** "accepted" once the node has our exact transaction; otherwise why the nonce must change. Throws other failures. */
  async #broadcast(serialized: Hex, hash: Hash, nonce: number, functionName: string, signal: AbortSignal | undefined) {
    for (let attempt = 0; ; attempt++) {
      throwIfAborted(signal);
      try {
        await this.#clients.publicClient.sendRawTransaction({ serializedTransaction: serialized });
        return "accepted" as const;
      } catch (raw) {
        const refusal = sendRefusal(raw);
        if (refusal === "already-known") return "accepted" as const;
        if (refusal !== undefined) {
          // An earlier attempt of these very bytes may have reached the node before a timeout.
          // If that lookup fails, the error goes to the caller rather than risking a second transaction.
          this.#nonce = undefined;
          const status = await getTransactionStatus(this.#clients, { hash });
          if (status.state !== "unknown") return "accepted" as const;
          return refusal;
        }
        const error = asChainError(raw, { operation: "sendRawTransaction", functionName, hash, nonce });
        // The node may have taken the transaction even though the answer was lost: from here on
        // only these bytes, or a re-signing after the node says the nonce is used, may follow.
        this.#nonce = undefined;
        if (!error.retryable || attempt + 1 >= BROADCAST_ATTEMPTS) throw error;
        this.#options.onRetry?.("broadcast", error);
        this.#logger.warn("broadcast failed, retrying the same transaction", { hash, attempt, code: error.code });
        await sleep(backoffDelay(attempt, this.#options), signal);
      }
    }
  }

  async #pendingNonce(): Promise<number> {
    try {
      return await this.#clients.publicClient.getTransactionCount({ address: this.address, blockTag: "pending" });
    } catch (error) {
      throw asChainError(error, { operation: "getTransactionCount", account: this.address });
    }
  }

  /**
   * EIP-1559 fees, read at most once per FEE_CACHE_MS. viem's estimate is 1.2 × the latest base
   * fee plus the priority fee, and the base fee rises at most 12.5 % per block, so an estimate
   * younger than one block still pays for the next one. Two reads (latest block, priority fee)
   * per transaction was a third of a holder confirmation's send time on the devnet.
   */
  async #fees(): Promise<Fees> {
    const cached = this.#feeCache;
    if (cached !== undefined && Date.now() - cached.at < FEE_CACHE_MS) return cached.fees;
    try {
      const estimate = await this.#clients.publicClient.estimateFeesPerGas({ chain: this.#clients.chain, type: "eip1559" });
      const fees = { maxFeePerGas: estimate.maxFeePerGas, maxPriorityFeePerGas: estimate.maxPriorityFeePerGas };
      this.#feeCache = { fees, at: Date.now() };
      return fees;
    } catch (error) {
      throw asChainError(error, { operation: "estimateFeesPerGas" });
    }
  }
}
