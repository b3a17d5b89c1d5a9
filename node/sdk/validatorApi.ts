/**
 * The client side of the validator HTTP API (docs/client.md; the contract B's node/validator/http
 * serves): rewrap, content upload and download. Rewrap bodies use node/validator/rewrap's wire codecs;
 * refusals come back as node/validator/rewrap's padded refusal and are decoded with them.
 */
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import {
  decodeRefusal,
  decodeRewrapAnswer,
  decodeShareRewrapAnswer,
  encodeRewrapRequest,
  RewrapError,
  type RewrapAnswer,
  type ShareRewrapAnswer,
  type SignedRewrapRequest,
} from "../protocol/rewrap/index.js";
import type { ByteSource } from "../ipfs/index.js";
import { DekmeshClientError } from "./errors.js";

export interface HttpCallOptions {
  timeoutMs: number;
  signal?: AbortSignal;
}

/** Why a call to one validator failed: a typed refusal, or the validator was unusable. */
export type ValidatorFailure = { kind: "refused"; error: RewrapError } | { kind: "unreachable"; cause: unknown; status?: number };

export class ValidatorCallError extends Error {
  constructor(readonly failure: ValidatorFailure) {
    super(failure.kind === "refused" ? failure.error.code : "validator unreachable");
  }
}

function joinUrl(endpoint: string, path: string): string {
  return endpoint.replace(/\/+$/, "") + path;
}

function signalFor(options: HttpCallOptions): AbortSignal {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  return options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
}

async function readText(response: Response, maxBytes: number): Promise<string> {
  const buffer = new Uint8Array(await response.arrayBuffer());
  return new TextDecoder().decode(buffer.subarray(0, maxBytes));
}

/** POST /v1/rewrap → the answer, or ValidatorCallError (refused / unreachable). */
export async function postRewrap(endpoint: string, signed: SignedRewrapRequest, options: HttpCallOptions): Promise<RewrapAnswer> {
  return postSigned(endpoint, "/v1/rewrap", signed, decodeRewrapAnswer, options);
}

/** POST /v1/rewrap/share (a threshold member's share of the content key) → the answer, or ValidatorCallError. */
export async function postShareRewrap(endpoint: string, signed: SignedRewrapRequest, options: HttpCallOptions): Promise<ShareRewrapAnswer> {
  return postSigned(endpoint, "/v1/rewrap/share", signed, decodeShareRewrapAnswer, options);
}

async function postSigned<T>(endpoint: string, path: string, signed: SignedRewrapRequest, decode: (text: string) => T, options: HttpCallOptions): Promise<T> {
  let response: Response;
  let text: string;
  try {
    response = await fetch(joinUrl(endpoint, path), {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: encodeRewrapRequest(signed),
      signal: signalFor(options),
    });
    text = await readText(response, 64 * 1024);
  } catch (cause) {
    if (options.signal?.aborted) throw new DekmeshClientError("CLIENT_ABORTED", "aborted", { cause });
    throw new ValidatorCallError({ kind: "unreachable", cause });
  }
  if (response.status === 200) {
    try {
      return decode(text);
    } catch (cause) {
      throw new ValidatorCallError({ kind: "unreachable", cause, status: 200 });
    }
  }
  try {
    throw new ValidatorCallError({ kind: "refused", error: decodeRefusal(text) });
  } catch (error) {
    if (error instanceof ValidatorCallError) throw error;
    // Not a rewrap refusal (a proxy, a 404 from an older node, …): this validator is unusable.
    throw new ValidatorCallError({ kind: "unreachable", cause: error, status: response.status });
  }
}

/**
 * PUT /v1/content/:cid, streaming the body; returns the pinned byte count. Sent with node:http
 * rather than fetch: fetch's upload of a stream body held most of a 100 MiB body in memory in
 * our measurements, node:http pipes with socket backpressure.
 */
export async function putContent(endpoint: string, cid: string, body: AsyncIterable<Uint8Array>, options: HttpCallOptions): Promise<number> {
  const url = new URL(joinUrl(endpoint, `/v1/content/${encodeURIComponent(cid)}`));
  const signal = signalFor(options);
  let status: number;
  let text: string;
  try {
    ({ status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const request = (url.protocol === "https:" ? httpsRequest : httpRequest)(url, {
        method: "PUT",
        headers: { "content-type": "application/octet-stream", "transfer-encoding": "chunked" },
        signal,
      });
      request.once("response", (response) => {
        const parts: Buffer[] = [];
        let size = 0;
        response.on("data", (part: Buffer) => {
          size += part.length;
          if (size <= 64 * 1024) parts.push(part);
        });
        response.once("end", () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(parts).toString("utf8") }));
        response.once("error", reject);
      });
      request.once("error", reject);
      // A refusal may come before the body is sent (unregistered CID, too large): the
      // response then wins and the pipeline's error is moot.
      pipeline(Readable.from(body), request).catch((error: unknown) => {
        if (!request.writableFinished) request.destroy(error as Error);
      });
    }));
  } catch (cause) {
    if (options.signal?.aborted) throw new DekmeshClientError("CLIENT_ABORTED", "aborted", { cause });
    throw new DekmeshClientError("CLIENT_UPLOAD_FAILED", "the initial validator could not be reached for the upload", { cause, retryable: true });
  }
  let json: { cid?: unknown; bytes?: unknown; error?: { code?: unknown } } = {};
  try {
    json = JSON.parse(text) as typeof json;
  } catch {
    // Reported below with the status.
  }
  if (status !== 201 || json.cid !== cid || typeof json.bytes !== "number") {
    const httpCode = typeof json.error?.code === "string" ? json.error.code : undefined;
    throw new DekmeshClientError("CLIENT_UPLOAD_FAILED", "the initial validator refused the upload", {
      details: { status, httpCode },
      retryable: status >= 500 || status === 408,
    });
  }
  return json.bytes;
}

/**
 * GET /v1/content/:cid: the byte stream (unverified: callers check the CID) and its length, which
 * the validator declares in Content-Length from its pin record (undefined if it did not).
 */
export async function getContent(
  endpoint: string,
  cid: string,
  options: HttpCallOptions,
): Promise<{ totalBytes: number | undefined; body: AsyncIterable<Uint8Array>; cancel: () => Promise<void> }> {
  // The deadline covers the answer's start; a large body then streams for as long as it takes.
  const started = AbortSignal.timeout(options.timeoutMs);
  const controller = new AbortController();
  const signals = [controller.signal, ...(options.signal ? [options.signal] : [])];
  const timer = setTimeout(() => controller.abort(started.reason), options.timeoutMs);
  let response: Response;
  try {
    response = await fetch(joinUrl(endpoint, `/v1/content/${encodeURIComponent(cid)}`), { signal: AbortSignal.any(signals) });
  } catch (cause) {
    throw new ValidatorCallError({ kind: "unreachable", cause });
  } finally {
    clearTimeout(timer);
  }
  if (response.status !== 200 || response.body === null) {
    await response.body?.cancel().catch(() => {});
    throw new ValidatorCallError({ kind: "unreachable", cause: new Error(`HTTP ${response.status}`), status: response.status });
  }
  const declared = Number(response.headers.get("content-length") ?? Number.NaN);
  const body = response.body;
  return {
    totalBytes: Number.isSafeInteger(declared) && declared >= 0 ? declared : undefined,
    body: body as unknown as AsyncIterable<Uint8Array>,
    cancel: () => body.cancel().catch(() => {}),
  };
}

export type { ByteSource };
