/**
 * The validator's pin store (docs/architecture.md#the-validator-node upload): ciphertexts a publisher PUTs to its initial
 * validator, kept as UnixFS blocks under the content definition (cid.ts) in a blockstore-fs
 * directory, and served back as byte streams.
 *
 * A put imports into a private staging directory first. Only if the bytes import to exactly
 * the announced CID, within maxBytes, are the blocks moved (renamed, same file system) into the
 * block store, and then a pin record is written — the record is what `has` and `get` trust, so
 * a crash between the two leaves at most unreferenced blocks, never a half-pinned content. A
 * refused or aborted put deletes its staging directory: nothing is kept.
 *
 * Layout under `dir`: blocks/ (blockstore-fs), pins/<cid> (pin records: the byte count),
 * staging/<random>/ (in-flight puts; cleared at open).
 */
import { randomUUID } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { join, relative } from "node:path";
import { FsBlockstore } from "blockstore-fs";
import { writeFileDurably } from "./durableFile.js";
import type { CID } from "multiformats/cid";
import { importContent, parseContentCid, type ByteSource } from "./cid.js";
import { counted, type ContentStore } from "./contentStore.js";
import { asIpfsError, IpfsError } from "./errors.js";
import { readUnixFsFile } from "./fileReader.js";

export interface PinStore {
  /** Imports the bytes; refuses (typed error, nothing kept) if they do not hash to `cid` or exceed maxBytes. */
  put(cid: string, source: ByteSource, options?: { maxBytes?: number; signal?: AbortSignal }): Promise<{ cid: string; bytes: number }>;
  has(cid: string): Promise<boolean>;
  /** The file bytes; IPFS_NOT_FOUND (thrown on first read) if the content is not pinned. */
  get(cid: string, options?: { signal?: AbortSignal }): AsyncIterable<Uint8Array>;
  /** Imports bytes under whatever CID they import to (no expectation). */
  add(source: ByteSource, options?: { maxBytes?: number; signal?: AbortSignal }): Promise<{ cid: string; bytes: number }>;
  /** Byte count of a pinned content, or undefined. */
  size(cid: string): Promise<number | undefined>;
  close(): Promise<void>;
}

export interface PinStoreInit {
  dir: string;
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

class FsPinStore implements PinStore {
  readonly #blocks: FsBlockstore;
  readonly #blocksDir: string;
  readonly #pinsDir: string;
  readonly #stagingDir: string;
  readonly #inFlight = new Set<AbortController>();
  #closed = false;

  constructor(dir: string) {
    this.#blocksDir = join(dir, "blocks");
    this.#pinsDir = join(dir, "pins");
    this.#stagingDir = join(dir, "staging");
    this.#blocks = new FsBlockstore(this.#blocksDir);
  }

  async open(): Promise<void> {
    try {
      await rm(this.#stagingDir, { recursive: true, force: true });
      await Promise.all([mkdir(this.#pinsDir, { recursive: true }), mkdir(this.#stagingDir, { recursive: true })]);
      await this.#blocks.open();
    } catch (cause) {
      throw new IpfsError("IPFS_STORAGE", "cannot open the pin store", { cause });
    }
  }

  #checkOpen(): void {
    if (this.#closed) throw new IpfsError("IPFS_CLOSED", "the pin store is closed");
  }

  #pinFile(cid: CID): string {
    return join(this.#pinsDir, cid.toString());
  }

  async put(cidText: string, source: ByteSource, options: { maxBytes?: number; signal?: AbortSignal } = {}): Promise<{ cid: string; bytes: number }> {
    return this.#import(parseContentCid(cidText), source, options);
  }

  /** Imports bytes under whatever CID they have (the client's local spool). */
  async add(source: ByteSource, options: { maxBytes?: number; signal?: AbortSignal } = {}): Promise<{ cid: string; bytes: number }> {
    return this.#import(undefined, source, options);
  }

  async #import(expected: CID | undefined, source: ByteSource, options: { maxBytes?: number; signal?: AbortSignal }): Promise<{ cid: string; bytes: number }> {
    this.#checkOpen();
    const controller = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, controller.signal]) : controller.signal;
    this.#inFlight.add(controller);
    const stagingDir = join(this.#stagingDir, randomUUID());
    const staging = new FsBlockstore(stagingDir);
    const details = expected === undefined ? undefined : { cid: expected.toString() };
    try {
      await staging.open();
      const { cid, bytes } = await importContent(source, staging, { maxBytes: options.maxBytes, signal });
      if (expected !== undefined && cid.toString() !== expected.toString()) {
        throw new IpfsError("IPFS_CID_MISMATCH", "the bytes do not import to the announced CID", { details });
      }
      signal.throwIfAborted();
      for (const file of await filesUnder(stagingDir)) {
        const target = join(this.#blocksDir, relative(stagingDir, file));
        await mkdir(join(target, ".."), { recursive: true });
        await rename(file, target);
      }
      await writeFileDurably(this.#pinFile(cid), JSON.stringify({ bytes }));
      return { cid: cid.toString(), bytes };
    } catch (error) {
      throw asIpfsError(error, "IPFS_STORAGE", "pinning failed", signal, details);
    } finally {
      this.#inFlight.delete(controller);
      await rm(stagingDir, { recursive: true, force: true }).catch(() => {});
    }
  }

  async size(cidText: string): Promise<number | undefined> {
    this.#checkOpen();
    const cid = parseContentCid(cidText);
    try {
      const record = JSON.parse(await readFile(this.#pinFile(cid), "utf8")) as { bytes?: unknown };
      return typeof record.bytes === "number" ? record.bytes : undefined;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw new IpfsError("IPFS_STORAGE", "cannot read the pin record", { cause: error });
    }
  }

  async has(cidText: string): Promise<boolean> {
    this.#checkOpen();
    const cid = parseContentCid(cidText);
    try {
      await stat(this.#pinFile(cid));
      return true;
    } catch {
      return false;
    }
  }

  async *get(cidText: string, options: { signal?: AbortSignal } = {}): AsyncGenerator<Uint8Array> {
    this.#checkOpen();
    const cid = parseContentCid(cidText);
    if (!(await this.has(cidText))) throw new IpfsError("IPFS_NOT_FOUND", "content is not pinned here", { details: { cid: cid.toString() } });
    try {
      // Pulled by the reader (fileReader.ts): the exporter would queue the whole file ahead of a slow one.
      for await (const chunk of readUnixFsFile(cid, this.#blocks, { signal: options.signal })) {
        this.#checkOpen();
        yield chunk;
      }
    } catch (error) {
      throw asIpfsError(error, "IPFS_STORAGE", "reading pinned content failed", options.signal, { cid: cid.toString() });
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const controller of this.#inFlight) controller.abort();
    await this.#blocks.close();
  }
}

/** Opens (creating if missing) the pin store in `dir`. */
export async function createPinStore(init: PinStoreInit): Promise<PinStore> {
  if (typeof init?.dir !== "string" || init.dir.length === 0) throw new IpfsError("IPFS_INVALID_ARGUMENT", "dir is required");
  const store = new FsPinStore(init.dir);
  await store.open();
  return store;
}

/**
 * A content store without networking, on the pin store: what the client uses when no IPFS is
 * configured, to spool a ciphertext to disk between computing its CID and sending it to the
 * initial validator (so uploads of any size run in constant memory).
 */
export async function createLocalContentStore(init: PinStoreInit): Promise<ContentStore> {
  const pins = await createPinStore(init);
  return {
    add: async (source, options = {}) => (await pins.add(counted(source, options.onProgress), { signal: options.signal })).cid,
    cat: (cid, options = {}) => counted(pins.get(cid, { signal: options.signal }), options.onProgress),
    stop: () => pins.close(),
  };
}
