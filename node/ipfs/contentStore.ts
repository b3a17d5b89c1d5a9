import type { ByteSource } from "./cid.js";

export interface ContentStoreCallOptions {
  signal?: AbortSignal;
  /** Bytes read so far (add: from the source; cat: delivered to the caller). */
  onProgress?: (bytes: number) => void;
}

/**
 * Where a client keeps ciphertexts: an embedded Helia node or a Kubo daemon. Every
 * implementation computes CIDs under the content definition (cid.ts), so a content has the
 * same CID wherever it is stored.
 */
export interface ContentStore {
  /** Stores (and pins) the bytes; returns their content CID. */
  add(source: ByteSource, options?: ContentStoreCallOptions): Promise<string>;
  /** The content's bytes, checked against the CID; IPFS_NOT_FOUND / IPFS_UNAVAILABLE when it cannot be had. */
  cat(cid: string, options?: ContentStoreCallOptions): AsyncIterable<Uint8Array>;
  /** The content's length in bytes as the store declares it (its UnixFS root), if it can say without reading the bytes; for progress only. */
  size?(cid: string, options?: { signal?: AbortSignal }): Promise<number | undefined>;
  stop(): Promise<void>;
}

/** Reports a running byte count as chunks pass. */
export async function* counted(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, onProgress: ((bytes: number) => void) | undefined): AsyncGenerator<Uint8Array> {
  let bytes = 0;
  for await (const chunk of source) {
    bytes += chunk.byteLength;
    onProgress?.(bytes);
    yield chunk;
  }
}
