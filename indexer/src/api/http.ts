// Shared plumbing of the REST endpoints: JSON with bigints, the head every response carries,
// and typed refusals.
import type { Context } from "hono";
import { ApiError } from "../../lib/errors.js";
import { currentVersion, type IndexedBlock } from "./version.js";

const replacer = (_key: string, value: unknown) => (typeof value === "bigint" ? value.toString() : value);

/** JSON text of a value; uint64/uint256 values (bigints) become decimal strings. */
export const stringify = (value: unknown): string => JSON.stringify(value, replacer);

/**
 * A response whose body is `{ "block": head, …body }`. `body` is pre-serialised JSON object
 * text (cached entries keep it that way), so the head is spliced in without re-serialising.
 */
export function respond(c: Context, head: IndexedBlock, body: string, status: 200 | 404 = 200): Response {
  const rest = body === "{}" ? "}" : `,${body.slice(1)}`;
  return c.body(`{"block":${JSON.stringify(head)}${rest}`, status, { "content-type": "application/json; charset=utf-8" });
}

/** `{ error: { code, message } }`, with the head when it can be read (a 404 may just mean "not yet"). */
export async function errorResponse(c: Context, error: unknown): Promise<Response> {
  const apiError =
    error instanceof ApiError ? error : new ApiError(500, "internal", "internal error while answering the request");
  if (!(error instanceof ApiError)) console.error(`REST ${c.req.method} ${c.req.path} failed`, error);
  let block: IndexedBlock | undefined;
  if (apiError.status !== 503) block = (await currentVersion().catch(() => undefined))?.head;
  const body = { error: { code: apiError.code, message: apiError.message }, ...(block ? { block } : {}) };
  return c.body(stringify(body), apiError.status, { "content-type": "application/json; charset=utf-8" });
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
