import { DekmeshError } from "../../protocol/errors.js";
import type { RewrapErrorCode } from "../../protocol/rewrap/index.js";

/**
 * Refusals of the HTTP layer itself (everything but the rewrap checks, which answer with the
 * rewrap service's own constant-size refusals). The code is the wire format:
 * `{"error":{"code","message"}}`; the message is fixed text per code, so no request bytes,
 * ids or causes are echoed back.
 */
export const HTTP_ERRORS = {
  HTTP_MALFORMED: { status: 400, message: "request is malformed" },
  HTTP_NOT_FOUND: { status: 404, message: "no such route" },
  HTTP_METHOD_NOT_ALLOWED: { status: 405, message: "method not allowed on this route" },
  HTTP_TIMEOUT: { status: 408, message: "request was not received in time" },
  /** An upload under the minimum average rate (uploadMinBytesPerSecond) after its grace period. */
  HTTP_TOO_SLOW: { status: 408, message: "request body is arriving too slowly" },
  HTTP_TOO_LARGE: { status: 413, message: "request body is too large" },
  HTTP_HEADERS_TOO_LARGE: { status: 431, message: "request headers are too large" },
  HTTP_UNSUPPORTED_MEDIA_TYPE: { status: 415, message: "unsupported content type" },
  CONTENT_NOT_REGISTERED: { status: 404, message: "content is not registered on chain" },
  CONTENT_CID_MISMATCH: { status: 422, message: "bytes do not match the content id" },
  CONTENT_NOT_FOUND: { status: 404, message: "content is not pinned here" },
  AUDIT_BATCH_NOT_FOUND: { status: 404, message: "no evidence for this audit batch here" },
  HTTP_UNAVAILABLE: { status: 503, message: "validator cannot serve this now; retry" },
  HTTP_INTERNAL: { status: 500, message: "internal error" },
  /** The client went away; never sent, only logged and counted. */
  HTTP_CLIENT_GONE: { status: 499, message: "client closed the request" },
} as const;

export type HttpErrorCode = keyof typeof HTTP_ERRORS;

export class HttpError extends DekmeshError<HttpErrorCode> {
  override name = "HttpError";

  constructor(code: HttpErrorCode, options: { details?: Record<string, unknown>; cause?: unknown } = {}) {
    super(code, HTTP_ERRORS[code].message, options);
  }

  get status(): number {
    return HTTP_ERRORS[this.code].status;
  }

  override get retryable(): boolean {
    return this.code === "HTTP_UNAVAILABLE" || this.code === "HTTP_TIMEOUT" || this.code === "HTTP_TOO_SLOW";
  }
}

/** The wire body of an HttpError: only its code and fixed message. */
export function encodeHttpError(error: HttpError): string {
  return JSON.stringify({ error: { code: error.code, message: error.message } });
}

/** docs/rewrap.md's statuses for the rewrap refusal codes. */
export const REWRAP_STATUS: Record<RewrapErrorCode, number> = {
  REWRAP_MALFORMED: 400,
  REWRAP_TOO_LARGE: 413,
  REWRAP_EXPIRED: 401,
  REWRAP_EXPIRY_TOO_FAR: 401,
  REWRAP_SIGNATURE_INVALID: 401,
  REWRAP_SESSION_INVALID: 401,
  REWRAP_SESSION_EXPIRED: 401,
  REWRAP_REPLAYED: 409,
  REWRAP_CONTENT_NOT_FOUND: 404,
  REWRAP_ACCESS_DENIED: 403,
  REWRAP_STATE_STALE: 503,
  REWRAP_UNAVAILABLE: 503,
  REWRAP_NOT_HOLDER: 503,
  REWRAP_FORWARD_FAILED: 503,
  REWRAP_INTERNAL: 500,
};
