/**
 * Argument checks every command shares, done before anything heavy loads: a usage error must
 * come back in the time a bare `node` starts, so this file imports neither viem nor the SDK
 * (viem's index alone costs ~200 ms to load here, ten times Node's own start).
 */
import { keccak256 } from "../crypto/keys/keccak.js";
import { checksumAddress, hasBadChecksum, isAddress, isContentId, toContentId, type Address, type ContentId } from "../protocol/ids.js";
import { UsageError } from "./exitCodes.js";

const quoted = (value: string, max = 64) => JSON.stringify(value.slice(0, max));

/** A 0x address; mixed case must be a valid checksum (a mistyped checksummed address is refused, not used). */
export function addressArg(value: string, what: string): Address {
  if (!isAddress(value)) throw new UsageError(`${what} must be a 0x address of 40 hex digits, not ${quoted(value)}`);
  const address = checksumAddress(value);
  if (hasBadChecksum(value)) throw new UsageError(`${what} ${value} has a wrong EIP-55 checksum (did you mean ${address}?)`);
  return address;
}

/** Unix seconds or an ISO date, as unix seconds. */
export function timeArg(value: string, what: string): bigint {
  if (/^\d{1,20}$/.test(value)) return BigInt(value);
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new UsageError(`${what} must be unix seconds or an ISO date (2026-12-31T23:59:59Z), not ${quoted(value)}`);
  return BigInt(Math.floor(ms / 1000));
}

export function policyIdArg(value: string, what = "a policy id"): bigint {
  if (!/^\d{1,20}$/.test(value) || BigInt(value) >= 1n << 64n) throw new UsageError(`${what} is a decimal integer, not ${quoted(value, 40)}`);
  return BigInt(value);
}

/** A content as the user names it: its CID text (when given) and its contentId. */
export interface ContentRef {
  cid?: string;
  contentId: ContentId;
}

/**
 * A 0x contentId, or a CID and its contentId: keccak-256 of the CID's bytes (ContentRegistry's
 * key). The SDK's contentIdOf says the same but loads the IPFS stack (over a second here) to
 * also check the CID's codec; a CID that is not a content's is simply never registered.
 */
export async function contentArg(value: string): Promise<ContentRef> {
  if (isContentId(value)) return { contentId: toContentId(value) };
  // No CID text starts with 0x (base16 CIDs start with f).
  if (value.startsWith("0x")) throw new UsageError(`not a CID or a 0x contentId (0x and 64 hex digits): ${quoted(value, 80)}`);
  const { CID } = await import("multiformats/cid");
  let cid;
  try {
    cid = CID.parse(value);
  } catch {
    throw new UsageError(`not a CID or a 0x contentId: ${quoted(value, 80)}`);
  }
  const hex = Array.from(keccak256(cid.bytes), (byte) => byte.toString(16).padStart(2, "0")).join("");
  return { cid: cid.toString(), contentId: toContentId(`0x${hex}`) };
}

/** An attribute value's name, `namespace/value`. */
export function attributeArg(value: string, what = "an attribute"): string {
  if (!/^[^/\s]+\/[^/\s]+$/.test(value)) throw new UsageError(`${what} is namespace/value (clearance/secret), not ${quoted(value)}`);
  return value;
}

/** A token amount as people type it (1000, 0.5) or base units with a wei suffix; converted once the token's decimals are known. */
export interface TokenAmount {
  toUnits(decimals: number): Promise<bigint>;
}

export function tokenAmountArg(value: string, what: string): TokenAmount {
  const wei = /^(\d{1,78})wei$/.exec(value);
  if (wei === null && !/^\d{1,60}(\.\d{1,18})?$/.test(value)) {
    throw new UsageError(`${what} is a token amount (1000 or 0.5) or base units with a wei suffix (1000000wei), not ${quoted(value, 40)}`);
  }
  if (/^[0.]+(wei)?$/.test(value)) throw new UsageError(`${what} must be more than 0`);
  return {
    async toUnits(decimals) {
      if (wei !== null) return BigInt(wei[1]!);
      const { parseUnits } = await import("viem");
      return parseUnits(value, decimals);
    },
  };
}
