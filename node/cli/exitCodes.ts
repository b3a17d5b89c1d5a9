/**
 * What `dekmesh` exit codes mean (docs/cli.md), and which one an error maps to. Scripts switch
 * on these; the error's own `code` (printed, and in `--json` output) says more.
 */
import { DekmeshError } from "../protocol/errors.js";

export const EXIT = {
  /** Done. */
  OK: 0,
  /** The command line is wrong: unknown command or flag, missing or malformed argument. */
  USAGE: 1,
  /** Refused: access denied by the policy, a reverted transaction, a validator's refusal. */
  REFUSED: 2,
  /** The thing named does not exist: content, policy, attribute, file. */
  NOT_FOUND: 3,
  /** Something needed could not be reached or is not ready: chain, indexer, validators, IPFS. */
  UNAVAILABLE: 4,
  /** A bug or an unexpected state; the message says where. */
  INTERNAL: 5,
  /** The data does not verify: tampered ciphertext or header. */
  INTEGRITY: 6,
  /** Interrupted (Ctrl-C). */
  INTERRUPTED: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A wrong command line: printed with the command's usage, exit 1. */
export class UsageError extends DekmeshError<"CLI_USAGE"> {
  override name = "UsageError";
  constructor(message: string) {
    super("CLI_USAGE", message);
  }
}

/** A CLI-level failure with an explicit exit code (a missing input file, a locked store…). */
export class CliError extends DekmeshError<string> {
  override name = "CliError";
  constructor(
    readonly exitCode: ExitCode,
    code: string,
    message: string,
    options: { details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(code, message, options);
  }
}

const BY_CODE: Record<string, ExitCode> = {
  CLI_USAGE: EXIT.USAGE,
  // client SDK
  CLIENT_INVALID_ARGUMENT: EXIT.USAGE,
  CLIENT_UNKNOWN_ATTRIBUTE: EXIT.NOT_FOUND,
  CLIENT_REWRAP_REFUSED: EXIT.REFUSED,
  CLIENT_NO_HOLDER: EXIT.UNAVAILABLE,
  CLIENT_NO_VALIDATOR: EXIT.UNAVAILABLE,
  CLIENT_CONTENT_UNAVAILABLE: EXIT.UNAVAILABLE,
  CLIENT_UPLOAD_FAILED: EXIT.UNAVAILABLE,
  CLIENT_INDEXER: EXIT.UNAVAILABLE,
  CLIENT_NOT_FOUND: EXIT.NOT_FOUND,
  CLIENT_DECRYPT_FAILED: EXIT.INTEGRITY,
  CLIENT_RECOVERY_FAILED: EXIT.REFUSED,
  CLIENT_ABORTED: EXIT.INTERRUPTED,
  // indexer client
  INDEXER_NOT_FOUND: EXIT.NOT_FOUND,
  INDEXER_INVALID_ARGUMENT: EXIT.USAGE,
  INDEXER_UNAVAILABLE: EXIT.UNAVAILABLE,
  INDEXER_BAD_RESPONSE: EXIT.UNAVAILABLE,
  STATE_STALE: EXIT.UNAVAILABLE,
  CHAIN_UNAVAILABLE: EXIT.UNAVAILABLE,
  // chain
  CHAIN_REVERTED: EXIT.REFUSED,
  CHAIN_NOT_ACTIVE: EXIT.REFUSED,
  CHAIN_INSUFFICIENT_FUNDS: EXIT.REFUSED,
  CHAIN_INVALID_ARGUMENT: EXIT.USAGE,
  CHAIN_RPC: EXIT.UNAVAILABLE,
  CHAIN_TIMEOUT: EXIT.UNAVAILABLE,
  CHAIN_DROPPED: EXIT.UNAVAILABLE,
  CHAIN_WRONG_CHAIN: EXIT.USAGE,
  CHAIN_BAD_DEPLOYMENT: EXIT.USAGE,
  // validator config
  VALIDATOR_CONFIG_INVALID: EXIT.USAGE,
  VALIDATOR_CONFIG_FILE: EXIT.USAGE,
  VALIDATOR_USAGE: EXIT.USAGE,
  VALIDATOR_WRONG_OPERATOR: EXIT.REFUSED,
  VALIDATOR_NOT_REGISTERED: EXIT.NOT_FOUND,
};

/** The exit code of an error that ended a command. */
export function exitCodeOf(error: unknown): ExitCode {
  if (error instanceof CliError) return error.exitCode;
  if (error instanceof DekmeshError) {
    const direct = BY_CODE[error.code];
    if (direct !== undefined) return direct;
    // A client-level chain failure is a refusal when the chain reverted, else unavailability.
    if (error.code === "CLIENT_CHAIN") {
      const cause = error.details.causeCode;
      return cause === "CHAIN_REVERTED" || error.details.errorName !== undefined ? EXIT.REFUSED : BY_CODE[String(cause)] ?? EXIT.UNAVAILABLE;
    }
    if (error.retryable) return EXIT.UNAVAILABLE;
  }
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOENT") return EXIT.NOT_FOUND;
  if (code === "ECONNREFUSED" || code === "ECONNRESET" || code === "ETIMEDOUT") return EXIT.UNAVAILABLE;
  return EXIT.INTERNAL;
}
