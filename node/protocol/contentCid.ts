/**
 * The one definition of a dekmesh content CID (docs/client.md "Content CIDs"): the encrypted
 * file imported as a UnixFS file, CIDv1, raw leaves, fixed 262,144-byte chunks, balanced DAG
 * with at most 174 children per node, sha2-256 — Kubo's `ipfs add --cid-version=1` defaults,
 * so the client, the validators' pin stores, Helia and a Kubo daemon all compute the same CID.
 * (The importer's own defaults follow IPIP-499's 2025 profile — 1 MiB chunks, 1,024 links —
 * which gives other CIDs; every option is therefore spelled out.) Here, with no I/O, so the
 * indexer can check an audit evidence blob against the CID on chain as the CLI does;
 * node/ipfs streams, stores and pins under the same options.
 */
import { importer, type ImporterOptions } from "ipfs-unixfs-importer";
import { fixedSize } from "ipfs-unixfs-importer/chunker";
import { balanced } from "ipfs-unixfs-importer/layout";

export const CHUNK_SIZE = 262_144;
export const MAX_CHILDREN_PER_NODE = 174;

/** Importer options of the content definition; pass them to any ipfs-unixfs-importer call (Helia's addByteStream too). */
export const UNIXFS_IMPORT_OPTIONS = Object.freeze({
  cidVersion: 1,
  rawLeaves: true,
  reduceSingleLeafToSelf: true,
  chunker: fixedSize({ chunkSize: CHUNK_SIZE }),
  layout: balanced({ maxChildrenPerNode: MAX_CHILDREN_PER_NODE }),
  wrapWithDirectory: false,
}) satisfies ImporterOptions;

/** The content CID (text) of bytes held in memory; the blocks are computed and dropped. */
export async function contentCidOf(bytes: Uint8Array): Promise<string> {
  let root: string | undefined;
  for await (const entry of importer([{ content: [bytes] }], { put: async (cid) => cid }, UNIXFS_IMPORT_OPTIONS as ImporterOptions)) root = entry.cid.toString();
  return root!;
}
