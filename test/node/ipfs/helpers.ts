/** Deterministic test content for the IPFS tests, generated chunk by chunk (never whole in memory). */
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CHUNK_SIZE, MAX_CHILDREN_PER_NODE } from "../../../node/ipfs/index.js";

/** Sizes around every boundary of the content definition: empty, one byte, one chunk ± 1, past the first tree level. */
export const BOUNDARY_SIZES = [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, MAX_CHILDREN_PER_NODE * CHUNK_SIZE + 1] as const;

/** `size` pseudo-random bytes from `seed`, in pieces of `piece` bytes (SHA-256 in counter mode). */
export function* content(size: number, seed = "dekmesh", piece = 65_536): Generator<Uint8Array> {
  let counter = 0;
  for (let offset = 0; offset < size; offset += piece) {
    const length = Math.min(piece, size - offset);
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i += 32) {
      const block = createHash("sha256").update(`${seed}:${counter++}`).digest();
      out.set(block.subarray(0, Math.min(32, length - i)), i);
    }
    yield out;
  }
}

export async function collect(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const part of source) parts.push(part);
  return Buffer.concat(parts);
}

export async function digest(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash("sha256");
  let bytes = 0;
  for await (const part of source) {
    hash.update(part);
    bytes += part.byteLength;
  }
  return { sha256: hash.digest("hex"), bytes };
}

const dirs: string[] = [];
export function tempDir(prefix = "dekmesh-ipfs-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}
export function removeTempDirs(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}
