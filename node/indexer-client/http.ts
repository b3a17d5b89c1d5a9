/**
 * One GET or POST to the indexer with a deadline, a response size limit and typed failures.
 * Every response of the REST API is JSON; refusals are `{ error: { code, message }, block? }`.
 */
import { BodyTooLargeError, readBounded } from "../protocol/boundedRead.js";
import { IndexerClientError } from "./errors.js";

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface HttpResponse {
  status: number;
  body: unknown;
}

export interface HttpRequest {
  fetch: FetchLike;
  url: string;
  /** Path for error details (no host). */
  path: string;
  timeoutMs: number;
  maxResponseBytes: number;
  signal?: AbortSignal;
  /** JSON body: the request becomes a POST. */
  json?: unknown;
}

/** The body as text, at most `maxBytes` (INDEXER_BAD_RESPONSE beyond). */
async function readLimited(response: Response, maxBytes: number, path: string): Promise<string> {
  try {
    const bytes = await readBounded(response, maxBytes);
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8");
  } catch (error) {
    if (!(error instanceof BodyTooLargeError)) throw error;
    throw new IndexerClientError("INDEXER_BAD_RESPONSE", "indexer response is too large", { details: { path, ...error.details } });
  }
}

/** Performs the request; throws INDEXER_UNAVAILABLE / INDEXER_ABORTED / INDEXER_BAD_RESPONSE. */
export async function requestJson(request: HttpRequest): Promise<HttpResponse> {
  const { path } = request;
  const timeout = AbortSignal.timeout(request.timeoutMs);
  const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
  let response: Response;
  let text: string;
  try {
    const init: RequestInit =
      request.json === undefined
        ? { method: "GET", signal, headers: { accept: "application/json" } }
        : {
            method: "POST",
            signal,
            headers: { accept: "application/json", "content-type": "application/json" },
            body: JSON.stringify(request.json),
          };
    response = await request.fetch(request.url + path, init);
    text = await readLimited(response, request.maxResponseBytes, path);
  } catch (error) {
    if (error instanceof IndexerClientError) throw error;
    if (request.signal?.aborted) {
      throw new IndexerClientError("INDEXER_ABORTED", "indexer read aborted", { details: { path }, cause: error });
    }
    if (timeout.aborted) {
      throw new IndexerClientError("INDEXER_UNAVAILABLE", "indexer did not answer in time", {
        details: { path, timeoutMs: request.timeoutMs },
        cause: error,
      });
    }
    throw new IndexerClientError("INDEXER_UNAVAILABLE", "indexer is unreachable", { details: { path }, cause: error });
  }
  let body: unknown;
  try {
    body = text === "" ? undefined : JSON.parse(text);
  } catch (cause) {
    if (response.status >= 500) {
      throw new IndexerClientError("INDEXER_UNAVAILABLE", "indexer failed", { details: { path, status: response.status } });
    }
    throw new IndexerClientError("INDEXER_BAD_RESPONSE", "indexer answered with something other than JSON", {
      details: { path, status: response.status },
      cause,
    });
  }
  if (response.status >= 500) {
    throw new IndexerClientError("INDEXER_UNAVAILABLE", "indexer failed or is not ready", {
      details: { path, status: response.status, code: errorCode(body) },
    });
  }
  return { status: response.status, body };
}

/** The `error.code` of a REST refusal, if the body has one. */
export function errorCode(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const error = (body as { error?: unknown }).error;
  if (typeof error !== "object" || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code.slice(0, 64) : undefined;
}

/** A 404 of the REST API: the indexer does not know the content, policy or account. */
export function notFoundError(path: string, body: unknown): IndexerClientError {
  return new IndexerClientError("INDEXER_NOT_FOUND", "the indexer does not know it", { details: { path, code: errorCode(body) } });
}

/** Any status the read does not expect (4xx other than a handled 404; 5xx are INDEXER_UNAVAILABLE already). */
export function unexpectedStatus(path: string, status: number, body: unknown): IndexerClientError {
  return new IndexerClientError("INDEXER_BAD_RESPONSE", `indexer answered HTTP ${status}`, {
    details: { path, status, code: errorCode(body) },
  });
}
