import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";
import { DekStore, type DekStoreOptions, type Hex } from "../../../../node/validator/store/index.js";

const roots: string[] = [];
after(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

/** A fresh temporary directory, removed when the test file finishes. */
export function tempDir(prefix = "dekmesh-store-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  roots.push(dir);
  return dir;
}

export function openStore(overrides: Partial<DekStoreOptions> = {}): DekStore {
  return DekStore.open({ directory: join(tempDir(), "store"), storageKey: randomBytes(32), ...overrides });
}

/** Deterministic 32-byte hex from a label (content ids, digests in tests). */
export function hex32(label: string): Hex {
  return `0x${createHash("sha256").update(label).digest("hex")}`;
}

export function address(label: string): Hex {
  return `0x${createHash("sha256").update(label).digest("hex").slice(0, 40)}`;
}

/** The DEK the tests store for a content id: derivable, so a crashed writer's DEKs can be checked. */
export function dekFor(contentId: string): Uint8Array {
  return new Uint8Array(createHash("sha256").update(`dek:${contentId}`).digest());
}

export function auditRecord(label: string, servedAt = 1_800_000_000) {
  return { contentId: hex32(`content:${label}`), requester: address(`reader:${label}`), requestDigest: hex32(`digest:${label}`), servedAt };
}

export function assertBytes(actual: Uint8Array | undefined, expected: Uint8Array): void {
  assert.ok(actual !== undefined, "expected bytes, got undefined");
  assert.equal(Buffer.from(actual).toString("hex"), Buffer.from(expected).toString("hex"));
}

/** Asserts `promise` rejects with a StoreError of `code`. */
export async function rejectsWith(promise: Promise<unknown> | (() => unknown), code: string): Promise<void> {
  try {
    await (typeof promise === "function" ? promise() : promise);
  } catch (error) {
    if ((error as { code?: string }).code === code) return;
    throw new Error(`expected ${code}, got ${(error as { code?: string }).code ?? error}`, { cause: error });
  }
  throw new Error(`expected ${code}, but it succeeded`);
}
