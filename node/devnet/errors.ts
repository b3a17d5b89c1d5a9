import { DekmeshError } from "../protocol/errors.js";

/** What went wrong while starting or driving a devnet process. */
export type DevnetErrorCode =
  /** A child process exited before it became ready (or while it was expected to run). */
  | "PROCESS_EXITED"
  /** A child process did not become ready in time. */
  | "TIMEOUT"
  /** The port a server was to listen on was taken by another process (see process.ts, loggedSince). */
  | "PORT_IN_USE"
  /** The deploy script failed or wrote no deployment file. */
  | "DEPLOY_FAILED"
  /** A deployment file is missing or malformed. */
  | "BAD_DEPLOYMENT"
  /** The build output the indexer needs (exported ABIs) is missing and could not be made. */
  | "BUILD_MISSING"
  /** An HTTP/JSON-RPC request to a devnet process failed. */
  | "REQUEST_FAILED"
  /** A dev-chain-only action (minting gas or stake tokens) was pointed at another chain. */
  | "NOT_A_DEV_CHAIN";

/**
 * The one error class of the devnet harness. `logFile` names the child process log that
 * explains the failure (child output never goes to the console), so every message ends with it.
 */
export class DevnetError extends DekmeshError<DevnetErrorCode> {
  override name = "DevnetError";
  readonly logFile: string | undefined;

  constructor(
    code: DevnetErrorCode,
    message: string,
    options: { cause?: unknown; logFile?: string; details?: Record<string, unknown> } = {},
  ) {
    super(code, options.logFile ? `${message} (log: ${options.logFile})` : message, {
      cause: options.cause,
      details: options.details,
    });
    this.logFile = options.logFile;
  }
}
