/**
 * The ids every part of dekmesh passes around, each with one validator. A `ContentId` is
 * keccak256 of a content's CID bytes (ContentRegistry's key); an `Address` an EVM account or
 * contract. Both are 0x-hex; the brand keeps a checked value apart from any other hex string.
 */
import { keccak_256 } from "@noble/hashes/sha3.js";
import type { Address as ViemAddress, Hex } from "viem";

export type ContentId = Hex & { readonly __brand: "ContentId" };
export type Address = ViemAddress;

const BYTES32 = /^0x[0-9a-fA-F]{64}$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/** 0x and 64 hex digits, either case. */
export function isBytes32(value: unknown): value is Hex {
  return typeof value === "string" && BYTES32.test(value);
}

/** A content id as it may arrive (either case); normalize with `toContentId`. */
export function isContentId(value: unknown): value is ContentId {
  return isBytes32(value);
}

/** A content id in its canonical form: lowercase, as decoders and `toContentId` give it. */
export function isCanonicalContentId(value: unknown): value is ContentId {
  return isBytes32(value) && value === value.toLowerCase();
}

/** The canonical (lowercase) form of a checked content id. */
export function toContentId(value: Hex): ContentId {
  return value.toLowerCase() as ContentId;
}

/** 0x and 40 hex digits, either case, checksum not enforced (as the contracts take them). */
export function isAddress(value: unknown): value is Address {
  return typeof value === "string" && ADDRESS.test(value);
}

/**
 * The EIP-55 checksum form of an address (what viem's getAddress returns). Written here because
 * the CLI checks addresses and condition text while parsing its arguments, before anything heavy
 * loads, and importing viem there costs every command's start (~200 ms;
 * test/node/cli/startup.test.ts); test/node/protocol/ids.test.ts holds it equal to viem's.
 */
export function checksumAddress(address: Address): Address {
  const lower = address.slice(2).toLowerCase();
  const hash = keccak_256(new TextEncoder().encode(lower));
  let out = "0x";
  for (let i = 0; i < 40; i++) {
    const nibble = (hash[i >> 1]! >> (i % 2 === 0 ? 4 : 0)) & 0x0f;
    out += nibble >= 8 ? lower[i]!.toUpperCase() : lower[i]!;
  }
  return out as Address;
}

/** Whether `address` is mixed case with a wrong EIP-55 checksum (all-lower and all-upper carry none). */
export function hasBadChecksum(address: Address): boolean {
  const body = address.slice(2);
  return body !== body.toLowerCase() && body !== body.toUpperCase() && checksumAddress(address) !== address;
}
