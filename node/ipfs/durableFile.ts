/**
 * Replacing a small file so that a crash at any instant leaves either the old contents or the
 * new, never a mix or nothing: write a temporary sibling, fsync it, rename it over the file
 * (atomic within one file system), then fsync the directory so the rename itself survives a
 * power cut. Used for pin records and the reader's lease keystore (node/sdk/leases); it lives
 * beside the pin store because node/protocol does no I/O.
 */
import { randomUUID } from "node:crypto";
import { open, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";

export async function writeFileDurably(file: string, data: string | Uint8Array, options: { mode?: number } = {}): Promise<void> {
  const temp = `${file}.${randomUUID()}.tmp`;
  const handle = await open(temp, "w", options.mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  await rename(temp, file);
  const directory = await open(dirname(file), "r");
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}
