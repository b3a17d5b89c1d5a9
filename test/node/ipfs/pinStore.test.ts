/**
 * The validator pin store: CIDs equal the importer's under the content definition, refusals
 * (wrong CID, too large, aborted, malformed CID) keep nothing, reads stream, pins survive a
 * restart.
 */
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { computeCid, createPinStore, IpfsError, type PinStore } from "../../../node/ipfs/index.js";
import { BOUNDARY_SIZES, collect, content, digest, removeTempDirs, tempDir } from "./helpers.js";

after(removeTempDirs);

function filesIn(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name);
}

async function refusedWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof IpfsError, `expected an IpfsError, got ${String(error)}`);
    assert.equal(error.code, code);
    return true;
  });
}

describe("pin store", () => {
  it("pins every boundary size under the importer's CID and streams it back", async () => {
    const dir = tempDir();
    const pins = await createPinStore({ dir });
    try {
      for (const size of BOUNDARY_SIZES) {
        const { cid } = await computeCid(content(size, `pin-${size}`));
        const put = await pins.put(cid, content(size, `pin-${size}`));
        assert.deepEqual(put, { cid, bytes: size });
        assert.equal(await pins.has(cid), true);
        assert.equal(await pins.size(cid), size);
        assert.deepEqual(await digest(pins.get(cid)), await digest(content(size, `pin-${size}`)), `size ${size}`);
      }
      assert.deepEqual(filesIn(join(dir, "staging")), []);
    } finally {
      await pins.close();
    }
  });

  it("error: bytes that import to another CID are refused and nothing is kept", async () => {
    const dir = tempDir();
    const pins = await createPinStore({ dir });
    try {
      const { cid } = await computeCid(content(300_000, "a"));
      await refusedWith(pins.put(cid, content(300_000, "b")), "IPFS_CID_MISMATCH");
      assert.equal(await pins.has(cid), false);
      assert.deepEqual(filesIn(join(dir, "blocks")), []);
      assert.deepEqual(filesIn(join(dir, "pins")), []);
      assert.deepEqual(filesIn(join(dir, "staging")), []);
    } finally {
      await pins.close();
    }
  });

  it("error: more than maxBytes is refused while streaming and nothing is kept", async () => {
    const dir = tempDir();
    const pins = await createPinStore({ dir });
    try {
      const { cid } = await computeCid(content(1_000_000));
      let pulled = 0;
      const source = (function* () {
        for (const piece of content(1_000_000)) {
          pulled += piece.byteLength;
          yield piece;
        }
      })();
      await refusedWith(pins.put(cid, source, { maxBytes: 100_000 }), "IPFS_TOO_LARGE");
      assert.ok(pulled <= 100_000 + 65_536, `read ${pulled} bytes past the limit`);
      assert.deepEqual(filesIn(join(dir, "blocks")), []);
      assert.deepEqual(filesIn(join(dir, "staging")), []);
      // Exactly maxBytes is fine.
      assert.deepEqual(await pins.put(cid, content(1_000_000), { maxBytes: 1_000_000 }), { cid, bytes: 1_000_000 });
    } finally {
      await pins.close();
    }
  });

  it("error: malformed and foreign CIDs, unknown contents, aborted puts", async () => {
    const dir = tempDir();
    const pins = await createPinStore({ dir });
    try {
      await refusedWith(pins.put("not-a-cid", content(10)), "IPFS_INVALID_CID");
      // CIDv0 (dag-pb, sha2-256, base58) is a valid CID but not a content CID.
      await refusedWith(pins.put("QmbWqxBEKC3P8tqsKc98xmWNzrzDtRLMiMPL8wBuTGsMnR", content(10)), "IPFS_INVALID_CID");
      // dag-cbor codec
      await refusedWith(pins.has("bafyreigbtj4x7ip5legnfznufuopl4sg4knzc2cof6duas4b3q2fy6swua"), "IPFS_INVALID_CID");
      const { cid } = await computeCid(content(1));
      assert.equal(await pins.has(cid), false);
      assert.equal(await pins.size(cid), undefined);
      await refusedWith(collect(pins.get(cid)), "IPFS_NOT_FOUND");

      const controller = new AbortController();
      const big = await computeCid(content(2_000_000));
      const slow = (async function* () {
        for (const piece of content(2_000_000)) {
          yield piece;
          controller.abort();
        }
      })();
      await refusedWith(pins.put(big.cid, slow, { signal: controller.signal }), "IPFS_ABORTED");
      assert.equal(await pins.has(big.cid), false);
      assert.deepEqual(filesIn(join(dir, "staging")), []);
    } finally {
      await pins.close();
    }
    await refusedWith(pins.has("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"), "IPFS_CLOSED");
  });

  it("pins survive a restart; concurrent puts of one content agree", async () => {
    const dir = tempDir();
    let pins: PinStore = await createPinStore({ dir });
    const { cid } = await computeCid(content(600_000, "restart"));
    const results = await Promise.all([pins.put(cid, content(600_000, "restart")), pins.put(cid, content(600_000, "restart"))]);
    assert.deepEqual(results[0], results[1]);
    await pins.close();
    pins = await createPinStore({ dir });
    try {
      assert.equal(await pins.has(cid), true);
      assert.deepEqual(await digest(pins.get(cid)), await digest(content(600_000, "restart")));
    } finally {
      await pins.close();
    }
  });
});
