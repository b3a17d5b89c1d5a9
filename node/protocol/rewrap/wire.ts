/**
 * The JSON wire format of rewrap requests and answers (HTTP bodies, forwarded requests over
 * libp2p). Bytes are 0x-hex, uint256 values decimal strings, times integer unix seconds.
 * Decoding is strict: a size limit before parsing, exact key sets, exact lengths; anything
 * else is REWRAP_MALFORMED (REWRAP_TOO_LARGE for size). The format is specified in
 * docs/rewrap.md; the client SDK implements the other side.
 *
 * Refusals are padded to REFUSAL_BYTES whatever their code, and a bulk answer's items all have
 * the same size, so the length of an answer tells an observer nothing but the number of items.
 */
import {
  REWRAP_ENVELOPE_LENGTH,
  MAX_BULK_CONTENTS,
  MAX_BULK_REQUEST_BYTES,
  MAX_REWRAP_REQUEST_BYTES,
  REFUSAL_BYTES,
} from "./constants.js";
import { ACCESS_REASONS, type AccessReason } from "../accessReasons.js";
import { bytesToHex } from "viem";
import { isRewrapErrorCode, RewrapError, type RewrapErrorCode } from "./errors.js";
import { assertContentIdCount, assertDistinctContentIds, isSeconds, isUint256 } from "./shape.js";
import type {
  Address,
  BulkItem,
  Hex,
  RequestAuth,
  RewrapAnswer,
  RewrapBulkAnswer,
  SessionInfo,
  SignedRewrapBulkRequest,
  SignedRewrapRequest,
  ShareRewrapAnswer,
  SignedSessionGrant,
} from "./types.js";
import { SHARE_ANSWER_LENGTH } from "../threshold.js";
import { isAddress, isContentId, toContentId, type ContentId } from "../ids.js";

export type Json = Record<string, unknown>;

const decoder = new TextDecoder("utf-8", { fatal: true });
const P256_KEY = /^0x0[23][0-9a-fA-F]{64}$/;
const UINT_DECIMAL = /^(0|[1-9][0-9]{0,77})$/;
const ETH_SIGNATURE_HEX = 2 + 65 * 2;
const P256_SIGNATURE_HEX = 2 + 64 * 2;
const ENVELOPE_HEX = 2 + REWRAP_ENVELOPE_LENGTH * 2;

function malformed(what: string): RewrapError {
  return new RewrapError("REWRAP_MALFORMED", { cause: new Error(what) });
}

// ------------------------------------------------------------------------- parsing helpers
// Exported for the other signed messages of the rewrap domain (node/protocol/recoverySeed.ts).

/** UTF-8 JSON text of at most `maxBytes` bytes → a JSON object. */
export function parseJsonObject(input: string | Uint8Array, maxBytes: number): Json {
  const size = typeof input === "string" ? Buffer.byteLength(input, "utf8") : input.byteLength;
  if (size > maxBytes) throw new RewrapError("REWRAP_TOO_LARGE");
  let text: string;
  try {
    text = typeof input === "string" ? input : decoder.decode(input);
  } catch {
    throw malformed("not UTF-8");
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw malformed("not JSON");
  }
  return object(value, "message");
}

function object(value: unknown, where: string): Json {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw malformed(`${where} is not an object`);
  return value as Json;
}

/** Exactly these keys (all required unless listed in `optional`). */
export function keys(value: Json, where: string, required: readonly string[], optional: readonly string[] = []): void {
  let present = 0;
  for (const key of Object.keys(value)) {
    if (required.includes(key)) present++;
    else if (!optional.includes(key)) throw malformed(`${where} has unknown key ${key.slice(0, 32)}`);
  }
  if (present !== required.length) throw malformed(`${where} misses a key`);
}

function matching(value: unknown, pattern: RegExp, where: string): string {
  if (typeof value !== "string" || !pattern.test(value)) throw malformed(`${where} is not well formed`);
  return value;
}

export function hexOfLength(value: unknown, hexLength: number, where: string): Uint8Array {
  if (typeof value !== "string" || value.length !== hexLength || !value.startsWith("0x")) throw malformed(`${where} has the wrong length`);
  const body = value.slice(2);
  if (!/^[0-9a-fA-F]*$/.test(body)) throw malformed(`${where} is not hex`);
  return new Uint8Array(Buffer.from(body, "hex"));
}

export function contentId(value: unknown, where: string): ContentId {
  if (!isContentId(value)) throw malformed(`${where} is not well formed`);
  return toContentId(value);
}

export function address(value: unknown, where: string): Address {
  if (!isAddress(value)) throw malformed(`${where} is not well formed`);
  return value.toLowerCase() as Address;
}

function p256Key(value: unknown, where: string): Uint8Array {
  return new Uint8Array(Buffer.from(matching(value, P256_KEY, where).slice(2), "hex"));
}

export function uint256(value: unknown, where: string): bigint {
  const n = BigInt(matching(value, UINT_DECIMAL, where));
  if (!isUint256(n)) throw malformed(`${where} is above uint256`);
  return n;
}

/** Unix seconds (./shape.ts `isSeconds`). */
export function seconds(value: unknown, where: string): number {
  if (!isSeconds(value)) throw malformed(`${where} is not unix seconds`);
  return value;
}

// ------------------------------------------------------------------------- requests

function authFromJson(value: unknown): RequestAuth {
  const auth = object(value, "auth");
  if (Object.hasOwn(auth, "account")) {
    keys(auth, "auth", ["account", "signature"]);
    return { kind: "account", account: address(auth.account, "auth.account"), signature: hexOfLength(auth.signature, ETH_SIGNATURE_HEX, "auth.signature") };
  }
  keys(auth, "auth", ["session", "signature"]);
  return { kind: "session", grant: sessionGrantFromJson(auth.session, "auth.session"), signature: hexOfLength(auth.signature, P256_SIGNATURE_HEX, "auth.signature") };
}

function authToJson(auth: RequestAuth): Json {
  return auth.kind === "account"
    ? { account: auth.account, signature: bytesToHex(auth.signature) }
    : { session: sessionGrantToJson(auth.grant), signature: bytesToHex(auth.signature) };
}

export function sessionGrantFromJson(value: unknown, where = "grant"): SignedSessionGrant {
  const grant = object(value, where);
  keys(grant, where, ["account", "sessionPublicKey", "expiry", "nonce", "signature"]);
  return {
    account: address(grant.account, `${where}.account`),
    sessionPublicKey: p256Key(grant.sessionPublicKey, `${where}.sessionPublicKey`),
    expiry: seconds(grant.expiry, `${where}.expiry`),
    nonce: uint256(grant.nonce, `${where}.nonce`),
    signature: hexOfLength(grant.signature, ETH_SIGNATURE_HEX, `${where}.signature`),
  };
}

export function sessionGrantToJson(grant: SignedSessionGrant): Json {
  return {
    account: grant.account,
    sessionPublicKey: bytesToHex(grant.sessionPublicKey),
    expiry: grant.expiry,
    nonce: grant.nonce.toString(),
    signature: bytesToHex(grant.signature),
  };
}

export function rewrapRequestFromJson(value: unknown): SignedRewrapRequest {
  const body = object(value, "request");
  keys(body, "request", ["contentId", "clientPublicKey", "nonce", "expiry", "auth"]);
  return {
    request: {
      contentId: contentId(body.contentId, "contentId"),
      clientPublicKey: p256Key(body.clientPublicKey, "clientPublicKey"),
      nonce: uint256(body.nonce, "nonce"),
      expiry: seconds(body.expiry, "expiry"),
    },
    auth: authFromJson(body.auth),
  };
}

export function rewrapRequestToJson(signed: SignedRewrapRequest): Json {
  const { request } = signed;
  return {
    contentId: request.contentId,
    clientPublicKey: bytesToHex(request.clientPublicKey),
    nonce: request.nonce.toString(),
    expiry: request.expiry,
    auth: authToJson(signed.auth),
  };
}

export function bulkRequestFromJson(value: unknown): SignedRewrapBulkRequest {
  const body = object(value, "request");
  keys(body, "request", ["contentIds", "clientPublicKey", "nonce", "expiry", "auth"]);
  assertContentIdCount(body.contentIds, MAX_BULK_CONTENTS);
  const contentIds = body.contentIds.map((id, i) => contentId(id, `contentIds[${i}]`));
  assertDistinctContentIds(contentIds);
  return {
    request: {
      contentIds,
      clientPublicKey: p256Key(body.clientPublicKey, "clientPublicKey"),
      nonce: uint256(body.nonce, "nonce"),
      expiry: seconds(body.expiry, "expiry"),
    },
    auth: authFromJson(body.auth),
  };
}

export function bulkRequestToJson(signed: SignedRewrapBulkRequest): Json {
  const { request } = signed;
  return {
    contentIds: request.contentIds,
    clientPublicKey: bytesToHex(request.clientPublicKey),
    nonce: request.nonce.toString(),
    expiry: request.expiry,
    auth: authToJson(signed.auth),
  };
}

/** POST /rewrap body → request. */
export function decodeRewrapRequest(input: string | Uint8Array): SignedRewrapRequest {
  return rewrapRequestFromJson(parseJsonObject(input, MAX_REWRAP_REQUEST_BYTES));
}

export function encodeRewrapRequest(signed: SignedRewrapRequest): string {
  return JSON.stringify(rewrapRequestToJson(signed));
}

/** POST /rewrap/bulk body → request. */
export function decodeBulkRequest(input: string | Uint8Array): SignedRewrapBulkRequest {
  return bulkRequestFromJson(parseJsonObject(input, MAX_BULK_REQUEST_BYTES));
}

export function encodeBulkRequest(signed: SignedRewrapBulkRequest): string {
  return JSON.stringify(bulkRequestToJson(signed));
}

/** POST /session body → signed grant. */
export function decodeSessionGrant(input: string | Uint8Array): SignedSessionGrant {
  return sessionGrantFromJson(parseJsonObject(input, MAX_REWRAP_REQUEST_BYTES));
}

export function encodeSessionGrant(grant: SignedSessionGrant): string {
  return JSON.stringify(sessionGrantToJson(grant));
}

// ------------------------------------------------------------------------- answers

export function encodeRewrapAnswer(answer: RewrapAnswer): string {
  return JSON.stringify({ contentId: answer.contentId, requestDigest: answer.requestDigest, envelope: bytesToHex(answer.envelope) });
}

export function rewrapAnswerFromJson(value: unknown): RewrapAnswer {
  const body = object(value, "answer");
  keys(body, "answer", ["contentId", "requestDigest", "envelope"]);
  return {
    contentId: contentId(body.contentId, "contentId"),
    requestDigest: contentId(body.requestDigest, "requestDigest"),
    envelope: hexOfLength(body.envelope, ENVELOPE_HEX, "envelope"),
  };
}

export function decodeRewrapAnswer(input: string | Uint8Array): RewrapAnswer {
  return rewrapAnswerFromJson(parseJsonObject(input, MAX_REWRAP_REQUEST_BYTES));
}

export function encodeShareRewrapAnswer(answer: ShareRewrapAnswer): string {
  return JSON.stringify({ contentId: answer.contentId, requestDigest: answer.requestDigest, shareAnswer: bytesToHex(answer.shareAnswer) });
}

export function decodeShareRewrapAnswer(input: string | Uint8Array): ShareRewrapAnswer {
  const body = parseJsonObject(input, MAX_REWRAP_REQUEST_BYTES);
  keys(body, "answer", ["contentId", "requestDigest", "shareAnswer"]);
  return {
    contentId: contentId(body.contentId, "contentId"),
    requestDigest: contentId(body.requestDigest, "requestDigest"),
    shareAnswer: hexOfLength(body.shareAnswer, 2 + SHARE_ANSWER_LENGTH * 2, "shareAnswer"),
  };
}

/** A served item is `{"contentId","envelope"}`; a refused one is padded to the same length. */
const BULK_ITEM_BYTES = JSON.stringify({ contentId: `0x${"0".repeat(64)}`, envelope: `0x${"0".repeat(REWRAP_ENVELOPE_LENGTH * 2)}` }).length;

function bulkItemJson(item: BulkItem): string {
  if ("envelope" in item) return JSON.stringify({ contentId: item.contentId, envelope: bytesToHex(item.envelope) });
  const base = JSON.stringify({ contentId: item.contentId, error: { code: item.error.code, reason: item.error.reason ?? null }, pad: "" });
  return `${base.slice(0, -2)}${" ".repeat(Math.max(0, BULK_ITEM_BYTES - base.length))}"}`;
}

export function encodeBulkAnswer(answer: RewrapBulkAnswer): string {
  return `{"requestDigest":"${answer.requestDigest}","results":[${answer.results.map(bulkItemJson).join(",")}]}`;
}

function accessReason(value: unknown, where: string): AccessReason | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value !== "string" || !(ACCESS_REASONS as readonly string[]).includes(value)) throw malformed(`${where} is not an access reason`);
  return value as AccessReason;
}

function errorCode(value: unknown, where: string): RewrapErrorCode {
  if (!isRewrapErrorCode(value)) throw malformed(`${where} is not a rewrap error code`);
  return value;
}

export function bulkAnswerFromJson(value: unknown, maxItems = MAX_BULK_CONTENTS): RewrapBulkAnswer {
  const body = object(value, "answer");
  keys(body, "answer", ["requestDigest", "results"]);
  if (!Array.isArray(body.results) || body.results.length > maxItems) throw malformed("results is not a list of items");
  return {
    requestDigest: contentId(body.requestDigest, "requestDigest"),
    results: body.results.map((raw, i): BulkItem => {
      const item = object(raw, `results[${i}]`);
      if (Object.hasOwn(item, "envelope")) {
        keys(item, `results[${i}]`, ["contentId", "envelope"]);
        return { contentId: contentId(item.contentId, `results[${i}].contentId`), envelope: hexOfLength(item.envelope, ENVELOPE_HEX, `results[${i}].envelope`) };
      }
      keys(item, `results[${i}]`, ["contentId", "error"], ["pad"]);
      const error = object(item.error, `results[${i}].error`);
      keys(error, `results[${i}].error`, ["code", "reason"]);
      const reason = accessReason(error.reason, `results[${i}].error.reason`);
      return {
        contentId: contentId(item.contentId, `results[${i}].contentId`),
        error: { code: errorCode(error.code, `results[${i}].error.code`), ...(reason === undefined ? {} : { reason }) },
      };
    }),
  };
}

/** Answers to bulk requests can be large: the size limit is the caller's. */
export function decodeBulkAnswer(input: string | Uint8Array, maxBytes: number): RewrapBulkAnswer {
  return bulkAnswerFromJson(parseJsonObject(input, maxBytes));
}

export function encodeSessionInfo(info: SessionInfo): string {
  return JSON.stringify({ grantHash: info.grantHash, account: info.account, sessionPublicKey: bytesToHex(info.sessionPublicKey), expiry: info.expiry });
}

export function decodeSessionInfo(input: string | Uint8Array): SessionInfo {
  const body = parseJsonObject(input, MAX_REWRAP_REQUEST_BYTES);
  keys(body, "session", ["grantHash", "account", "sessionPublicKey", "expiry"]);
  return {
    grantHash: contentId(body.grantHash, "grantHash"),
    account: address(body.account, "account"),
    sessionPublicKey: p256Key(body.sessionPublicKey, "sessionPublicKey"),
    expiry: seconds(body.expiry, "expiry"),
  };
}

// ------------------------------------------------------------------------- refusals

/**
 * `{"error":{"code","reason","retryable","message"},"pad":"  …"}`, exactly REFUSAL_BYTES bytes
 * for every code: the message is the code's fixed text, the reason is null except for
 * REWRAP_ACCESS_DENIED, and nothing else (no ids, blocks or timings) is in it.
 */
export function encodeRefusal(error: RewrapError): string {
  const base = JSON.stringify({
    error: { code: error.code, reason: error.reason ?? null, retryable: error.retryable, message: error.message },
    pad: "",
  });
  return `${base.slice(0, -2)}${" ".repeat(REFUSAL_BYTES - base.length)}"}`;
}

export function decodeRefusal(input: string | Uint8Array): RewrapError {
  const body = parseJsonObject(input, REFUSAL_BYTES);
  keys(body, "refusal", ["error", "pad"]);
  const error = object(body.error, "error");
  keys(error, "error", ["code", "reason", "retryable", "message"]);
  const reason = accessReason(error.reason, "error.reason");
  return new RewrapError(errorCode(error.code, "error.code"), reason === undefined ? {} : { reason });
}
