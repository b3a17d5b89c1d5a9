import {
  BaseError,
  ChainMismatchError,
  ContractFunctionRevertedError,
  decodeErrorResult,
  ExecutionRevertedError,
  HttpRequestError,
  InsufficientFundsError,
  NonceTooHighError,
  NonceTooLowError,
  RpcRequestError,
  TimeoutError,
  type Abi,
  type Hex,
} from "viem";
import { DekmeshError } from "../protocol/errors.js";
import { dekmeshErrorsAbi } from "./abis.js";
import { NOT_ACTIVE_ERRORS } from "../protocol/limits.js";

/** Stable codes of the chain side's errors. */
export type ChainErrorCode =
  /** The JSON-RPC endpoint failed, timed out or could not be reached. */
  | "CHAIN_RPC"
  /** A transaction was not mined (with its confirmations) within the deadline. */
  | "CHAIN_TIMEOUT"
  /** The account's nonce moved under the sender (another sender, a dropped transaction). */
  | "CHAIN_NONCE"
  /** A sent transaction is neither mined nor known to the node any more; send it again. */
  | "CHAIN_DROPPED"
  /** The account cannot pay for gas; it needs funding. */
  | "CHAIN_INSUFFICIENT_FUNDS"
  /** A contract refused the call; `revert` names the custom error and its arguments. */
  | "CHAIN_REVERTED"
  /** The validator is not active, so the chain refuses its holder and audit records. */
  | "CHAIN_NOT_ACTIVE"
  /** The chain expects an audit batch id the local outbox cannot produce (wrong chain or store). */
  | "CHAIN_BATCH_GAP"
  /** The endpoint serves another chain than the deployment's. */
  | "CHAIN_WRONG_CHAIN"
  /** The deployment file is missing, malformed or names contracts without code. */
  | "CHAIN_BAD_DEPLOYMENT"
  /** A write needs a local (private-key) account and none was given. */
  | "CHAIN_NO_ACCOUNT"
  /** Another sender in this process already sends for this account. */
  | "CHAIN_ACCOUNT_IN_USE"
  /** An argument that can never work (empty or oversized batch, bad id). */
  | "CHAIN_INVALID_ARGUMENT"
  /** The submitter was stopped before the operation finished. */
  | "CHAIN_STOPPED";

const RETRYABLE: ReadonlySet<ChainErrorCode> = new Set([
  "CHAIN_RPC",
  "CHAIN_TIMEOUT",
  "CHAIN_NONCE",
  "CHAIN_DROPPED",
  "CHAIN_INSUFFICIENT_FUNDS",
]);

/** A decoded custom error (or `Error(string)` / `Panic(uint256)`) a contract reverted with. */
export interface RevertReason {
  errorName: string;
  args: readonly unknown[];
}

export class ChainError extends DekmeshError<ChainErrorCode> {
  override name = "ChainError";
  /** Set for CHAIN_REVERTED and CHAIN_NOT_ACTIVE when the revert data could be decoded. */
  readonly revert: RevertReason | undefined;
  readonly #retryable: boolean | undefined;

  constructor(
    code: ChainErrorCode,
    message: string,
    options: { details?: Record<string, unknown>; cause?: unknown; revert?: RevertReason; retryable?: boolean } = {},
  ) {
    super(code, message, {
      details: options.revert ? { ...options.details, errorName: options.revert.errorName, args: printable(options.revert.args) } : options.details,
      cause: options.cause,
    });
    this.revert = options.revert;
    this.#retryable = options.retryable;
  }

  override get retryable(): boolean {
    return this.#retryable ?? RETRYABLE.has(this.code);
  }
}

/** Revert arguments as JSON-safe values for logs (bigints become decimal strings). */
function printable(args: readonly unknown[]): unknown[] {
  return args.map((arg) =>
    typeof arg === "bigint" ? arg.toString() : Array.isArray(arg) ? printable(arg) : arg,
  );
}

const REPLACEMENT_UNDERPRICED = /replacement transaction underpriced|replacement fee too low|replacement transaction/i;
const ALREADY_KNOWN = /already known|known transaction|already imported/i;

/** What a node said about a raw transaction it refused, for the sender's nonce handling. */
export type SendRefusal = "nonce-too-low" | "nonce-too-high" | "replacement-underpriced" | "already-known";

/** Classifies a `eth_sendRawTransaction` failure that is about nonces rather than the transaction itself. */
export function sendRefusal(error: unknown): SendRefusal | undefined {
  if (!(error instanceof BaseError)) return undefined;
  const text = `${error.details ?? ""} ${error.shortMessage}`.toLowerCase();
  if (ALREADY_KNOWN.test(text)) return "already-known";
  if (REPLACEMENT_UNDERPRICED.test(text)) return "replacement-underpriced";
  if (error.walk((e) => e instanceof NonceTooLowError) || NonceTooLowError.nodeMessage.test(text)) return "nonce-too-low";
  if (error.walk((e) => e instanceof NonceTooHighError) || NonceTooHighError.nodeMessage.test(text)) return "nonce-too-high";
  return undefined;
}

/** The custom error inside a viem error, decoded with every dekmesh contract's errors. */
export function revertReason(error: unknown, abi: Abi = dekmeshErrorsAbi): RevertReason | undefined {
  if (!(error instanceof BaseError)) return undefined;
  const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError | null;
  if (reverted?.data?.errorName) return { errorName: reverted.data.errorName, args: reverted.data.args ?? [] };
  // Raw revert data is trusted only from an error that says it is a revert (code 3 or the
  // node's "execution reverted"), so an unrelated RPC error carrying data is never taken for one.
  const isRevert = reverted !== null || error.walk((e) => e instanceof ExecutionRevertedError || (e as { code?: unknown }).code === 3) !== null;
  if (!isRevert) return undefined;
  const raw = reverted?.raw ?? rawRevertData(error);
  if (raw !== undefined && raw.length >= 10) {
    try {
      const decoded = decodeErrorResult({ abi, data: raw });
      return { errorName: decoded.errorName, args: decoded.args ?? [] };
    } catch {
      return { errorName: "Unknown", args: [raw] };
    }
  }
  if (reverted?.reason !== undefined) return { errorName: "Error", args: [reverted.reason] };
  return undefined;
}

function rawRevertData(error: BaseError): Hex | undefined {
  let data: Hex | undefined;
  error.walk((e) => {
    const candidate = (e as { data?: unknown }).data;
    if (typeof candidate === "string" && candidate.startsWith("0x")) data = candidate as Hex;
    else if (typeof candidate === "object" && candidate !== null && typeof (candidate as { data?: unknown }).data === "string") {
      data = (candidate as { data: Hex }).data;
    }
    return false;
  });
  return data;
}

/** How much of a node's error message a CHAIN_RPC error repeats. */
const MAX_NODE_REASON = 300;

/**
 * Turns anything a viem call threw into a ChainError: reverts (decoded, NOT_ACTIVE for the
 * contracts' not-active errors) are non-retryable; transport failures, timeouts and node
 * errors of unknown meaning are retryable. ChainErrors pass through; non-viem errors
 * (store errors, bugs) are returned unchanged so they keep their own type.
 */
export function toChainError(error: unknown, context: Record<string, unknown> = {}): unknown {
  if (error instanceof ChainError || !(error instanceof BaseError)) return error;
  const revert = revertReason(error);
  if (revert !== undefined) {
    const notActive = NOT_ACTIVE_ERRORS.has(revert.errorName);
    return new ChainError(
      notActive ? "CHAIN_NOT_ACTIVE" : "CHAIN_REVERTED",
      notActive ? "the validator is not active; the chain refuses its records" : `the contract reverted with ${revert.errorName}`,
      { details: context, revert, cause: error },
    );
  }
  if (error.walk((e) => e instanceof ExecutionRevertedError) || error.walk((e) => e instanceof ContractFunctionRevertedError)) {
    return new ChainError("CHAIN_REVERTED", "the contract reverted without a reason", { details: context, cause: error });
  }
  // Geth and Anvil say "insufficient funds"; Hardhat "Sender doesn't have enough funds to send tx".
  if (error.walk((e) => e instanceof InsufficientFundsError) || /insufficient funds|doesn't have enough funds/i.test(error.details ?? "")) {
    return new ChainError("CHAIN_INSUFFICIENT_FUNDS", "the account cannot pay for gas", { details: context, cause: error });
  }
  if (error.walk((e) => e instanceof ChainMismatchError)) {
    return new ChainError("CHAIN_WRONG_CHAIN", "the endpoint serves another chain", { details: context, cause: error });
  }
  const refusal = sendRefusal(error);
  if (refusal !== undefined && refusal !== "already-known") {
    return new ChainError("CHAIN_NONCE", `the node refused the nonce (${refusal})`, { details: { ...context, refusal }, cause: error });
  }
  const transport = error.walk((e) => e instanceof HttpRequestError || e instanceof TimeoutError);
  const rpc = error.walk((e) => e instanceof RpcRequestError) as RpcRequestError | null;
  // viem's short message for an RPC error is generic ("Missing or invalid parameters"); the
  // node's own reason (e.g. Hardhat's "Nonce too high. Expected nonce to be 3") is in `details`.
  const reason = transport || !error.details ? "" : ` (node: ${error.details.slice(0, MAX_NODE_REASON)})`;
  return new ChainError("CHAIN_RPC", transport ? "the JSON-RPC endpoint is unreachable or timed out" : `the JSON-RPC call failed: ${error.shortMessage}${reason}`, {
    details: { ...context, rpcCode: rpc?.code },
    cause: error,
  });
}

/** toChainError for callers that always want a ChainError (wraps non-viem errors as non-retryable CHAIN_RPC). */
export function asChainError(error: unknown, context: Record<string, unknown> = {}): ChainError {
  const mapped = toChainError(error, context);
  if (mapped instanceof ChainError) return mapped;
  return new ChainError("CHAIN_RPC", mapped instanceof Error ? mapped.message : String(mapped), { details: context, cause: mapped, retryable: false });
}
