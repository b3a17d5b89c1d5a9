/**
 * readUnixFsFile (node/ipfs/fileReader.ts): the pin store's and Helia's read path.
 *
 * - it returns exactly the imported bytes for the content definition's boundary sizes, and for
 *   deep DAGs built with small chunks and few links (every level of the walk exercised cheaply);
 * - it is pulled by its reader: with a reader that stops after every chunk, no more than
 *   `readAhead` leaves are ever loaded ahead of it (ipfs-unixfs-exporter loads them all);
 * - a pin store read of a file many times the read-ahead keeps the live set flat;
 * - a DAG whose sizes lie, a directory, an unknown codec, a missing block and an abort fail.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { setImmediate as yieldToLoop } from "node:timers/promises";
import * as dagPb from "@ipld/dag-pb";
import { FsBlockstore } from "blockstore-fs";
import { UnixFS } from "ipfs-unixfs";
import { importer } from "ipfs-unixfs-importer";
import { fixedSize } from "ipfs-unixfs-importer/chunker";
import { balanced } from "ipfs-unixfs-importer/layout";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { sha256 } from "multiformats/hashes/sha2";
import { createPinStore, importContent, IpfsError } from "../../../node/ipfs/index.js";
import { readUnixFsFile, type BlockSource } from "../../../node/ipfs/fileReader.js";
import { liveSetBytes } from "../helpers/liveSet.js";
import { BOUNDARY_SIZES, content, digest, removeTempDirs, tempDir } from "./helpers.js";

after(removeTempDirs);

async function openBlocks(): Promise<FsBlockstore> {
  const blocks = new FsBlockstore(tempDir());
  await blocks.open();
  return blocks;
}

/** Imports `size` bytes with a small tree shape: chunkSize bytes per leaf, `links` children per node. */
async function importSmall(blocks: FsBlockstore, size: number, seed: string, chunkSize: number, links: number): Promise<CID> {
  let root: CID | undefined;
  const options = { cidVersion: 1 as const, rawLeaves: true, chunker: fixedSize({ chunkSize }), layout: balanced({ maxChildrenPerNode: links }) };
  for await (const entry of importer([{ content: content(size, seed, 777) }], blocks, options)) root = entry.cid;
  return root!;
}

async function putBlock(blocks: FsBlockstore, codec: number, bytes: Uint8Array): Promise<CID> {
  const cid = CID.createV1(codec, await sha256.digest(bytes));
  await blocks.put(cid, bytes);
  return cid;
}

async function refusedWith(source: AsyncIterable<Uint8Array>, code: string): Promise<void> {
  await assert.rejects(digest(source), (error: unknown) => {
    assert.ok(error instanceof IpfsError, `expected an IpfsError, got ${String(error)}`);
    assert.equal(error.code, code);
    return true;
  });
}

describe("readUnixFsFile", () => {
  it("reads back every boundary size of the content definition and deep small-chunk DAGs", async () => {
    const blocks = await openBlocks();
    try {
      for (const size of BOUNDARY_SIZES) {
        const { cid } = await importContent(content(size, `read-${size}`), blocks);
        assert.deepEqual(await digest(readUnixFsFile(cid, blocks)), await digest(content(size, `read-${size}`)), `size ${size}`);
      }
      // 1,000 leaves of 64 bytes, 3 links per node: 7 levels.
      for (const readAhead of [1, 2, 8]) {
        const cid = await importSmall(blocks, 64_000, "deep", 64, 3);
        assert.deepEqual(await digest(readUnixFsFile(cid, blocks, { readAhead })), await digest(content(64_000, "deep", 777)), `readAhead ${readAhead}`);
      }
    } finally {
      await blocks.close();
    }
  });

  it("a slow reader holds at most readAhead leaves ahead of it", async () => {
    const blocks = await openBlocks();
    try {
      const cid = await importSmall(blocks, 200 * 1024, "slow", 1024, 16);
      let leavesLoaded = 0;
      const counting: BlockSource = {
        get: async (c, options) => {
          const parts: Uint8Array[] = [];
          for await (const part of blocks.get(c, options)) parts.push(part);
          if (c.code === raw.code) leavesLoaded++;
          return Buffer.concat(parts);
        },
      };
      for (const readAhead of [1, 4]) {
        leavesLoaded = 0;
        let leavesRead = 0;
        let maxAhead = 0;
        for await (const _ of readUnixFsFile(cid, counting, { readAhead })) {
          leavesRead++;
          // Give any runaway walk plenty of turns of the event loop to race ahead.
          for (let i = 0; i < 20; i++) await yieldToLoop();
          maxAhead = Math.max(maxAhead, leavesLoaded - leavesRead);
        }
        assert.equal(leavesRead, 200);
        assert.ok(maxAhead <= readAhead, `readAhead ${readAhead}: ${maxAhead} leaves loaded ahead of the reader`);
      }
    } finally {
      await blocks.close();
    }
  });

  it("a pin store read of 64 MiB by a slow reader keeps the live set flat", async () => {
    const pins = await createPinStore({ dir: tempDir() });
    try {
      const size = 64 * 1024 * 1024;
      const { cid } = await pins.add(content(size, "flat", 1024 * 1024));
      const live = liveSetBytes;
      const baseline = live();
      let peak = baseline;
      let bytes = 0;
      for await (const chunk of pins.get(cid)) {
        bytes += chunk.byteLength;
        // A reader slower than the disk (the exporter queued ~85 MiB of a 100 MiB file here).
        await new Promise((resolve) => setTimeout(resolve, 2));
        if (bytes % (8 * 1024 * 1024) === 0) peak = Math.max(peak, live());
      }
      assert.equal(bytes, size);
      const grewMiB = (peak - baseline) / (1024 * 1024);
      // readAhead (8) × 256 KiB leaves per level, two levels: ~4 MiB; measured +2.6 MiB.
      assert.ok(grewMiB < 8, `the live set grew by ${grewMiB.toFixed(1)} MiB`);
    } finally {
      await pins.close();
    }
  });

  it("error: lying sizes, a directory, an unknown codec, a missing block, an abort, a bad readAhead", async () => {
    const blocks = await openBlocks();
    try {
      const leaf = await putBlock(blocks, raw.code, new Uint8Array(5).fill(1));
      const fileNode = (blockSizes: bigint[], link: CID): Uint8Array =>
        dagPb.encode(dagPb.prepare({ Data: new UnixFS({ type: "file", blockSizes }).marshal(), Links: [{ Hash: link, Tsize: 5 }] }));
      const lying = await putBlock(blocks, dagPb.code, fileNode([10n], leaf));
      await refusedWith(readUnixFsFile(lying, blocks), "IPFS_STORAGE");
      const honest = await putBlock(blocks, dagPb.code, fileNode([5n], leaf));
      assert.equal((await digest(readUnixFsFile(honest, blocks))).bytes, 5);

      const directory = await putBlock(blocks, dagPb.code, dagPb.encode(dagPb.prepare({ Data: new UnixFS({ type: "directory" }).marshal(), Links: [] })));
      await refusedWith(readUnixFsFile(directory, blocks), "IPFS_STORAGE");

      const cbor = await putBlock(blocks, 0x71, new Uint8Array([0xa0]));
      await refusedWith(readUnixFsFile(cbor, blocks), "IPFS_STORAGE");
      const viaCbor = await putBlock(blocks, dagPb.code, fileNode([1n], cbor));
      await refusedWith(readUnixFsFile(viaCbor, blocks), "IPFS_STORAGE");

      const garbage = await putBlock(blocks, dagPb.code, new Uint8Array([0xff, 0xff, 0xff]));
      await refusedWith(readUnixFsFile(garbage, blocks), "IPFS_STORAGE");

      const absent = CID.createV1(raw.code, await sha256.digest(new Uint8Array([9])));
      const dangling = await putBlock(blocks, dagPb.code, fileNode([1n], absent));
      await assert.rejects(digest(readUnixFsFile(dangling, blocks)), (error: Error) => error.name === "NotFoundError");

      const big = await importSmall(blocks, 50_000, "abort", 1000, 8);
      const controller = new AbortController();
      let read = 0;
      await assert.rejects(
        (async () => {
          for await (const chunk of readUnixFsFile(big, blocks, { signal: controller.signal })) {
            read += chunk.byteLength;
            controller.abort();
          }
        })(),
      );
      assert.ok(read < 50_000);

      await refusedWith(readUnixFsFile(honest, blocks, { readAhead: 0 }), "IPFS_INVALID_ARGUMENT");
    } finally {
      await blocks.close();
    }
  });
});
