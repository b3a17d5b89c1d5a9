/**
 * Reading a UnixFS file out of a block store at the pace of its reader.
 *
 * ipfs-unixfs-exporter's file content walks the DAG on its own and pushes every leaf into an
 * unbounded queue (it-pushable) as fast as the block store answers; a reader slower than the
 * disk (an HTTP response, a decrypt) lets that queue grow to the whole file — 100 MiB read at
 * 50 MiB/s held ~85 MiB. This walk is pulled by its reader instead: each DAG node keeps at most
 * `readAhead` child blocks loading or loaded ahead of it, so memory is bounded by
 * readAhead × chunk size × tree depth, whatever the file size.
 *
 * Works over any block store with `get(cid)` (blockstore-fs, Helia's networked blockstore,
 * which fetches over bitswap and checks hashes). Sizes are checked against the UnixFS
 * metadata as the bytes pass: a DAG that does not hold the bytes it declares fails typed.
 */
import * as dagPb from "@ipld/dag-pb";
import { UnixFS } from "ipfs-unixfs";
import type { CID } from "multiformats/cid";
import { BLOCK_READ_CONCURRENCY, DAG_PB_CODEC, RAW_CODEC } from "./cid.js";
import { IpfsError } from "./errors.js";

/** What the walk needs of a block store. interface-blockstore 7 answers a stream of bytes. */
export interface BlockSource {
  get(cid: CID, options?: { signal?: AbortSignal }): unknown;
}

export interface ReadFileOptions {
  signal?: AbortSignal;
  /** Child blocks each DAG node loads ahead of its reader. Default BLOCK_READ_CONCURRENCY. */
  readAhead?: number;
}

/** Far deeper than any real file (174^32 chunks); a crafted chain DAG stops here. */
const MAX_DEPTH = 32;

async function loadBlock(blocks: BlockSource, cid: CID, signal: AbortSignal | undefined): Promise<Uint8Array> {
  const answer = await (blocks.get(cid, { signal }) as Promise<unknown> | unknown);
  if (answer instanceof Uint8Array) return answer;
  const parts: Uint8Array[] = [];
  for await (const part of answer as AsyncIterable<Uint8Array>) parts.push(part);
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

function notAFile(cid: CID, why: string): IpfsError {
  return new IpfsError("IPFS_STORAGE", `not a UnixFS file: ${why}`, { details: { cid: cid.toString() } });
}

function decodeFileNode(cid: CID, block: Uint8Array): { node: dagPb.PBNode; file: UnixFS } {
  let node: dagPb.PBNode;
  let file: UnixFS;
  try {
    node = dagPb.decode(block);
    if (node.Data === undefined) throw new Error("no data");
    file = UnixFS.unmarshal(node.Data);
  } catch (cause) {
    throw new IpfsError("IPFS_STORAGE", "not a UnixFS file: undecodable node", { cause, details: { cid: cid.toString() } });
  }
  if (file.type !== "file" && file.type !== "raw") throw notAFile(cid, `a ${file.type} node`);
  if (node.Links.length !== file.blockSizes.length) throw notAFile(cid, "links and block sizes disagree");
  return { node, file };
}

interface Walk {
  blocks: BlockSource;
  signal: AbortSignal | undefined;
  readAhead: number;
}

/** The bytes under one dag-pb file node, in order; returns how many. */
async function* walkNode(walk: Walk, cid: CID, block: Uint8Array, depth: number): AsyncGenerator<Uint8Array, bigint> {
  if (depth > MAX_DEPTH) throw notAFile(cid, "DAG too deep");
  const { node, file } = decodeFileNode(cid, block);
  let bytes = 0n;
  if (file.data !== undefined && file.data.byteLength > 0) {
    bytes += BigInt(file.data.byteLength);
    yield file.data;
  }
  const links = node.Links;
  // Ordered read-ahead: loads for the next `readAhead` children are in flight while the reader
  // consumes the current one; a load starts only when one is taken off the window.
  const window: Promise<Uint8Array>[] = [];
  let next = 0;
  const fill = (): void => {
    while (next < links.length && window.length < walk.readAhead) {
      const load = loadBlock(walk.blocks, links[next++]!.Hash, walk.signal);
      // Rejections are seen when the load is awaited; one left behind by a reader that stopped must not go unhandled.
      load.catch(() => {});
      window.push(load);
    }
  };
  try {
    for (let i = 0; i < links.length; i++) {
      fill();
      const child = await window.shift()!;
      walk.signal?.throwIfAborted();
      const link = links[i]!.Hash;
      let childBytes: bigint;
      if (link.code === RAW_CODEC) {
        childBytes = BigInt(child.byteLength);
        if (child.byteLength > 0) yield child;
      } else if (link.code === DAG_PB_CODEC) {
        childBytes = yield* walkNode(walk, link, child, depth + 1);
      } else {
        throw notAFile(link, `unsupported codec 0x${link.code.toString(16)}`);
      }
      if (childBytes !== file.blockSizes[i]) throw notAFile(cid, "a child holds other than its declared size");
      bytes += childBytes;
    }
  } finally {
    window.length = 0;
  }
  return bytes;
}

/** The bytes of the UnixFS file (or raw block) `cid`, read ahead by at most `readAhead` blocks per DAG level. */
export async function* readUnixFsFile(cid: CID, blocks: BlockSource, options: ReadFileOptions = {}): AsyncGenerator<Uint8Array> {
  const readAhead = options.readAhead ?? BLOCK_READ_CONCURRENCY;
  if (!Number.isSafeInteger(readAhead) || readAhead < 1) throw new IpfsError("IPFS_INVALID_ARGUMENT", "readAhead must be a positive integer");
  const root = await loadBlock(blocks, cid, options.signal);
  if (cid.code === RAW_CODEC) {
    if (root.byteLength > 0) yield root;
    return;
  }
  if (cid.code !== DAG_PB_CODEC) throw notAFile(cid, `unsupported codec 0x${cid.code.toString(16)}`);
  const declared = decodeFileNode(cid, root).file.fileSize();
  const bytes = yield* walkNode({ blocks, signal: options.signal, readAhead }, cid, root, 0);
  if (bytes !== declared) throw notAFile(cid, "the DAG holds other than the declared file size");
}
