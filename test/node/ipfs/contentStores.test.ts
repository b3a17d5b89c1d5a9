/**
 * The client's content stores and the one CID definition: the importer, the validator pin
 * store, an embedded Helia node and the Kubo adapter give the same CID for every boundary size
 * (up to past one full tree level: 174 × 262,144 + 1 bytes); two Helia nodes on loopback
 * exchange a file over bitswap; a restarted Helia keeps its blocks and peer id; the Kubo
 * adapter against a Kubo-compatible RPC server (kuboRpcServer.ts) catches a daemon that
 * computes or serves the wrong thing.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CID } from "multiformats/cid";
import {
  CHUNK_SIZE,
  computeCid,
  createHeliaContentStore,
  createKuboContentStore,
  createPinStore,
  IpfsError,
  MAX_CHILDREN_PER_NODE,
  type ContentStore,
  type HeliaContentStore,
  type PinStore,
} from "../../../node/ipfs/index.js";
import { BOUNDARY_SIZES, collect, content, digest, removeTempDirs, tempDir } from "./helpers.js";
import { startKuboRpcServer, type KuboRpcServer } from "./kuboRpcServer.js";

async function refusedWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof IpfsError, `expected an IpfsError, got ${String(error)}`);
    assert.equal(error.code, code);
    return true;
  });
}

let pins: PinStore;
let helia: HeliaContentStore;
let kuboServer: KuboRpcServer;
let kubo: ContentStore;
const heliaDir = tempDir();

before(async () => {
  pins = await createPinStore({ dir: tempDir() });
  helia = await createHeliaContentStore({ dir: heliaDir });
  kuboServer = await startKuboRpcServer(tempDir());
  kubo = createKuboContentStore({ url: kuboServer.url });
});

after(async () => {
  await Promise.allSettled([pins?.close(), helia?.stop(), kubo?.stop(), kuboServer?.stop()]);
  removeTempDirs();
});

describe("one CID definition", () => {
  it("importer, pin store, Helia and Kubo agree for every boundary size", async () => {
    for (const size of BOUNDARY_SIZES) {
      const seed = `cid-${size}`;
      const { cid, bytes } = await computeCid(content(size, seed));
      assert.equal(bytes, size);
      assert.equal((await pins.put(cid, content(size, seed))).cid, cid, `pin store, size ${size}`);
      assert.equal(await helia.add(content(size, seed)), cid, `Helia, size ${size}`);
      assert.equal(await kubo.add(content(size, seed)), cid, `Kubo, size ${size}`);
      const expected = await digest(content(size, seed));
      assert.deepEqual(await digest(helia.cat(cid)), expected);
      assert.deepEqual(await digest(kubo.cat(cid)), expected);
      // One chunk is a raw block (Kubo's --cid-version=1 behaviour); more are a dag-pb UnixFS root.
      assert.equal(CID.parse(cid).code, size <= CHUNK_SIZE ? 0x55 : 0x70, `codec, size ${size}`);
    }
  });

  it("the Kubo adapter sends the definition as explicit add parameters", () => {
    const add = kuboServer.calls.find((c) => c.path === "/api/v0/add");
    assert.ok(add);
    assert.equal(add.query.get("cid-version"), "1");
    assert.equal(add.query.get("raw-leaves"), "true");
    assert.equal(add.query.get("chunker"), `size-${CHUNK_SIZE}`);
    assert.equal(add.query.get("hash"), "sha2-256");
    assert.equal(add.query.get("pin"), "true");
  });

  it("known Kubo CIDs: the empty file and 'hello world\\n'", async () => {
    assert.equal((await computeCid([])).cid, "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
    assert.equal((await computeCid([new TextEncoder().encode("hello world\n")])).cid, "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4");
  });
});

describe("Helia", () => {
  it("two nodes on loopback exchange a file over bitswap", async () => {
    const other = await createHeliaContentStore({ dir: tempDir(), bootstrap: helia.multiaddrs() });
    try {
      const size = 3 * CHUNK_SIZE + 17;
      const cid = await helia.add(content(size, "exchange"));
      let progress = 0;
      assert.deepEqual(await digest(other.cat(cid, { onProgress: (n) => (progress = n) })), await digest(content(size, "exchange")));
      assert.equal(progress, size);
      // And the other way round, the fetching node now serves what it published.
      const back = await other.add(content(1000, "back"));
      assert.deepEqual(await digest(helia.cat(back)), await digest(content(1000, "back")));
    } finally {
      await other.stop();
    }
  });

  it("error: a content no connected peer has is IPFS_NOT_FOUND or aborted, never a hang", async () => {
    const { cid } = await computeCid(content(10, "nobody-has-it"));
    await refusedWith(collect(helia.cat(cid, { signal: AbortSignal.timeout(1_000) })), "IPFS_ABORTED");
    await refusedWith(collect(helia.cat("not-a-cid")), "IPFS_INVALID_CID");
  });

  it("a restarted node keeps its blocks and its peer id", async () => {
    const dir = tempDir();
    let node = await createHeliaContentStore({ dir });
    const peerId = node.peerId;
    const cid = await node.add(content(CHUNK_SIZE * 2, "restart"));
    await node.stop();
    await refusedWith(node.add(content(1)), "IPFS_CLOSED");
    node = await createHeliaContentStore({ dir });
    try {
      assert.equal(node.peerId, peerId);
      // No peers: the bytes can only come from its own blockstore.
      assert.deepEqual(await digest(node.cat(cid, { signal: AbortSignal.timeout(5_000) })), await digest(content(CHUNK_SIZE * 2, "restart")));
    } finally {
      await node.stop();
    }
  });
});

describe("Kubo adapter", () => {
  it("error: a daemon that answers another CID, serves other bytes, or lacks the content", async () => {
    const { cid } = await computeCid(content(5000, "kubo"));
    kuboServer.misbehave.wrongCid = true;
    await refusedWith(kubo.add(content(5000, "kubo")), "IPFS_CID_MISMATCH");
    kuboServer.misbehave.wrongCid = false;
    assert.equal(await kubo.add(content(5000, "kubo")), cid);
    kuboServer.misbehave.wrongBytes = true;
    await refusedWith(collect(kubo.cat(cid)), "IPFS_CID_MISMATCH");
    kuboServer.misbehave.wrongBytes = false;
    const { cid: unknown } = await computeCid(content(5, "unknown"));
    await refusedWith(collect(kubo.cat(unknown)), "IPFS_NOT_FOUND");
  });

  it("error: a daemon configured with other max-links is caught on a file past one tree level", async () => {
    kuboServer.misbehave.maxLinks = 1024;
    try {
      await refusedWith(kubo.add(content(MAX_CHILDREN_PER_NODE * CHUNK_SIZE + 1, "links")), "IPFS_CID_MISMATCH");
    } finally {
      kuboServer.misbehave.maxLinks = undefined;
    }
  });

  it("error: an unreachable daemon is IPFS_UNAVAILABLE", async () => {
    const down = await startKuboRpcServer(tempDir());
    await down.stop();
    const store = createKuboContentStore({ url: down.url });
    await refusedWith(store.add(content(10)), "IPFS_UNAVAILABLE");
    await refusedWith(collect(store.cat((await computeCid(content(10))).cid)), "IPFS_UNAVAILABLE");
    assert.throws(() => createKuboContentStore({ url: "ftp://x" }), IpfsError);
  });
});
