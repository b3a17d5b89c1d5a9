/**
 * Content routes over a real pin store, store and indexer (chain + Ponder): uploads are pinned
 * only for CIDs registered on chain and only if the bytes import to that CID; downloads stream
 * the pinned bytes back; /v1/has answers from the DEK store. One stack for the file.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Hex, bytesToHex } from "viem";
import { computeCid } from "../../../../node/ipfs/index.js";
import { devAccount, removeTempDirs, TestNet } from "../rewrap/helpers.js";
import { chunk, head, RawClient, registerCid, sleep, startHttpValidator, type HttpValidator, type RawResponse } from "./helpers.js";
import type { ValidatorHttpOptions } from "../../../../node/validator/http/index.js";

const MAX_UPLOAD = 4 * 1024 * 1024;
const TIMEOUT_MS = 600;
let net: TestNet;
let v: HttpValidator;
const publisher = devAccount(3);
let policy: bigint;

async function registered(bytes: Uint8Array): Promise<{ cid: string; contentId: Hex }> {
  const { cid } = await computeCid([bytes]);
  const contentId = await registerCid(net, publisher, policy, v.validator.account.address, cid);
  return { cid, contentId };
}

async function put(cid: string, body: Uint8Array | ReadableStream<Uint8Array>, contentType = "application/octet-stream") {
  const response = await fetch(`${v.url}/v1/content/${cid}`, {
    method: "PUT",
    headers: { "content-type": contentType },
    body,
    ...(body instanceof ReadableStream ? { duplex: "half" } : {}),
  } as RequestInit);
  return { status: response.status, text: await response.text() };
}

function assertHttpError(response: { status: number; text?: string; body?: string }, status: number, code: string): void {
  const text = response.text ?? response.body ?? "";
  assert.equal(response.status, status, `expected ${status} ${code}, got ${response.status} ${text}`);
  assert.equal(JSON.parse(text).error.code, code);
}

before(async () => {
  net = await TestNet.start();
  v = await startHttpValidator(net, devAccount(1), devAccount(2), {
    http: { maxUploadBytes: MAX_UPLOAD, registrationWaitMs: 1_500, requestTimeoutMs: TIMEOUT_MS, headersTimeoutMs: TIMEOUT_MS },
  });
  policy = await net.createPolicy(publisher, {});
  await net.synced();
});

after(async () => {
  await v?.stop();
  await net?.stop();
  removeTempDirs();
});

describe("content routes", () => {
  it("PUT a registered CID → 201, then GET streams the same bytes", async () => {
    const bytes = new Uint8Array(randomBytes(3 * 262_144 + 17));
    const { cid } = await registered(bytes);
    const response = await put(cid, bytes);
    assert.equal(response.status, 201, response.text);
    assert.deepEqual(JSON.parse(response.text), { cid, bytes: bytes.byteLength });
    assert.equal(await v.pins.has(cid), true);
    const download = await fetch(`${v.url}/v1/content/${cid}`);
    assert.equal(download.status, 200);
    assert.equal(download.headers.get("content-type"), "application/octet-stream");
    assert.equal(download.headers.get("content-length"), String(bytes.byteLength));
    assert.deepEqual(new Uint8Array(await download.arrayBuffer()), bytes);
  });

  it("a chunked upload is streamed into the pin store", async () => {
    const bytes = new Uint8Array(randomBytes(MAX_UPLOAD - 1));
    const { cid } = await registered(bytes);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 100_000) controller.enqueue(bytes.subarray(i, i + 100_000));
        controller.close();
      },
    });
    const response = await put(cid, stream);
    assert.equal(response.status, 201, response.text);
    const download = await fetch(`${v.url}/v1/content/${cid}`);
    const hash = createHash("sha256").update(new Uint8Array(await download.arrayBuffer())).digest("hex");
    assert.equal(hash, createHash("sha256").update(bytes).digest("hex"));
  });

  it("an upload that arrives just before its registration is indexed waits for the indexer", async () => {
    const bytes = new Uint8Array(randomBytes(1000));
    const { cid } = await computeCid([bytes]);
    const upload = put(cid, bytes);
    await sleep(100);
    await registerCid(net, publisher, policy, v.validator.account.address, cid);
    const response = await upload;
    assert.equal(response.status, 201, response.text);
  });

  it("error: bytes that do not import to the CID → 422 CONTENT_CID_MISMATCH, nothing pinned", async () => {
    const bytes = new Uint8Array(randomBytes(5000));
    const { cid } = await registered(bytes);
    const other = new Uint8Array(bytes);
    other[17] ^= 1;
    assertHttpError(await put(cid, other), 422, "CONTENT_CID_MISMATCH");
    assert.equal(await v.pins.has(cid), false);
    assertHttpError(await fetchText(`/v1/content/${cid}`), 404, "CONTENT_NOT_FOUND");
  });

  it("error: a CID that is not registered on chain → 404 CONTENT_NOT_REGISTERED after the wait, body unread", async () => {
    const bytes = new Uint8Array(randomBytes(2000));
    const { cid } = await computeCid([bytes]);
    const started = Date.now();
    assertHttpError(await put(cid, bytes), 404, "CONTENT_NOT_REGISTERED");
    assert.ok(Date.now() - started >= 1_000, "waited for the indexer");
    assert.equal(await v.pins.has(cid), false);
  });

  it("error: over maxUploadBytes, declared or streamed → 413 HTTP_TOO_LARGE, nothing pinned", async () => {
    const bytes = new Uint8Array(randomBytes(MAX_UPLOAD + 1));
    const { cid } = await registered(bytes);
    const declared = await RawClient.open(v.url);
    await declared.write(head("PUT", `/v1/content/${cid}`, { "content-type": "application/octet-stream", "content-length": bytes.length }));
    const early = await declared.response();
    assertHttpError(early, 413, "HTTP_TOO_LARGE");
    assert.ok(early.closed);

    const streamed = await RawClient.open(v.url);
    await streamed.write(head("PUT", `/v1/content/${cid}`, { "content-type": "application/octet-stream", "transfer-encoding": "chunked" }));
    for (let i = 0; i < bytes.length && !streamed.closed; i += 256 * 1024) await streamed.write(chunk(bytes.subarray(i, i + 256 * 1024)));
    const late = await streamed.response();
    assertHttpError(late, 413, "HTTP_TOO_LARGE");
    assert.equal(await v.pins.has(cid), false);
  });

  it("error: an upload that stalls → 408 HTTP_TIMEOUT, nothing pinned", async () => {
    const bytes = new Uint8Array(randomBytes(10_000));
    const { cid } = await registered(bytes);
    await net.synced();
    const client = await RawClient.open(v.url);
    await client.write(head("PUT", `/v1/content/${cid}`, { "content-type": "application/octet-stream", "content-length": bytes.length }));
    await client.write(bytes.subarray(0, 1000));
    const response = await client.response(5_000);
    assertHttpError(response, 408, "HTTP_TIMEOUT");
    assert.equal(await v.pins.has(cid), false);
  });

  /**
   * Uploads a registered CID's bytes to a server with `options`, `piece` bytes every `everyMs`
   * (well inside the idle limit), for at most `forMs`. Returns the answer and how long it took.
   */
  async function trickle(options: ValidatorHttpOptions, piece: number, everyMs: number, forMs: number): Promise<{ cid: string; response: RawResponse; ms: number }> {
    const bytes = new Uint8Array(randomBytes(20_000));
    const { cid } = await registered(bytes);
    await net.synced();
    const server = await v.extraServer({}, { maxUploadBytes: MAX_UPLOAD, registrationWaitMs: 1_500, headersTimeoutMs: TIMEOUT_MS, requestTimeoutMs: 2_000, ...options });
    const client = await RawClient.open(server.url);
    await client.write(head("PUT", `/v1/content/${cid}`, { "content-type": "application/octet-stream", "content-length": bytes.length }));
    const started = Date.now();
    for (let sent = 0; !client.closed && Date.now() - started < forMs; sent += piece) {
      await client.write(bytes.subarray(sent, sent + piece));
      await sleep(everyMs);
    }
    const ms = Date.now() - started;
    const response = await client.response(3_000);
    client.destroy();
    await server.stop();
    return { cid, response, ms };
  }

  /** Neither a pin nor anything in staging is left of a refused upload. */
  async function assertNothingKept(cid: string): Promise<void> {
    assert.equal(await v.pins.has(cid), false);
    assert.deepEqual(readdirSync(join(v.pinsDir, "staging")), [], "the staging area is empty");
  }

  it("error: an upload trickling under the minimum rate (yet inside the idle limit) → 408 HTTP_TOO_SLOW after the grace period, nothing kept", async () => {
    // 10 bytes every 100 ms = 100 B/s against a minimum of 2,000 B/s after 300 ms.
    const { cid, response, ms } = await trickle({ uploadMinBytesPerSecond: 2_000, uploadGraceMs: 300 }, 10, 100, 4_000);
    assertHttpError(response, 408, "HTTP_TOO_SLOW");
    assert.ok(response.closed);
    assert.ok(ms < 2_000, `refused after ${ms} ms, while the client was still trickling`);
    await assertNothingKept(cid);
  });

  it("error: an upload over uploadTimeoutMs at an acceptable rate → 408 HTTP_TIMEOUT, nothing kept", async () => {
    // 100 bytes every 50 ms = 2,000 B/s, over the minimum; the whole body may take 800 ms.
    const { cid, response, ms } = await trickle({ uploadMinBytesPerSecond: 1_000, uploadGraceMs: 200, uploadTimeoutMs: 800 }, 100, 50, 4_000);
    assertHttpError(response, 408, "HTTP_TIMEOUT");
    assert.ok(response.closed);
    assert.ok(ms >= 700 && ms < 2_000, `refused after ${ms} ms`);
    await assertNothingKept(cid);
  });

  it("error: wrong content type → 415; not a CID → 400; unknown CID download → 404", async () => {
    const bytes = new Uint8Array(randomBytes(100));
    const { cid } = await computeCid([bytes]);
    assertHttpError(await put(cid, bytes, "application/json"), 415, "HTTP_UNSUPPORTED_MEDIA_TYPE");
    assertHttpError(await put("not-a-cid", bytes), 400, "HTTP_MALFORMED");
    assertHttpError(await put("QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG", bytes), 400, "HTTP_MALFORMED");
    assertHttpError(await fetchText("/v1/content/not-a-cid"), 400, "HTTP_MALFORMED");
    assertHttpError(await fetchText(`/v1/content/${cid}`), 404, "CONTENT_NOT_FOUND");
  });
});

describe("has", () => {
  it("GET /v1/has/:contentId answers from the DEK store", async () => {
    const held = bytesToHex(randomBytes(32));
    await v.validator.store.putDek(held, new Uint8Array(randomBytes(32)), { policyId: policy, mode: "all", source: "initial" });
    const yes = await fetchText(`/v1/has/${held.toUpperCase().replace("0X", "0x")}`);
    assert.equal(yes.status, 200);
    assert.deepEqual(JSON.parse(yes.text), { contentId: held, has: true });
    const other = bytesToHex(randomBytes(32));
    assert.deepEqual(JSON.parse((await fetchText(`/v1/has/${other}`)).text), { contentId: other, has: false });
  });

  it("error: a content id that is not 0x + 64 hex → 400 HTTP_MALFORMED", async () => {
    for (const bad of ["0x1234", "deadbeef", `0x${"g".repeat(64)}`, `0x${"a".repeat(65)}`]) {
      assertHttpError(await fetchText(`/v1/has/${bad}`), 400, "HTTP_MALFORMED");
    }
  });
});

async function fetchText(path: string): Promise<{ status: number; text: string }> {
  const response = await fetch(`${v.url}${path}`);
  return { status: response.status, text: await response.text() };
}
