// Shared plumbing of the REST endpoints: JSON with bigints, the head every response carries,
// typed refusals, and the one-write response path.
import { ServerResponse } from "node:http";
import type { Context } from "hono";
import { ApiError } from "../../lib/errors.js";
import { currentVersion, type IndexedBlock } from "./version.js";

const replacer = (_key: string, value: unknown) => (typeof value === "bigint" ? value.toString() : value);

/** JSON text of a value; uint64/uint256 values (bigints) become decimal strings. */
export const stringify = (value: unknown): string => JSON.stringify(value, replacer);

const JSON_TYPE = "application/json; charset=utf-8";
/** @hono/node-server's marker for "the handler already wrote the Node response". */
const ALREADY_SENT = "x-hono-already-sent";

/**
 * Sends JSON text. Under Ponder (`ponder start|dev|serve` serve through @hono/node-server, which
 * hands the Node response to handlers as `c.env.outgoing`) it is written straight to the socket:
 * headers and body in one write. Through Hono's normal path, Ponder's CORS middleware has
 * already touched `c.res`, so Hono re-wraps every returned response around a web stream, which
 * the server then reads back chunk by chunk and sends in separate writes: under 50 concurrent
 * clients that re-wrapping, its garbage and the extra syscall were most of a cached /holders
 * answer's cost. The CORS header it would have added is written here; the returned marker tells
 * the server (and Ponder's metrics middleware, which reads status and length) what was sent.
 */
function sendJson(c: Context, status: number, text: string): Response {
  const outgoing = (c.env as { outgoing?: unknown } | undefined)?.outgoing;
  if (!(outgoing instanceof ServerResponse) || outgoing.headersSent) {
    return c.body(text, status as 200, { "content-type": JSON_TYPE });
  }
  const length = String(Buffer.byteLength(text));
  outgoing.writeHead(status, {
    "content-type": JSON_TYPE,
    "content-length": length,
    "access-control-allow-origin": "*",
  });
  outgoing.end(text);
  return new Response(null, { status, headers: { [ALREADY_SENT]: "true", "content-length": length } });
}

/**
 * A response whose body is `{ "block": head, …body }`. `body` is pre-serialised JSON object
 * text (cached entries keep it that way), so the head is spliced in without re-serialising.
 */
export function respond(c: Context, head: IndexedBlock, body: string, status: 200 | 404 = 200): Response {
  const rest = body === "{}" ? "}" : `,${body.slice(1)}`;
  return sendJson(c, status, `{"block":${JSON.stringify(head)}${rest}`);
}

/** `{ error: { code, message } }`, with the head when it can be read (a 404 may just mean "not yet"). */
export async function errorResponse(c: Context, error: unknown): Promise<Response> {
  const apiError =
    error instanceof ApiError ? error : new ApiError(500, "internal", "internal error while answering the request");
  if (!(error instanceof ApiError)) console.error(`REST ${c.req.method} ${c.req.path} failed`, error);
  let block: IndexedBlock | undefined;
  if (apiError.status !== 503) block = (await currentVersion().catch(() => undefined))?.head;
  const body = { error: { code: apiError.code, message: apiError.message }, ...(block ? { block } : {}) };
  return sendJson(c, apiError.status, stringify(body));
}

/** Either a found value's JSON or a 404 refusal, as cached per data version. */
export type Found = { body: string } | { notFound: ApiError };

export function answer(c: Context, head: IndexedBlock, found: Found): Response {
  if ("notFound" in found) {
    const { code, message } = found.notFound;
    return respond(c, head, stringify({ error: { code, message } }), 404);
  }
  return respond(c, head, found.body);
}
