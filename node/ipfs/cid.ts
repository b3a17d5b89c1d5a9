/**
 * Content CIDs in IPFS terms: parsing one, importing and computing one from a stream. The
 * definition itself (importer options) is node/protocol/contentCid.ts.
 */
import { importer, type ImporterOptions, type WritableStorage } from "ipfs-unixfs-importer";
import { CID } from "multiformats/cid";
import { CHUNK_SIZE, UNIXFS_IMPORT_OPTIONS } from "../protocol/contentCid.js";
import { asIpfsError, IpfsError } from "./errors.js";

export { CHUNK_SIZE, MAX_CHILDREN_PER_NODE, UNIXFS_IMPORT_OPTIONS } from "../protocol/contentCid.js";
/** Multicodecs a content CID may carry: raw (one-chunk files) or dag-pb (the UnixFS root). */
export const RAW_CODEC = 0x55;
export const DAG_PB_CODEC = 0x70;
const SHA2_256 = 0x12;

/**
 * Blocks a read loads ahead of its reader, per DAG level (fileReader.ts): 8 blocks (2 MiB)
 * keep the disk or the network busy without holding a tree level (174 × 256 KiB ≈ 44 MiB).
 */
export const BLOCK_READ_CONCURRENCY = 8;

/** The same definition as Kubo RPC `add` parameters. */
export const KUBO_ADD_OPTIONS = Object.freeze({
  cidVersion: 1,
  rawLeaves: true,
  chunker: `size-${CHUNK_SIZE}`,
  hashAlg: "sha2-256",
  trickle: false,
});

/** Parses a content CID (text or CID); refuses anything that cannot be a content CID. */
export function parseContentCid(cid: string | CID): CID {
  let parsed: CID;
  try {
    parsed = typeof cid === "string" ? CID.parse(cid) : CID.asCID(cid)!;
  } catch (cause) {
    throw new IpfsError("IPFS_INVALID_CID", "not a CID", { cause });
  }
  if (parsed === null || parsed === undefined) throw new IpfsError("IPFS_INVALID_CID", "not a CID");
  if (parsed.version !== 1 || (parsed.code !== RAW_CODEC && parsed.code !== DAG_PB_CODEC) || parsed.multihash.code !== SHA2_256) {
    throw new IpfsError("IPFS_INVALID_CID", "not a content CID (CIDv1, raw or dag-pb, sha2-256)", { details: { cid: parsed.toString() } });
  }
  return parsed;
}

export type ByteSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

export interface ImportOptions {
  /** IPFS_TOO_LARGE as soon as more bytes arrive. */
  maxBytes?: number;
  signal?: AbortSignal;
  /** Called with the running byte count as bytes are read. */
  onBytes?: (bytes: number) => void;
}

/** Counts bytes on their way into the importer and stops at `maxBytes`. */
async function* metered(source: ByteSource, options: ImportOptions, total: { bytes: number }): AsyncGenerator<Uint8Array> {
  const max = options.maxBytes ?? Number.POSITIVE_INFINITY;
  for await (const chunk of source) {
    options.signal?.throwIfAborted();
    if (!(chunk instanceof Uint8Array)) throw new IpfsError("IPFS_INVALID_ARGUMENT", "source must yield Uint8Arrays");
    total.bytes += chunk.byteLength;
    if (total.bytes > max) throw new IpfsError("IPFS_TOO_LARGE", "content is larger than allowed", { details: { maxBytes: max } });
    options.onBytes?.(total.bytes);
    if (chunk.byteLength > 0) yield chunk;
  }
}

/** Imports `source` into `blockstore` under the content definition; returns the root CID and the byte count. */
export async function importContent(source: ByteSource, blockstore: WritableStorage, options: ImportOptions = {}): Promise<{ cid: CID; bytes: number }> {
  if (options.maxBytes !== undefined && (!Number.isSafeInteger(options.maxBytes) || options.maxBytes < 0)) {
    throw new IpfsError("IPFS_INVALID_ARGUMENT", "maxBytes must be a non-negative integer");
  }
  const total = { bytes: 0 };
  try {
    let root: CID | undefined;
    for await (const entry of importer([{ content: metered(source, options, total) }], blockstore, { ...UNIXFS_IMPORT_OPTIONS, signal: options.signal } as ImporterOptions)) {
      root = entry.cid;
    }
    if (root === undefined) throw new IpfsError("IPFS_STORAGE", "the importer produced no root");
    return { cid: root, bytes: total.bytes };
  } catch (error) {
    throw asIpfsError(error, "IPFS_STORAGE", "importing the content failed", options.signal);
  }
}

/** A block sink that keeps nothing: for computing a CID without storing the blocks. */
export const DISCARD_BLOCKS: WritableStorage = { put: async (cid: CID) => cid };

/** The content CID of `source` (streams it once, stores nothing). */
export async function computeCid(source: ByteSource, options: ImportOptions = {}): Promise<{ cid: string; bytes: number }> {
  const { cid, bytes } = await importContent(source, DISCARD_BLOCKS, options);
  return { cid: cid.toString(), bytes };
}
