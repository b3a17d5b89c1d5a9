/**
 * Conversions at the store's boundary. Ids come in as 0x-hex (what viem and the indexer use)
 * or raw bytes (what the crypto core uses); the database keeps them as BLOBs (half the size of
 * hex, and compared bytewise) and hands them back as lowercase 0x-hex.
 */
import { NONCE_LENGTH } from "./constants.js";
import { StoreError } from "./errors.js";

export type Hex = `0x${string}`;
export type BytesLike = Hex | Uint8Array;

const HEX_BODY = /^[0-9a-fA-F]*$/;

export function invalidArgument(name: string, reason: string, details: Record<string, unknown> = {}): StoreError {
  return new StoreError("STORE_INVALID_ARGUMENT", `${name}: ${reason}`, { details: { argument: name, ...details } });
}

/** Exactly `length` bytes, as a Buffer the sqlite driver binds as a BLOB. */
export function toBlob(value: BytesLike, length: number, name: string): Buffer {
  let blob: Buffer;
  if (typeof value === "string") {
    if (!value.startsWith("0x") || value.length % 2 !== 0 || !HEX_BODY.test(value.slice(2))) throw invalidArgument(name, "not 0x-prefixed hex");
    blob = Buffer.from(value.slice(2), "hex");
  } else if (value instanceof Uint8Array) {
    blob = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  } else {
    throw invalidArgument(name, "expected 0x-hex or bytes");
  }
  if (blob.length !== length) throw invalidArgument(name, `expected ${length} bytes`, { length: blob.length });
  return blob;
}

/**
 * A request nonce as the uint256 the signed request carries: a bigint, or hex of at most 32
 * bytes, left-padded, so `1n`, `0x01` and `0x0001` are the same nonce.
 */
export function nonceBlob(nonce: bigint | Hex): Buffer {
  if (typeof nonce === "bigint") {
    if (nonce < 0n || nonce >= 1n << 256n) throw invalidArgument("nonce", "outside uint256");
    return Buffer.from(nonce.toString(16).padStart(NONCE_LENGTH * 2, "0"), "hex");
  }
  if (typeof nonce !== "string" || !nonce.startsWith("0x") || !HEX_BODY.test(nonce.slice(2)) || nonce.length > 2 + NONCE_LENGTH * 2) {
    throw invalidArgument("nonce", "expected a bigint or at most 32 bytes of 0x-hex");
  }
  return Buffer.from(nonce.slice(2).padStart(NONCE_LENGTH * 2, "0"), "hex");
}

/** A non-negative integer that fits SQLite's signed 64-bit INTEGER. */
export function toInteger(value: bigint | number, name: string): bigint {
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw invalidArgument(name, "not a safe integer");
    value = BigInt(value);
  }
  if (typeof value !== "bigint" || value < 0n || value > 0x7fff_ffff_ffff_ffffn) throw invalidArgument(name, "not an integer in [0, 2^63)");
  return value;
}

/** Unix seconds as a number (the unit of every timestamp in the store). */
export function toSeconds(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 0) throw invalidArgument(name, "expected non-negative integer unix seconds");
  return value;
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
