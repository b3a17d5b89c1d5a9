import {
  ERROR_CODE_PATTERN,
  MAX_ERROR_MESSAGE_LENGTH,
  RESPONSE_ERROR,
  RESPONSE_OK,
} from "./constants.js";
import { P2pError, P2pRemoteError } from "./errors.js";

/**
 * A response frame's body is one status byte, then either the handler's answer
 * (`RESPONSE_OK`) or a UTF-8 JSON error (`RESPONSE_ERROR`). Requests carry no envelope.
 */

export interface WireError {
  code: string;
  message: string;
  details: Record<string, unknown>;
  retryable: boolean;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

export function encodeOkResponse(payload: Uint8Array): Uint8Array {
  const body = new Uint8Array(payload.byteLength + 1);
  body[0] = RESPONSE_OK;
  body.set(payload, 1);
  return body;
}

/**
 * Encodes an error answer that fits in `maxBytes`: details are dropped first, then the message
 * is shortened, so a refusal always reaches the requester with its code.
 */
export function encodeErrorResponse(error: WireError, maxBytes: number): Uint8Array {
  const message = error.message.slice(0, MAX_ERROR_MESSAGE_LENGTH);
  const candidates: WireError[] = [
    { ...error, message },
    { ...error, message, details: {} },
    { ...error, message: "", details: {} },
  ];
  for (const candidate of candidates) {
    const json = encoder.encode(JSON.stringify(candidate));
    if (json.byteLength + 1 <= maxBytes) {
      const body = new Uint8Array(json.byteLength + 1);
      body[0] = RESPONSE_ERROR;
      body.set(json, 1);
      return body;
    }
  }
  throw new RangeError(`no error answer fits in ${maxBytes} bytes`);
}

/** Decodes a response body: the answer on success, a `P2pRemoteError` thrown on an error answer. */
export function decodeResponse(body: Uint8Array, context: { peer: string; protocol: string }): Uint8Array {
  if (body.byteLength === 0) {
    throw malformed("empty response", context);
  }
  const status = body[0];
  if (status === RESPONSE_OK) return body.subarray(1);
  if (status !== RESPONSE_ERROR) throw malformed("unknown response status", context);
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(body.subarray(1)));
  } catch (cause) {
    throw malformed("error answer is not UTF-8 JSON", context, cause);
  }
  if (!isObject(parsed)) throw malformed("error answer is not an object", context);
  const { code, message, details, retryable } = parsed;
  if (typeof code !== "string" || !ERROR_CODE_PATTERN.test(code)) {
    throw malformed("error answer has no valid code", context);
  }
  throw new P2pRemoteError(
    code,
    typeof message === "string" ? message.slice(0, MAX_ERROR_MESSAGE_LENGTH) : "",
    {
      ...context,
      details: isObject(details) ? details : {},
      retryable: typeof retryable === "boolean" ? retryable : undefined,
    },
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function malformed(message: string, context: { peer: string; protocol: string }, cause?: unknown): P2pError {
  return new P2pError("P2P_MALFORMED", message, { details: { ...context }, cause });
}
