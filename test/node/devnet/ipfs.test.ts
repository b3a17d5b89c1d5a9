/**
 * The devnet's shared IPFS node (startDevIpfs): an embedded Helia behind Kubo's RPC wire format.
 * The SDK's real Kubo adapter adds and reads through it and gets the definition's CIDs; every
 * request it cannot serve gets Kubo's error shape with a status that says why, and stores nothing.
 * An add's body is parsed as it arrives: a chunked upload over the limit is refused once the
 * limit's worth has arrived, not after the whole body was buffered.
 */
import assert from "node:assert/strict";
import { request, type IncomingMessage } from "node:http";
import { after, before, describe, it } from "node:test";
import { startDevIpfs, MAX_ADD_BYTES, type DevIpfs } from "../../../node/devnet/index.js";
import { computeCid, createKuboContentStore, type ContentStore, type IpfsError } from "../../../node/ipfs/index.js";
import { collect, content, digest, removeTempDirs, tempDir } from "../ipfs/helpers.js";

let ipfs: DevIpfs;
let kubo: ContentStore;
/** The node's add limit in these tests, so that going over it is quick. */
const SMALL_LIMIT = 4 * 1024 * 1024;

before(async () => {
  ipfs = await startDevIpfs({ dir: tempDir(), findTimeoutMs: 500, maxAddBytes: SMALL_LIMIT });
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

/** Writes `pieces` as one chunked request (no content-length), honouring backpressure, until the server answers. */
async function chunkedAdd(
  url: string,
  boundary: string,
  pieces: Iterable<Uint8Array>,
): Promise<{ status: number; body: string; sentBytes: number; sentAll: boolean }> {
  return new Promise((resolve, reject) => {
    let sentBytes = 0;
    let answered = false;
    const req = request(`${url}/api/v0/add`, { method: "POST", headers: { "content-type": `multipart/form-data; boundary=${boundary}`, "transfer-encoding": "chunked" } });
    req.on("response", (res: IncomingMessage) => {
      answered = true;
      let text = "";
      res.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode!, body: text, sentBytes, sentAll }));
      res.on("error", reject);
    });
    // The server closes a refused upload's connection: the unsent rest then fails to send.
    req.on("error", (error) => (answered ? undefined : reject(error)));
    let sentAll = false;
    void (async () => {
      for (const piece of pieces) {
        if (answered || req.destroyed) return;
        sentBytes += piece.byteLength;
        if (!req.write(piece)) await new Promise<void>((done) => (req.once("drain", done), req.once("close", done)));
      }
      sentAll = true;
      req.end();
    })();
  });
}

/** A multipart add body as kubo-rpc-client streams it, in `pieces`-sized writes. */
function* multipartBody(boundary: string, parts: { name: string; content: Iterable<Uint8Array> }[], preamble = ""): Generator<Uint8Array> {
  const text = (t: string) => new TextEncoder().encode(t);
  yield text(preamble);
  for (const [i, part] of parts.entries()) {
    yield text(`${i > 0 ? "\r\n" : ""}--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"; filename="upload"\r\nContent-Type: application/octet-stream\r\n\r\n`);
    yield* part.content;
  }
  yield text(`\r\n--${boundary}--\r\n`);
}

/** The same bytes cut into `size`-byte writes (so delimiters straddle writes). */
function* recut(source: Iterable<Uint8Array>, size: number): Generator<Uint8Array> {
  let pending = Buffer.alloc(0);
  for (const piece of source) {
    pending = Buffer.concat([pending, piece]);
    while (pending.length >= size) {
      yield pending.subarray(0, size);
      pending = pending.subarray(size);
    }
  }
  if (pending.length > 0) yield pending;
}

describe("devnet IPFS: adds are read as they arrive", () => {
  const boundary = "-----------------------------dekmeshtest";

  it("error: a chunked add over the limit → 413 once the limit's worth has arrived, not after the whole body; nothing stored", async () => {
    const total = 64 * 1024 * 1024;
    const started = Date.now();
    const answer = await chunkedAdd(ipfs.rpcUrl, boundary, multipartBody(boundary, [{ name: "file", content: content(total, "too-large") }]));
    assert.equal(answer.status, 413);
    assert.match(JSON.parse(answer.body).Message, /limited to 4194304 bytes/);
    // Reading the body whole first (the platform's formData()) let all 64 MiB arrive before any
    // check. Now the client gets the refusal with the limit plus what the sockets buffer sent.
    console.log(`chunked add over the limit: refused after the client sent ${(answer.sentBytes / 2 ** 20).toFixed(1)} of ${total / 2 ** 20} MiB`);
    assert.equal(answer.sentAll, false, "the refusal came before the client had sent everything");
    assert.ok(answer.sentBytes < SMALL_LIMIT + 24 * 1024 * 1024, `sent ${answer.sentBytes} bytes before the refusal`);
    assert.ok(Date.now() - started < 20_000);
    // The node still serves afterwards.
    const cid = await kubo.add(content(1000, "after-refusal"));
    assert.equal(cid, (await computeCid(content(1000, "after-refusal"))).cid);
  });

  it("a chunked add within the limit, delimiters split across writes, after a preamble and another part → the definition's CID", async () => {
    const size = 3 * 1024 * 1024 + 17;
    const body = multipartBody(boundary, [{ name: "other", content: [new TextEncoder().encode(`not the file\r\n--${boundary.slice(0, 10)}`)] }, { name: "file", content: content(size, "chunked") }], "preamble text\r\n");
    for (const writeSize of [7, 65_536 + 3]) {
      const answer = await chunkedAdd(ipfs.rpcUrl, boundary, writeSize === 7 ? recut(multipartBody(boundary, [{ name: "file", content: content(3000, "tiny") }]), 7) : recut(body, writeSize));
      assert.equal(answer.status, 200, answer.body);
      const added = JSON.parse(answer.body) as { Hash: string; Size: string };
      const expected = writeSize === 7 ? { seed: "tiny", size: 3000 } : { seed: "chunked", size };
      assert.equal(added.Hash, (await computeCid(content(expected.size, expected.seed))).cid);
      assert.equal(added.Size, String(expected.size));
      assert.deepEqual(await digest(ipfs.store.cat(added.Hash)), await digest(content(expected.size, expected.seed)));
    }
  });

  it("error: a body that is not a multipart form, or ends before its closing delimiter → 400", async () => {
    const truncated = await new Promise<number>((resolve, reject) => {
      const req = request(`${ipfs.rpcUrl}/api/v0/add`, { method: "POST", headers: { "content-type": `multipart/form-data; boundary=${boundary}` } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on("error", reject);
      req.end(`--${boundary}\r\nContent-Disposition: form-data; name="file"\r\n\r\nhalf a file`);
    });
    assert.equal(truncated, 400);
    await kuboRefusal(await fetch(`${ipfs.rpcUrl}/api/v0/add`, { method: "POST", body: "plain text" }), 400, /multipart/);
  });
});
