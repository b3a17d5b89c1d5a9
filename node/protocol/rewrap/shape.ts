/**
 * The shape of a decoded rewrap request, bulk request and session grant, stated once: `wire.ts`'s
 * decoders guarantee it for what arrives as JSON, and the validator's service holds requests
 * built in code to the same rules. A breach is REWRAP_MALFORMED (a bulk list over the limit
 * REWRAP_TOO_LARGE).
 */
import { isAddress, isCanonicalContentId } from "../ids.js";
import { RewrapError } from "./errors.js";
import type { RequestAuth, SignedRewrapBulkRequest, SignedRewrapRequest, SignedSessionGrant } from "./types.js";

const UINT256_LIMIT = 1n << 256n;

function malformed(what: string): RewrapError {
  return new RewrapError("REWRAP_MALFORMED", { cause: new Error(what) });
}

export function isUint256(value: unknown): value is bigint {
  return typeof value === "bigint" && value >= 0n && value < UINT256_LIMIT;
}

/** A uint64 of unix seconds; every acceptable expiry is far below 2^53, so a safe integer. */
export function isSeconds(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

/** A compressed P-256 point's encoding (whether it is on the curve is the wrap's check). */
export function isP256PublicKey(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array && value.length === 33 && (value[0] === 0x02 || value[0] === 0x03);
}

function isBytes(value: unknown, length: number): boolean {
  return value instanceof Uint8Array && value.length === length;
}

function isSessionGrant(grant: SignedSessionGrant): boolean {
  return (
    typeof grant === "object" &&
    grant !== null &&
    typeof grant.account === "string" &&
    isAddress(grant.account) &&
    isP256PublicKey(grant.sessionPublicKey) &&
    isSeconds(grant.expiry) &&
    isUint256(grant.nonce) &&
    isBytes(grant.signature, 65)
  );
}

function isRequestAuth(auth: RequestAuth): boolean {
  if (typeof auth !== "object" || auth === null) return false;
  return auth.kind === "account"
    ? isAddress(auth.account) && isBytes(auth.signature, 65)
    : auth.kind === "session" && isBytes(auth.signature, 64) && isSessionGrant(auth.grant);
}

/** The fields a single and a bulk request share: client key, nonce, expiry and auth. */
function assertRequestFields(request: { clientPublicKey: unknown; nonce: unknown; expiry: unknown }, auth: RequestAuth): void {
  if (!isP256PublicKey(request.clientPublicKey) || !isUint256(request.nonce) || !isSeconds(request.expiry) || !isRequestAuth(auth)) {
    throw malformed("request is not well formed");
  }
}

/** A bulk request's list before its ids are read: an array of 1–`max` items. */
export function assertContentIdCount(ids: unknown, max: number): asserts ids is unknown[] {
  if (!Array.isArray(ids)) throw malformed("contentIds is not an array");
  if (ids.length > max) throw new RewrapError("REWRAP_TOO_LARGE");
  if (ids.length === 0) throw malformed("contentIds is empty");
}

/** A bulk request names each content once. */
export function assertDistinctContentIds(ids: readonly string[]): void {
  if (new Set(ids).size !== ids.length) throw malformed("contentIds has duplicates");
}

export function assertRewrapRequestShape({ request, auth }: SignedRewrapRequest): void {
  // Decoded content ids are lowercase (the decoders lowercase what they read).
  if (!isCanonicalContentId(request.contentId)) throw malformed("contentId is not well formed");
  assertRequestFields(request, auth);
}

/** Also bounds the list: at most `maxContents` ids. */
export function assertBulkRequestShape({ request, auth }: SignedRewrapBulkRequest, maxContents: number): void {
  assertContentIdCount(request.contentIds, maxContents);
  for (const id of request.contentIds) if (!isCanonicalContentId(id)) throw malformed("contentIds has an id that is not well formed");
  assertDistinctContentIds(request.contentIds);
  assertRequestFields(request, auth);
}

export function assertSessionGrantShape(grant: SignedSessionGrant): void {
  if (!isSessionGrant(grant)) throw malformed("session grant is not well formed");
}
