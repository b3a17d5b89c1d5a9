/**
 * Bounds-checked cursor over a byte array. Every read states what it is reading so a short
 * input fails with TDF_TRUNCATED naming the field; lengths are checked against what is left
 * before anything is sliced, so a length field claiming 16 MiB in a 100-byte input fails
 * at once and allocates nothing.
 */
import { TdfError } from "./errors.js";

export class ByteReader {
  readonly #bytes: Uint8Array;
  #offset: number;

  constructor(bytes: Uint8Array, offset = 0) {
    this.#bytes = bytes;
    this.#offset = offset;
  }

  get offset(): number {
    return this.#offset;
  }

  get remaining(): number {
    return this.#bytes.length - this.#offset;
  }

  #need(length: number, field: string): void {
    if (length > this.remaining) {
      throw new TdfError("TDF_TRUNCATED", `input ends inside ${field}`, {
        details: { field, offset: this.#offset, needed: length, available: this.remaining },
      });
    }
  }

  u8(field: string): number {
    this.#need(1, field);
    return this.#bytes[this.#offset++]!;
  }

  u16(field: string): number {
    this.#need(2, field);
    const value = (this.#bytes[this.#offset]! << 8) | this.#bytes[this.#offset + 1]!;
    this.#offset += 2;
    return value;
  }

  u24(field: string): number {
    this.#need(3, field);
    const b = this.#bytes;
    const value = (b[this.#offset]! << 16) | (b[this.#offset + 1]! << 8) | b[this.#offset + 2]!;
    this.#offset += 3;
    return value;
  }

  /** A copy of the bytes from `start` up to the current position. */
  bytesBefore(start: number): Uint8Array {
    return this.#bytes.slice(start, this.#offset);
  }

  /** A view (no copy) of the next `length` bytes. */
  bytes(length: number, field: string): Uint8Array {
    this.#need(length, field);
    const view = this.#bytes.subarray(this.#offset, this.#offset + length);
    this.#offset += length;
    return view;
  }
}
