import { DekmeshError } from "../errors.js";
import type { AccessReason } from "../accessReasons.js";

/**
 * Why a rewrap was refused. The codes are a wire format (clients and peers switch on them); the
 * message of each is fixed text, so a refusal says nothing beyond its code (and, for
 * REWRAP_ACCESS_DENIED, the contract's access reason).
 */
export const REWRAP_ERROR_MESSAGES = {
  REWRAP_MALFORMED: "request is malformed",
  REWRAP_TOO_LARGE: "request is too large",
  REWRAP_EXPIRED: "request has expired",
  REWRAP_EXPIRY_TOO_FAR: "request expires too far in the future",
  REWRAP_SIGNATURE_INVALID: "request signature is not valid",
  REWRAP_SESSION_INVALID: "session grant is not valid",
  REWRAP_SESSION_EXPIRED: "session grant has expired",
  REWRAP_REPLAYED: "request nonce was already used",
  REWRAP_CONTENT_NOT_FOUND: "content is not registered",
  REWRAP_ACCESS_DENIED: "policy denies access",
  REWRAP_STATE_STALE: "validator state is stale; retry",
  REWRAP_UNAVAILABLE: "validator cannot decide now; retry",
  REWRAP_NOT_HOLDER: "validator does not hold the key",
  REWRAP_FORWARD_FAILED: "no holder answered; retry",
  REWRAP_INTERNAL: "internal error",
} as const;

export type RewrapErrorCode = keyof typeof REWRAP_ERROR_MESSAGES;
export const REWRAP_ERROR_CODES = Object.keys(REWRAP_ERROR_MESSAGES) as RewrapErrorCode[];

/** Retrying the same request later (or at another validator) can succeed. */
const RETRYABLE: ReadonlySet<RewrapErrorCode> = new Set([
  "REWRAP_STATE_STALE",
  "REWRAP_UNAVAILABLE",
  "REWRAP_NOT_HOLDER",
  "REWRAP_FORWARD_FAILED",
]);

export function isRewrapErrorCode(code: unknown): code is RewrapErrorCode {
  return typeof code === "string" && Object.hasOwn(REWRAP_ERROR_MESSAGES, code);
}

/**
 * A typed refusal. `details` holds only `reason` (REWRAP_ACCESS_DENIED): it is what the p2p layer
 * sends to a forwarding peer. The local cause (indexer error, store error) stays in `cause` and
 * in the logs.
 */
export class RewrapError extends DekmeshError<RewrapErrorCode> {
  override name = "RewrapError";
  readonly reason: AccessReason | undefined;

  constructor(code: RewrapErrorCode, options: { reason?: AccessReason; cause?: unknown } = {}) {
    super(code, REWRAP_ERROR_MESSAGES[code], {
      details: options.reason === undefined ? {} : { reason: options.reason },
      cause: options.cause,
    });
    this.reason = options.reason;
  }

  override get retryable(): boolean {
    return RETRYABLE.has(this.code);
  }
}

export function isRetryableCode(code: RewrapErrorCode): boolean {
  return RETRYABLE.has(code);
}
