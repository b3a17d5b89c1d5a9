/**
 * The validator HTTP API over a real rewrap service, store and indexer (chain + Ponder): every
 * rewrap route served and refused with its status and constant-size refusal, the transport
 * limits (declared and streamed oversize bodies, trickled headers and bodies, methods, content
 * types, header overflow, connection cap, keep-alive), abort propagation, info, health,
 * readiness and metrics. One stack for the file.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { Agent, get as httpGet, request as httpRequest } from "node:http";
import { after, before, describe, it } from "node:test";
import { type Hex, bytesToHex, hexToBytes } from "viem";
import { type RewrapCallOptions } from "../../../../node/validator/rewrap/index.js";
import {
  decodeBulkAnswer,
  decodeRefusal,
  decodeRewrapAnswer,
  decodeSessionInfo,
  encodeBulkRequest,
  encodeRewrapRequest,
  encodeSessionGrant,
  MAX_BULK_ANSWER_BYTES,
  REFUSAL_BYTES,
  REWRAP_ENVELOPE_LENGTH,
  RewrapError,
  type RewrapErrorCode,
  type SignedRewrapRequest,
} from "../../../../node/protocol/rewrap/index.js";
import { REFUSAL_HEAD_BYTES, REWRAP_STATUS } from "../../../../node/validator/http/index.js";
import { parseExposition, sampleValue } from "../metrics/exposition.js";
import { devAccount, hex, Reader, removeTempDirs, TestNet } from "../rewrap/helpers.js";
import { chunk, head, RawClient, sleep, startHttpValidator, type HttpValidator, type RawResponse } from "./helpers.js";
import { createMetricsRegistry } from "../../../../node/validator/metrics/index.js";
import { METRICS_MIN_INTERVAL_MS, METRICS_RENDER_MAX_AGE_MS } from "../../../../node/validator/http/routes/status.js";

const TIMEOUT_MS = 600;
let net: TestNet;
let v: HttpValidator;
const publisher = devAccount(3);
let content: Hex;
const dek = new Uint8Array(randomBytes(32));
/** Every signature sent: none may appear in a log line. */
const signatures: string[] = [];

const cleared = () => new Reader(devAccount(4), net.domain);
const uncleared = () => new Reader(devAccount(5), net.domain);

function remember(signed: SignedRewrapRequest): SignedRewrapRequest {
  signatures.push(hex(signed.auth.signature));
  return signed;
}

async function post(path: string, body: string, contentType = "application/json", url = v.url): Promise<{ status: number; text: string; headers: Headers }> {
  const response = await fetch(`${url}${path}`, { method: "POST", headers: { "content-type": contentType }, body });
  return { status: response.status, text: await response.text(), headers: response.headers };
}

/** Asserts a rewrap refusal: status, code, reason, and the constant 256-byte body. */
function assertRefusal(response: { status: number; text: string }, status: number, code: string, reason?: string): void {
  assert.equal(response.status, status, `expected ${status} ${code}, got ${response.status} ${response.text.trim()}`);
  assert.equal(Buffer.byteLength(response.text), REFUSAL_BYTES);
  const refusal = decodeRefusal(response.text);
  assert.equal(refusal.code, code);
  if (reason !== undefined) assert.equal(refusal.reason, reason);
}

function assertHttpError(response: { status: number; text?: string; body?: string }, status: number, code: string): void {
  const text = response.text ?? response.body ?? "";
  assert.equal(response.status, status, `expected ${status} ${code}, got ${response.status} ${text}`);
  assert.deepEqual(Object.keys(JSON.parse(text).error).sort(), ["code", "message"]);
  assert.equal(JSON.parse(text).error.code, code);
}

before(async () => {
  net = await TestNet.start();
  v = await startHttpValidator(net, devAccount(1), devAccount(2), { http: { headersTimeoutMs: TIMEOUT_MS, requestTimeoutMs: TIMEOUT_MS } });
  const clearance = await net.createNamespace(publisher, "clearance", "hierarchy", ["top", "secret", "public"]);
  const policy = await net.createPolicy(publisher, { requirements: [{ namespace: clearance, value: 1 }] });
  await net.grant(publisher, clearance, devAccount(4).address, 1);
  content = await net.registerContent(publisher, policy, v.validator.account.address);
  await v.validator.store.putDek(content, dek, { policyId: policy, mode: "all", source: "initial" });
  await net.synced();
});

after(async () => {
  await v?.stop();
  await net?.stop();
  removeTempDirs();
});

describe("rewrap routes", () => {
  it("POST /v1/rewrap with a per-request EIP-712 signature answers the DEK wrapped to the client", async () => {
    const reader = cleared();
    const signed = remember(await reader.request(content));
    const response = await post("/v1/rewrap", encodeRewrapRequest(signed));
    assert.equal(response.status, 200, response.text);
    assert.equal(response.headers.get("cache-control"), "no-store");
    const answer = decodeRewrapAnswer(response.text);
    assert.equal(answer.contentId, content.toLowerCase());
    assert.equal(hex(reader.open(answer.envelope, hexToBytes(answer.requestDigest))), hex(dek));
  });

  it("POST /v1/session registers a grant; session-signed rewraps are then served", async () => {
    const reader = cleared();
    const grant = await reader.startSession();
    signatures.push(hex(grant.signature));
    const response = await post("/v1/session", encodeSessionGrant(grant));
    assert.equal(response.status, 200, response.text);
    const info = decodeSessionInfo(response.text);
    assert.equal(info.account, reader.address);
    assert.equal(info.expiry, grant.expiry);
    for (let i = 0; i < 3; i++) {
      const answer = decodeRewrapAnswer((await post("/v1/rewrap", encodeRewrapRequest(remember(reader.sessionRequest(content))))).text);
      assert.equal(hex(reader.open(answer.envelope, hexToBytes(answer.requestDigest))), hex(dek));
    }
  });

  it("POST /v1/rewrap/bulk answers per content, refusals inside the answer", async () => {
    const reader = cleared();
    const unknown = bytesToHex(randomBytes(32));
    const signed = await reader.bulk([content, unknown]);
    signatures.push(hex(signed.auth.signature));
    const response = await post("/v1/rewrap/bulk", encodeBulkRequest(signed));
    assert.equal(response.status, 200, response.text);
    const answer = decodeBulkAnswer(response.text, MAX_BULK_ANSWER_BYTES);
    const [served, refused] = answer.results;
    assert.ok(served && "envelope" in served);
    assert.equal(hex(reader.openBulkItem(served.envelope, hexToBytes(answer.requestDigest), content)), hex(dek));
    assert.ok(refused && "error" in refused);
    assert.equal(refused.error.code, "REWRAP_CONTENT_NOT_FOUND");
  });

  it("error: malformed JSON, wrong types, unknown keys → 400 REWRAP_MALFORMED", async () => {
    const good = JSON.parse(encodeRewrapRequest(await cleared().request(content)));
    assertRefusal(await post("/v1/rewrap", "{not json"), 400, "REWRAP_MALFORMED");
    assertRefusal(await post("/v1/rewrap", "[]"), 400, "REWRAP_MALFORMED");
    assertRefusal(await post("/v1/rewrap", JSON.stringify({ ...good, expiry: String(good.expiry) })), 400, "REWRAP_MALFORMED");
    assertRefusal(await post("/v1/rewrap", JSON.stringify({ ...good, nonce: 5 })), 400, "REWRAP_MALFORMED");
    assertRefusal(await post("/v1/rewrap", JSON.stringify({ ...good, extra: 1 })), 400, "REWRAP_MALFORMED");
    assertRefusal(await post("/v1/rewrap", Buffer.from([0xff, 0xfe, 0x7b]).toString("latin1")), 400, "REWRAP_MALFORMED");
    assertRefusal(await post("/v1/session", "{}"), 400, "REWRAP_MALFORMED");
    assertRefusal(await post("/v1/rewrap/bulk", JSON.stringify({ ...good, contentIds: [] })), 400, "REWRAP_MALFORMED");
  });

  it("error: forged signature → 401, replayed nonce → 409, expired → 401", async () => {
    const reader = cleared();
    const forged = remember(await reader.request(content, { signer: devAccount(5) }));
    assertRefusal(await post("/v1/rewrap", encodeRewrapRequest(forged)), 401, "REWRAP_SIGNATURE_INVALID");
    const once = remember(await reader.request(content));
    assert.equal((await post("/v1/rewrap", encodeRewrapRequest(once))).status, 200);
    assertRefusal(await post("/v1/rewrap", encodeRewrapRequest(once)), 409, "REWRAP_REPLAYED");
    const expired = remember(await reader.request(content, { expiry: Math.floor(Date.now() / 1000) - 1 }));
    assertRefusal(await post("/v1/rewrap", encodeRewrapRequest(expired)), 401, "REWRAP_EXPIRED");
    const grant = await reader.startSession({ expiry: Math.floor(Date.now() / 1000) - 1 });
    assertRefusal(await post("/v1/session", encodeSessionGrant(grant)), 401, "REWRAP_SESSION_EXPIRED");
  });

  it("error: access denied → 403 with the reason; unknown content → 404", async () => {
    assertRefusal(await post("/v1/rewrap", encodeRewrapRequest(remember(await uncleared().request(content)))), 403, "REWRAP_ACCESS_DENIED", "MissingAttribute");
    const unknown = bytesToHex(randomBytes(32));
    assertRefusal(await post("/v1/rewrap", encodeRewrapRequest(remember(await cleared().request(unknown)))), 404, "REWRAP_CONTENT_NOT_FOUND");
  });

  it("error: a body within the HTTP limit but over the wire format's → 413 REWRAP_TOO_LARGE", async () => {
    const good = JSON.parse(encodeRewrapRequest(await cleared().request(content)));
    const padded = JSON.stringify(good).replace("{", `{${" ".repeat(8 * 1024)}`);
    assertRefusal(await post("/v1/rewrap", padded), 413, "REWRAP_TOO_LARGE");
  });
});

describe("refusals are one size on the wire", () => {
  /** One request on a fresh connection, the whole answer as the socket carried it. */
  async function raw(url: string, path: string, body: string, headers: Record<string, string | number> = {}): Promise<RawResponse> {
    const client = await RawClient.open(url);
    await client.write(head("POST", path, { "content-type": "application/json", "content-length": Buffer.byteLength(body), ...headers }) + body);
    const response = await client.response();
    client.destroy();
    return response;
  }

  /** Every answer is a refusal of the expected code, all the same number of bytes, none with Retry-After. */
  function assertOneSize(answers: { what: string; code: string; response: RawResponse }[]): void {
    for (const { what, code, response } of answers) {
      assert.equal(decodeRefusal(response.body).code, code, what);
      assert.equal(response.headers["retry-after"], undefined, what);
    }
    const sizes = answers.map(({ what, response }) => `${what}: ${response.status} ${response.bytes} B`);
    assert.equal(new Set(answers.map(({ response }) => response.bytes)).size, 1, `refusals differ in size:\n${sizes.join("\n")}`);
    assert.equal(answers[0]!.response.bytes, REFUSAL_HEAD_BYTES + REFUSAL_BYTES);
    // Kept-alive answers carry one header set (a closing answer has no Keep-Alive hint).
    const kept = answers.filter(({ response }) => response.headers.connection === "keep-alive");
    assert.equal(new Set(kept.map(({ response }) => Object.keys(response.headers).sort().join())).size, 1);
  }

  it("every refusal class of the real service, kept alive or closing: the same total bytes, no Retry-After", async () => {
    const reader = cleared();
    const once = remember(await reader.request(content));
    assert.equal((await post("/v1/rewrap", encodeRewrapRequest(once))).status, 200);
    const good = JSON.parse(encodeRewrapRequest(remember(await reader.request(content))));
    const expiredGrant = await reader.startSession({ expiry: Math.floor(Date.now() / 1000) - 1 });
    const rewrap = async (signed: SignedRewrapRequest, headers?: Record<string, string>) => raw(v.url, "/v1/rewrap", encodeRewrapRequest(remember(signed)), headers);
    const answers = [
      { what: "malformed", code: "REWRAP_MALFORMED", response: await raw(v.url, "/v1/rewrap", "{not json") },
      { what: "malformed bulk", code: "REWRAP_MALFORMED", response: await raw(v.url, "/v1/rewrap/bulk", "[]") },
      { what: "too large for the wire format", code: "REWRAP_TOO_LARGE", response: await raw(v.url, "/v1/rewrap", JSON.stringify(good).replace("{", `{${" ".repeat(8 * 1024)}`)) },
      { what: "expired", code: "REWRAP_EXPIRED", response: await rewrap(await reader.request(content, { expiry: Math.floor(Date.now() / 1000) - 1 })) },
      { what: "forged signature", code: "REWRAP_SIGNATURE_INVALID", response: await rewrap(await reader.request(content, { signer: devAccount(5) })) },
      { what: "expired grant", code: "REWRAP_SESSION_EXPIRED", response: await raw(v.url, "/v1/session", encodeSessionGrant(expiredGrant)) },
      { what: "replayed", code: "REWRAP_REPLAYED", response: await rewrap(once) },
      { what: "unknown content", code: "REWRAP_CONTENT_NOT_FOUND", response: await rewrap(await reader.request(bytesToHex(randomBytes(32)))) },
      { what: "access denied", code: "REWRAP_ACCESS_DENIED", response: await rewrap(await uncleared().request(content)) },
      { what: "access denied, client asks to close", code: "REWRAP_ACCESS_DENIED", response: await rewrap(await uncleared().request(content), { connection: "close" }) },
    ];
    // Declared over the HTTP limit: refused unread, so the connection closes.
    const declared = await RawClient.open(v.url);
    await declared.write(head("POST", "/v1/rewrap", { "content-type": "application/json", "content-length": 17 * 1024 }));
    answers.push({ what: "too large (declared)", code: "REWRAP_TOO_LARGE", response: await declared.response() });
    assert.deepEqual(
      answers.map(({ response }) => response.status),
      [400, 400, 413, 401, 401, 401, 409, 404, 403, 403, 413],
    );
    assert.equal(answers.at(-1)!.response.headers.connection, "close");
    assertOneSize(answers);
  });

  it("every rewrap refusal code on every rewrap route, 503 and 500 included: the same total bytes", async () => {
    let code: RewrapErrorCode = "REWRAP_MALFORMED";
    const refuse = async (): Promise<never> => {
      throw new RewrapError(code, code === "REWRAP_ACCESS_DENIED" ? { reason: "MissingAttribute" } : {});
    };
    const refusing = await v.extraServer({
      rewrap: { rewrap: refuse, rewrapBulk: refuse, rewrapShare: refuse, registerSession: refuse },
      recovery: { accept: refuse },
    });
    const reader = cleared();
    const bodies: Record<string, () => Promise<string>> = {
      "/v1/rewrap": async () => encodeRewrapRequest(remember(await reader.request(content))),
      "/v1/rewrap/bulk": async () => encodeBulkRequest(await reader.bulk([content])),
      "/v1/rewrap/share": async () => encodeRewrapRequest(remember(await reader.request(content))),
      "/v1/session": async () => encodeSessionGrant(await reader.startSession()),
      "/v1/recover": async () =>
        JSON.stringify({
          contentId: content,
          validator: v.validator.account.address,
          kid: `0x${"01".repeat(8)}`,
          nonce: "1",
          expiry: Math.floor(Date.now() / 1000) + 60,
          signature: `0x${"11".repeat(65)}`,
          envelope: `0x${"22".repeat(REWRAP_ENVELOPE_LENGTH)}`,
        }),
    };
    const answers: { what: string; code: string; response: RawResponse }[] = [];
    for (const [path, body] of Object.entries(bodies)) {
      for (const c of Object.keys(REWRAP_STATUS) as RewrapErrorCode[]) {
        code = c;
        const response = await raw(refusing.url, path, await body());
        assert.equal(response.status, REWRAP_STATUS[c], `${path} ${c}`);
        answers.push({ what: `${path} ${c}`, code: c, response });
      }
    }
    assert.ok(answers.some(({ response }) => response.status === 503) && answers.some(({ response }) => response.status === 500));
    assertOneSize(answers);
    await refusing.stop();
  });
});

describe("transport limits", () => {
  it("error: a declared Content-Length over the limit is refused before the body is sent", async () => {
    const client = await RawClient.open(v.url);
    await client.write(head("POST", "/v1/rewrap", { "content-type": "application/json", "content-length": 17 * 1024 }));
    const response = await client.response();
    assertRefusal({ status: response.status, text: response.body }, 413, "REWRAP_TOO_LARGE");
    assert.equal(response.headers.connection, "close");
    assert.ok(response.closed, "the server closes the connection instead of reading the body");
  });

  it("error: a chunked body that streams past the limit is cut off at the limit", async () => {
    const client = await RawClient.open(v.url);
    await client.write(head("POST", "/v1/rewrap/bulk", { "content-type": "application/json", "transfer-encoding": "chunked" }));
    const piece = chunk("x".repeat(64 * 1024));
    for (let i = 0; i < 9 && !client.closed; i++) await client.write(piece);
    const response = await client.response();
    assertRefusal({ status: response.status, text: response.body }, 413, "REWRAP_TOO_LARGE");
    assert.ok(response.closed);
  });

  it("error: trickled headers (slowloris) → 408 HTTP_TIMEOUT and the connection is closed", async () => {
    const client = await RawClient.open(v.url);
    const started = Date.now();
    await client.write("POST /v1/rewrap HTTP/1.1\r\nhost: 127.0.0.1\r\n");
    for (let i = 0; i < 10 && !client.closed; i++) {
      await sleep(150);
      await client.write(`x-slow-${i}: 1\r\n`);
    }
    const response = await client.response(3_000);
    assertHttpError(response, 408, "HTTP_TIMEOUT");
    assert.ok(response.closed);
    assert.ok(Date.now() - started < TIMEOUT_MS * 4, "refused within the headers timeout (plus the check interval)");
  });

  it("error: a body that stops arriving → 408 HTTP_TIMEOUT", async () => {
    const client = await RawClient.open(v.url);
    await client.write(head("POST", "/v1/rewrap", { "content-type": "application/json", "content-length": 100 }));
    await client.write('{"contentId":');
    const response = await client.response(3_000);
    assertHttpError(response, 408, "HTTP_TIMEOUT");
    assert.ok(response.closed);
  });

  it("error: a JSON body trickled in (each piece inside any idle limit) → 408 HTTP_TIMEOUT at the whole-body deadline", async () => {
    const client = await RawClient.open(v.url);
    await client.write(head("POST", "/v1/rewrap", { "content-type": "application/json", "content-length": 1_000 }));
    const started = Date.now();
    for (let i = 0; i < 40 && !client.closed; i++) {
      await client.write(" ");
      await sleep(50);
    }
    assertHttpError(await client.response(3_000), 408, "HTTP_TIMEOUT");
    assert.ok(Date.now() - started < TIMEOUT_MS * 3, "refused at the deadline, while the client was still trickling");
  });

  it("error: wrong method → 405 with Allow; unknown route → 404; wrong content type → 415", async () => {
    const get = await fetch(`${v.url}/v1/rewrap`);
    assertHttpError({ status: get.status, text: await get.text() }, 405, "HTTP_METHOD_NOT_ALLOWED");
    assert.equal(get.headers.get("allow"), "POST");
    const put = await fetch(`${v.url}/health`, { method: "PUT", body: "x" });
    assertHttpError({ status: put.status, text: await put.text() }, 405, "HTTP_METHOD_NOT_ALLOWED");
    for (const path of ["/v1/nope", "/v1/rewrap/", "/v1/has/", "/v1/has/a/b", "/"]) {
      const response = await fetch(`${v.url}${path}`);
      assertHttpError({ status: response.status, text: await response.text() }, 404, "HTTP_NOT_FOUND");
    }
    const body = encodeRewrapRequest(await cleared().request(content));
    assertHttpError(await post("/v1/rewrap", body, "text/plain"), 415, "HTTP_UNSUPPORTED_MEDIA_TYPE");
    assertHttpError(await post("/v1/rewrap", body, "application/octet-stream"), 415, "HTTP_UNSUPPORTED_MEDIA_TYPE");
    assert.equal((await post("/v1/rewrap", body, "application/json; charset=utf-8")).status, 200);
  });

  it("error: header overflow → 431; garbage → 400", async () => {
    const big = await RawClient.open(v.url);
    await big.write(head("GET", "/health", { "x-big": "a".repeat(20 * 1024) }));
    assertHttpError(await big.response(), 431, "HTTP_HEADERS_TOO_LARGE");
    const garbage = await RawClient.open(v.url);
    await garbage.write("NOT HTTP AT ALL\r\n\r\n");
    assertHttpError(await garbage.response(), 400, "HTTP_MALFORMED");
  });

  it("keep-alive: a JSON body that came with its headers, or trickled in after them, is read whole; the connection stays open", async () => {
    const client = await RawClient.open(v.url);
    const json = (body: string) => head("POST", "/v1/rewrap", { "content-type": "application/json", "content-length": Buffer.byteLength(body) }) + body;
    const refusedAndKeptOpen = async () => {
      const response = await client.response();
      assertRefusal({ status: response.status, text: response.body }, 400, "REWRAP_MALFORMED");
      assert.equal(response.headers.connection, "keep-alive");
    };
    // In one packet with its headers: read at once. Refused as malformed, yet read to its end, so no close.
    await client.write(json("{not json"));
    await refusedAndKeptOpen();
    // Headers first, the body in two later packets: streamed.
    const request = json('{"contentId":"0x00"}');
    const bodyAt = request.indexOf("\r\n\r\n") + 4;
    for (const part of [request.slice(0, bodyAt), request.slice(bodyAt, bodyAt + 7), request.slice(bodyAt + 7)]) {
      await client.write(part);
      await sleep(30);
    }
    await refusedAndKeptOpen();
    // Two requests in one packet (pipelined): both answered, in order, on the same connection.
    await client.write(json("[]") + json("{}"));
    await refusedAndKeptOpen();
    await refusedAndKeptOpen();
    assert.equal(client.socket.destroyed, false);
    client.destroy();
  });

  it("keep-alive: consecutive requests reuse one connection", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const reused: boolean[] = [];
    for (let i = 0; i < 3; i++) {
      await new Promise<void>((resolve, reject) => {
        const req = httpRequest(`${v.url}/health`, { agent }, (res) => {
          res.resume();
          res.on("end", resolve);
        });
        req.on("error", reject);
        req.end();
        reused.push(req.reusedSocket);
      });
    }
    agent.destroy();
    assert.deepEqual(reused, [false, true, true]);
  });

  it("maxConnections: a connection over the cap is dropped, the others are served", async () => {
    const capped = await v.extraServer({}, { maxConnections: 2 });
    const open = [await RawClient.open(capped.url), await RawClient.open(capped.url)];
    await sleep(50);
    const third = await RawClient.open(capped.url);
    assert.ok(await third.waitClosed(2_000), "the third connection was closed");
    await open[0]!.write(head("GET", "/health"));
    assert.equal((await open[0]!.response()).status, 200);
    for (const c of open) c.destroy();
    await capped.stop();
  });

  it("maxConnectionsPerIp: a connection over the cap for its address is closed at accept, the others are served", async () => {
    const capped = await v.extraServer({}, { maxConnectionsPerIp: 2 });
    const open = [await RawClient.open(capped.url), await RawClient.open(capped.url)];
    await sleep(50);
    const third = await RawClient.open(capped.url);
    assert.ok(await third.waitClosed(2_000), "the third connection from 127.0.0.1 was closed");
    await open[0]!.write(head("GET", "/health"));
    assert.equal((await open[0]!.response()).status, 200);
    open[1]!.destroy();
    await sleep(50);
    const again = await RawClient.open(capped.url);
    await again.write(head("GET", "/health"));
    assert.equal((await again.response()).status, 200, "a slot freed by a close is taken again");
    for (const c of [...open, again]) c.destroy();
    const families = parseExposition(await v.metrics.render());
    assert.ok((sampleValue(families, "dekmesh_http_connections_refused_total") ?? 0) >= 1);
    await capped.stop();
  });

  it("maxRequestsPerConnection: the last answer (a refusal too, still one size) closes the connection", async () => {
    const capped = await v.extraServer({}, { maxRequestsPerConnection: 2 });
    const client = await RawClient.open(capped.url);
    await client.write(head("GET", "/health"));
    const first = await client.response();
    assert.equal(first.headers.connection, "keep-alive");
    assert.equal(first.headers["keep-alive"], "timeout=5, max=2");
    await client.write(head("POST", "/v1/rewrap", { "content-type": "application/json", "content-length": 9 }) + "{not json");
    const last = await client.response();
    assertRefusal({ status: last.status, text: last.body }, 400, "REWRAP_MALFORMED");
    assert.equal(last.headers.connection, "close");
    assert.equal(last.bytes, REFUSAL_HEAD_BYTES + REFUSAL_BYTES);
    assert.ok(last.closed);
    await capped.stop();
  });

  it("a connection that never sends a request is closed within the headers timeout", async () => {
    const client = await RawClient.open(v.url);
    assert.ok(await client.waitClosed(TIMEOUT_MS * 4), "the silent connection was closed");
  });

  it("a client that disconnects aborts the signal its rewrap runs under", async () => {
    const signals: AbortSignal[] = [];
    const service = v.validator.service;
    const spying = await v.extraServer({
      rewrap: {
        rewrap: async (signed, options: RewrapCallOptions = {}) => {
          signals.push(options.signal!);
          await sleep(300);
          return service.rewrap(signed, options);
        },
        rewrapBulk: (signed, options) => service.rewrapBulk(signed, options),
        rewrapShare: (signed, options) => service.rewrapShare(signed, options),
        registerSession: (grant) => service.registerSession(grant),
      },
    });
    const body = encodeRewrapRequest(remember(await cleared().request(content)));
    const client = await RawClient.open(spying.url);
    await client.write(head("POST", "/v1/rewrap", { "content-type": "application/json", "content-length": Buffer.byteLength(body) }) + body);
    while (signals.length === 0) await sleep(10);
    assert.equal(signals[0]!.aborted, false);
    client.destroy();
    await sleep(100);
    assert.equal(signals[0]!.aborted, true);
    await sleep(300);
    const families = parseExposition(await v.metrics.render());
    assert.ok((sampleValue(families, "dekmesh_http_requests_total", { route: "/v1/rewrap", status: "499" }) ?? 0) >= 1);
    await spying.stop();
  });
});

describe("status routes", () => {
  it("GET /health, /v1/info", async () => {
    const health = await fetch(`${v.url}/health`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: "ok" });
    const info = await fetch(`${v.url}/v1/info`);
    assert.equal(info.status, 200);
    assert.deepEqual(await info.json(), v.info);
  });

  it("GET /ready flips to 503 with the failing check, and back", async () => {
    let response = await fetch(`${v.url}/ready`);
    assert.equal(response.status, 200);
    assert.equal(((await response.json()) as { ready: boolean }).ready, true);
    v.checks.indexer = { ok: false, detail: "indexed head 12 blocks behind" };
    response = await fetch(`${v.url}/ready`);
    assert.equal(response.status, 503);
    assert.deepEqual(await response.json(), { ready: false, degraded: [], checks: { store: { ok: true }, indexer: { ok: false, detail: "indexed head 12 blocks behind" } } });
    // A failing check the node serves without (the chain decides access): ready, and named as degraded.
    v.checks.indexer = { ok: false, detail: "INDEXER_UNAVAILABLE", degraded: true };
    response = await fetch(`${v.url}/ready`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), {
      ready: true,
      degraded: ["indexer"],
      checks: { store: { ok: true }, indexer: { ok: false, detail: "INDEXER_UNAVAILABLE", degraded: true } },
    });
    v.checks.indexer = { ok: true };
    assert.equal((await fetch(`${v.url}/ready`)).status, 200);
  });

  it("GET /ready is 503 when the readiness check itself throws", async () => {
    const broken = await v.extraServer({ readiness: async () => Promise.reject(new Error("rpc down")) });
    const response = await fetch(`${broken.url}/ready`);
    assert.equal(response.status, 503);
    assert.equal(((await response.json()) as { ready: boolean }).ready, false);
    await broken.stop();
  });

  it("GET /metrics is text format 0.0.4 with the HTTP metrics by route and status", async () => {
    const response = await fetch(`${v.url}/metrics`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
    const families = parseExposition(await response.text());
    assert.ok(sampleValue(families, "dekmesh_http_requests_total", { route: "/v1/rewrap", status: "200" })! >= 5);
    assert.ok(sampleValue(families, "dekmesh_http_requests_total", { route: "/v1/rewrap", status: "401" })! >= 2);
    assert.ok(sampleValue(families, "dekmesh_http_requests_total", { route: "other", status: "404" })! >= 1);
    assert.ok(sampleValue(families, "dekmesh_http_request_duration_seconds_count", { route: "/v1/rewrap" })! >= 5);
    assert.equal(sampleValue(families, "dekmesh_http_requests_in_flight"), 1, "only this scrape is in flight");
    assert.ok(sampleValue(families, "dekmesh_http_client_errors_total", { code: "HTTP_TIMEOUT" })! >= 1);
  });

  it("GET /metrics: one client address is answered every 250 ms at most, and its scrapes share one render a second", async () => {
    let renders = 0;
    const metrics = createMetricsRegistry({ processMetrics: false });
    const render = metrics.render.bind(metrics);
    metrics.render = async () => (renders++, render());
    const server = await v.extraServer({ metrics });
    /** A scrape from `localAddress` (127.0.0.0/8 is all loopback: another client as the server sees it). */
    const scrape = (localAddress = "127.0.0.1") =>
      new Promise<{ text: string; ms: number }>((resolve, reject) => {
        const started = performance.now();
        httpGet(`${server.url}/metrics`, { localAddress }, (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () => resolve({ text: Buffer.concat(chunks).toString("utf8"), ms: performance.now() - started }));
        }).on("error", reject);
      });
    const n = 8;
    const looping = Promise.all(Array.from({ length: n }, () => scrape()));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const other = await scrape("127.0.0.2");
    assert.ok(other.ms < METRICS_MIN_INTERVAL_MS, `another client waited ${other.ms.toFixed(0)} ms`);
    const texts = await looping;
    const slowest = Math.max(...texts.map((t) => t.ms));
    assert.ok(slowest >= (n - 1) * METRICS_MIN_INTERVAL_MS - 20, `${n} scrapes from one address all answered within ${slowest.toFixed(0)} ms`);
    assert.ok(renders <= 3, `${renders} renders for ${n + 1} scrapes over ${slowest.toFixed(0)} ms`);
    await new Promise((resolve) => setTimeout(resolve, METRICS_RENDER_MAX_AGE_MS + 50));
    assert.notEqual((await scrape()).text, texts.at(-1)!.text, "a page older than the limit is rendered again");
    await server.stop();
  });

  it("no log line holds a signature or a request body", () => {
    assert.ok(signatures.length > 10);
    const logs = v.logs.join("\n").toLowerCase();
    for (const s of signatures) assert.ok(!logs.includes(s.toLowerCase()), "a signature was logged");
    assert.ok(!logs.includes(hex(dek)), "the DEK was logged");
    assert.ok(!logs.includes("clientpublickey"), "a request body was logged");
  });
});
