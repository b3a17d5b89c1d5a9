import assert from "node:assert/strict";
import { DekmeshError } from "../../../../node/protocol/errors.js";
import { P256PrivateKey } from "../../../../node/crypto/keys/index.js";

/** Asserts `fn` throws a DekmeshError with `code` (and nothing else: no RangeError, no OpenSSL error). */
export function assertCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof DekmeshError, `expected a DekmeshError, got ${String(error)}`);
    assert.equal(error.code, code);
    return true;
  });
}

export async function assertRejectsCode(fn: () => Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(fn, (error: unknown) => {
    assert.ok(error instanceof DekmeshError, `expected a DekmeshError, got ${String(error)}`);
    assert.equal(error.code, code);
    return true;
  });
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

export function fromHex(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, "hex"));
}

export async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts);
}

export function* chunked(bytes: Uint8Array, size: number): Generator<Uint8Array> {
  for (let offset = 0; offset < bytes.length; offset += size) yield bytes.subarray(offset, offset + size);
}

/** A fixed KAS key so failures reproduce; tests that need fresh keys generate them. */
export const TEST_KAS_KEY = P256PrivateKey.fromBytes(fromHex("6c1c0fc3b2d5a0e1d7f0aa55c3b8a4c2e6f1d0c9b8a7f6e5d4c3b2a190817263"));
export const TEST_LOCATOR = "https://validator-1.dekmesh.example:8443";
