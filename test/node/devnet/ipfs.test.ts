/**
 * The devnet's shared IPFS node (startDevIpfs): an embedded Helia behind Kubo's RPC wire format.
 * The SDK's real Kubo adapter adds and reads through it and gets the definition's CIDs; every
 * request it cannot serve gets Kubo's error shape with a status that says why, and stores nothing.
 */
import assert from "node:assert/strict";
import { request } from "node:http";
import { after, before, describe, it } from "node:test";
import { startDevIpfs, MAX_ADD_BYTES, type DevIpfs } from "../../../node/devnet/index.js";
import { computeCid, createKuboContentStore, type ContentStore, type IpfsError } from "../../../node/ipfs/index.js";
import { collect, content, digest, removeTempDirs, tempDir } from "../ipfs/helpers.js";

let ipfs: DevIpfs;
let kubo: ContentStore;

before(async () => {
  ipfs = await startDevIpfs({ dir: tempDir(), findTimeoutMs: 500 });
  kubo = createKuboContentStore({ url: ipfs.rpcUrl });
});

after(async () => {
  await Promise.allSettled([kubo?.stop(), ipfs?.stop()]);
  removeTempDirs();
});

/** A multipart add with `file` as its one part, as kubo-rpc-client sends it. */
function addForm(bytes: Uint8Array, name = "file"): FormData {
  const form = new FormData();
  form.append(name, new Blob([new Uint8Array(bytes)]), "upload");
  return form;
}

async function kuboRefusal(response: Response, status: number, message: RegExp): Promise<void> {
  assert.equal(response.status, status);
  const body = (await response.json()) as { Message: string; Code: number; Type: string };
  assert.equal(body.Type, "error");
  assert.equal(body.Code, 0);
  assert.match(body.Message, message);
}

describe("devnet IPFS (Kubo RPC over Helia)", () => {
  it("the SDK's Kubo adapter adds and reads back under the definition's CID", async () => {
    const size = 300_000;
    const cid = await kubo.add(content(size, "devnet"));
    assert.equal(cid, (await computeCid(content(size, "devnet"))).cid);
    assert.deepEqual(await digest(kubo.cat(cid)), await digest(content(size, "devnet")));
    assert.deepEqual(await digest(ipfs.store.cat(cid)), await digest(content(size, "devnet")), "in the node's own store");
  });

  it("error: another chunker, CID version or hash → 400, nothing stored", async () => {
    const bytes = new TextEncoder().encode("not under this definition");
    const { cid } = await computeCid([bytes]);
    for (const query of ["chunker=size-1024", "cid-version=0", "hash=sha2-512", "raw-leaves=false", "trickle=true"]) {
      await kuboRefusal(await fetch(`${ipfs.rpcUrl}/api/v0/add?${query}`, { method: "POST", body: addForm(bytes) }), 400, /only adds with/);
    }
    await assert.rejects(collect(ipfs.store.cat(cid, { signal: AbortSignal.timeout(2_000) })));
  });

  it("error: a body without a `file` part → 400; a declared size over MAX_ADD_BYTES → 413 before the body is read", async () => {
    await kuboRefusal(await fetch(`${ipfs.rpcUrl}/api/v0/add`, { method: "POST", body: addForm(new Uint8Array(8), "other") }), 400, /file argument/);
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${ipfs.rpcUrl}/api/v0/add`, { method: "POST", headers: { "content-length": String(MAX_ADD_BYTES + 1), "content-type": "multipart/form-data; boundary=x" } }, (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode!, body: text }));
      });
      req.on("error", reject);
      req.write("--x\r\n");
    });
    assert.equal(status, 413);
    assert.match(JSON.parse(body).Message, /limited to/);
  });

  it("error: not POST → 405; an unknown call → 404; an unknown CID → 500 not found after findTimeoutMs; a malformed one → 400", async () => {
    await kuboRefusal(await fetch(`${ipfs.rpcUrl}/api/v0/cat?arg=x`), 405, /POST only/);
    await kuboRefusal(await fetch(`${ipfs.rpcUrl}/api/v0/pin/add`, { method: "POST" }), 404, /not found/);
    const cat = (arg: string) => fetch(`${ipfs.rpcUrl}/api/v0/cat?arg=${encodeURIComponent(arg)}`, { method: "POST", signal: AbortSignal.timeout(10_000) });
    const absent = (await computeCid([new TextEncoder().encode("never added")])).cid;
    const started = Date.now();
    await kuboRefusal(await cat(absent), 500, /not found/);
    assert.ok(Date.now() - started >= 450, "looked for it until the deadline");
    for (const malformed of ["not-a-cid", "", "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG"]) {
      await kuboRefusal(await cat(malformed), 400, /invalid path/);
    }
    await assert.rejects(collect(kubo.cat(absent)), (error: IpfsError) => error.code === "IPFS_NOT_FOUND", "the SDK's adapter reads it as not found");
  });
});
