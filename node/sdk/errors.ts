import { DekmeshError } from "../protocol/errors.js";
import type { AccessReason } from "../protocol/accessReasons.js";
import type { RewrapErrorCode } from "../protocol/rewrap/index.js";

/** Stable codes of the client SDK; switch on `code` (and `rewrapCode`/`reason` for refusals). */
export type DekmeshClientErrorCode =
  /** An option or argument that can never work (bad attribute text, unknown replication mode…). */
  | "CLIENT_INVALID_ARGUMENT"
  /** An attribute "namespace/value" that the AttributeRegistry does not know. */
  | "CLIENT_UNKNOWN_ATTRIBUTE"
  /** A validator refused the rewrap; `rewrapCode` (and `reason` for access denials) say why. */
  | "CLIENT_REWRAP_REFUSED"
  /** No holder could serve: every one failed with a retryable refusal or could not be reached. */
  | "CLIENT_NO_HOLDER"
  /** No active validator to upload to, or the one asked for is not active. */
  | "CLIENT_NO_VALIDATOR"
  /** A threshold content: fewer than m of its members gave a valid share (down, slow, refusing or answering bad shares). */
  | "CLIENT_NOT_ENOUGH_SHARES"
  /** The ciphertext could be fetched from neither the configured IPFS nor any holder. */
  | "CLIENT_CONTENT_UNAVAILABLE"
  /** The initial validator refused or failed the upload of the ciphertext. */
  | "CLIENT_UPLOAD_FAILED"
  /** A transaction failed or reverted (the ChainError is the cause; `details.errorName` names a revert). */
  | "CLIENT_CHAIN"
  /** The indexer could not answer (the IndexerClientError is the cause). */
  | "CLIENT_INDEXER"
  /** The content is not registered. */
  | "CLIENT_NOT_FOUND"
  /** The file does not decrypt or verify (tampered ciphertext or header, wrong policy). */
  | "CLIENT_DECRYPT_FAILED"
  /** The recovery envelope does not open for this account, or the validator refused the re-seed. */
  | "CLIENT_RECOVERY_FAILED"
  /** The caller aborted. */
  | "CLIENT_ABORTED"
  /** The client was closed. */
  | "CLIENT_CLOSED";

export class DekmeshClientError extends DekmeshError<DekmeshClientErrorCode> {
  override name = "DekmeshClientError";
  /** The validator's refusal code (CLIENT_REWRAP_REFUSED, CLIENT_NO_HOLDER: the last one seen). */
  readonly rewrapCode: RewrapErrorCode | undefined;
  /** The policy's reason when the refusal was REWRAP_ACCESS_DENIED. */
  readonly reason: AccessReason | undefined;
  readonly #retryable: boolean;

  constructor(
    code: DekmeshClientErrorCode,
    message: string,
    options: { details?: Record<string, unknown>; cause?: unknown; rewrapCode?: RewrapErrorCode; reason?: AccessReason; retryable?: boolean } = {},
  ) {
    super(code, message, {
      details: { ...options.details, ...(options.rewrapCode ? { rewrapCode: options.rewrapCode } : {}), ...(options.reason ? { reason: options.reason } : {}) },
      cause: options.cause,
    });
    this.rewrapCode = options.rewrapCode;
    this.reason = options.reason;
    this.#retryable = options.retryable ?? false;
  }

  override get retryable(): boolean {
    return this.#retryable;
  }
}

/** Wraps a lower layer's typed error (chain, indexer, IPFS, TDF) under a client code, keeping it as the cause. */
export function clientError(code: DekmeshClientErrorCode, message: string, cause: unknown, details?: Record<string, unknown>): DekmeshClientError {
  if (cause instanceof DekmeshClientError) return cause;
  const lower = cause instanceof DekmeshError ? cause : undefined;
  return new DekmeshClientError(code, message, {
    cause,
    details: { ...details, ...(lower ? { causeCode: lower.code, ...pick(lower.details, ["errorName", "args"]) } : {}) },
    retryable: lower?.retryable ?? false,
  });
}

function pick(details: Readonly<Record<string, unknown>>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => details[k] !== undefined).map((k) => [k, details[k]]));
}
