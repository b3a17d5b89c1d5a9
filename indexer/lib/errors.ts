/** Machine-readable codes of REST API refusals (`{ error: { code, message } }`). */
export type ApiErrorCode =
  | "invalid_cid"
  | "invalid_address"
  | "invalid_policy_id"
  | "invalid_time"
  | "invalid_range"
  | "invalid_cursor"
  | "invalid_limit"
  | "unknown_parameter"
  | "invalid_body"
  | "body_too_large"
  | "content_not_found"
  | "policy_not_found"
  // the audit explorer's endpoints (indexer/src/api/explorer.ts)
  | "invalid_batch_id"
  | "invalid_buckets"
  | "batch_not_found"
  // a record's evidence (indexer/src/api/auditEvidence.ts)
  | "evidence_missing"
  | "evidence_invalid"
  | "validator_unreachable"
  | "validator_not_found"
  | "not_found"
  | "not_ready"
  | "internal"
  // SQL over HTTP (/sql/*) and the public query gate
  | "invalid_sql"
  | "sql_not_allowed"
  | "sql_too_expensive"
  | "sql_failed"
  | "sql_disabled"
  | "busy"
  | "rate_limited";

/**
 * A refusal with its HTTP status: 400 for bad parameters, 403 for a surface turned off, 404 for
 * unknown ids, 413 for a body over its limit, 429 for a client over its public query rate,
 * 503 before the first block or when too many queries wait. The message is fixed per cause:
 * it never repeats what the caller sent or what the database said.
 */
export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly status: 400 | 403 | 404 | 413 | 422 | 429 | 500 | 502 | 503,
    readonly code: ApiErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export const badRequest = (code: ApiErrorCode, message: string) => new ApiError(400, code, message);
