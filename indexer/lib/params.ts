// Parsing and validation of REST parameters. Pure: the API handlers call these before they
// touch the database, and test/indexer unit-tests them directly.
import { CID } from "multiformats/cid";
import { isAddress as hasChecksum, type Address, type Hex } from "viem";
import { contentIdOfCid } from "./codec.js";
import { badRequest } from "./errors.js";
import { isAddress, isContentId } from "../../node/protocol/ids.js";

/** Longest CID text accepted (a CIDv1 with a 64-byte digest in base32 is ~110 chars). */
const MAX_CID_TEXT = 256;
const UINT = /^\d+$/;
const UINT64_MAX = (1n << 64n) - 1n;

/** A list's page size: `default` when none is asked, larger asks capped at `max`. */
export interface LimitBounds {
  default: number;
  max: number;
}

/** The audit trail's pages (/audit, /audit/batches). */
export const AUDIT_LIMIT: LimitBounds = { default: 50, max: 500 };

/** A content named by its CID text or by its 0x contentId. */
export interface ContentRef {
  contentId: Hex;
  /** The CID as given (canonical text), when the caller named the content by CID. */
  cid: string | undefined;
}

/**
 * Validators ask about the same contents over and over; decoding a CID and hashing it costs
 * more than the cached answer, so recent results are kept (bounded, cleared when full).
 */
const parsedCids = new Map<string, ContentRef>();
const MAX_PARSED_CIDS = 10_000;

export function parseContentRef(raw: string): ContentRef {
  if (isContentId(raw)) return { contentId: raw.toLowerCase() as Hex, cid: undefined };
  const known = parsedCids.get(raw);
  if (known) return known;
  const ref = parseCid(raw);
  if (parsedCids.size >= MAX_PARSED_CIDS) parsedCids.clear();
  parsedCids.set(raw, ref);
  return ref;
}

function parseCid(raw: string): ContentRef {
  if (raw.length === 0 || raw.length > MAX_CID_TEXT) throw badRequest("invalid_cid", "expected a CID or a 0x contentId");
  let cid: CID;
  try {
    cid = CID.parse(raw);
  } catch {
    throw badRequest("invalid_cid", "expected a CID or a 0x contentId");
  }
  return { contentId: contentIdOfCid(cid), cid: cid.toString() };
}

/**
 * An account address, returned lowercase. All-lowercase and all-uppercase hex carry no
 * checksum; mixed case must be a valid EIP-55 checksum, so a mistyped checksummed address is
 * refused rather than looked up as someone else.
 */
export function parseAddress(raw: string, name: string): Address {
  if (!isAddress(raw)) throw badRequest("invalid_address", `${name} must be a 0x address`);
  const body = raw.slice(2);
  const uniform = body === body.toLowerCase() || body === body.toUpperCase();
  if (!uniform && !hasChecksum(raw, { strict: true })) {
    throw badRequest("invalid_address", `${name} has a wrong EIP-55 checksum`);
  }
  return raw.toLowerCase() as Address;
}

export function parseUint64(raw: string, name: string, code: "invalid_policy_id" | "invalid_time" | "invalid_batch_id"): bigint {
  if (!UINT.test(raw) || raw.length > 20 || BigInt(raw) > UINT64_MAX) {
    throw badRequest(code, `${name} must be an unsigned 64-bit decimal integer`);
  }
  return BigInt(raw);
}

/** Most content ids one POST /contents/policies may name (a bulk rewrap's largest batch). */
export const MAX_POLICY_LOOKUP_IDS = 1_000;

/**
 * The body of POST /contents/policies: `{ "contentIds": ["0x…", …] }` with 1 to 1,000 0x
 * contentIds, returned lowercase and without repeats.
 */
export function parseContentIdList(body: unknown): Hex[] {
  const ids = (body as { contentIds?: unknown } | null)?.contentIds;
  const keys = typeof body === "object" && body !== null ? Object.keys(body) : [];
  if (!Array.isArray(ids) || keys.length !== 1) throw badRequest("invalid_body", 'expected { "contentIds": ["0x…", …] }');
  if (ids.length === 0 || ids.length > MAX_POLICY_LOOKUP_IDS) {
    throw badRequest("invalid_body", `contentIds must name 1 to ${MAX_POLICY_LOOKUP_IDS} contents`);
  }
  if (!ids.every((id) => typeof id === "string" && isContentId(id))) {
    throw badRequest("invalid_body", "every contentId must be a 0x-prefixed 32-byte hex string");
  }
  return [...new Set(ids.map((id: string) => id.toLowerCase() as Hex))];
}

/** `limit`: `bounds.default` when absent; 1 or more, larger values capped at `bounds.max`; anything else is refused. */
export function parseLimit(raw: string | undefined, bounds: LimitBounds): number {
  if (raw === undefined) return bounds.default;
  if (!UINT.test(raw)) throw badRequest("invalid_limit", "limit must be a positive integer");
  // Compare as text first so a thousand-digit limit does not become Infinity.
  const digits = raw.replace(/^0+(?=\d)/, "");
  const n = digits.length > 9 ? bounds.max + 1 : Number(digits);
  if (n < 1) throw badRequest("invalid_limit", "limit must be at least 1");
  return Math.min(n, bounds.max);
}

/** Refuses query parameters the endpoint does not know: a typo must not silently widen a query. */
export function rejectUnknownParameters(query: Record<string, string>, known: readonly string[]): void {
  for (const name of Object.keys(query)) {
    if (!known.includes(name)) throw badRequest("unknown_parameter", "the request has a query parameter this endpoint does not take");
  }
}
