// POST /graphql, held to the limits of public queries, with errors that say what went wrong
// without the server's words.
//
// In front of Ponder's graphql() middleware: the request body is read up to a size, the query
// parsed and costed from its text (lib/graphqlCost.ts: depth, rows, statements), and only then
// run by Ponder, one public query at a time (gate.ts). Ponder answers resolver failures with
// the thrown message ("Cannot read properties of undefined (reading 'contentId')" for a
// malformed cursor, Postgres' own messages, the JSON parser's), so every error of its answer is
// replaced by a fixed message for its code; `locations` and `path` still point into the query.
import schema from "ponder:schema";
import { isView } from "drizzle-orm";
import type { Context, MiddlewareHandler } from "hono";
import { GraphQLError, parse, type DocumentNode } from "graphql";
import { ApiError } from "../../lib/errors.js";
import { graphqlCost, GraphqlRefusal, type GraphqlRefusalCode } from "../../lib/graphqlCost.js";
import type { GraphqlLimits } from "../../lib/publicLimits.js";
import type { QueryGate } from "./gate.js";

type Code =
  | GraphqlRefusalCode
  | "BAD_REQUEST"
  | "PAYLOAD_TOO_LARGE"
  | "GRAPHQL_PARSE_FAILED"
  | "GRAPHQL_VALIDATION_FAILED"
  | "BAD_USER_INPUT"
  | "BUSY"
  | "RATE_LIMITED"
  | "QUERY_FAILED";

const MESSAGES: Record<Exclude<Code, GraphqlRefusalCode>, string> = {
  BAD_REQUEST: "expected a JSON body with a query string, and optionally variables and operationName",
  PAYLOAD_TOO_LARGE: "the request body is too large",
  GRAPHQL_PARSE_FAILED: "the query is not valid GraphQL",
  GRAPHQL_VALIDATION_FAILED: "the query does not match the schema",
  BAD_USER_INPUT: "a variable, argument or operation name is invalid",
  BUSY: "too many queries are waiting; retry later",
  RATE_LIMITED: "too many public queries from this address; retry in a second",
  QUERY_FAILED: "the query could not be answered; check its arguments (cursors, orderBy, where)",
};

interface OutgoingError {
  message: string;
  locations?: unknown;
  path?: unknown;
  extensions: { code: Code };
}

const messageOf = (code: Code): string =>
  code in MESSAGES ? MESSAGES[code as keyof typeof MESSAGES] : new GraphqlRefusal(code as GraphqlRefusalCode).message;

function errorBody(code: Code, locations?: unknown): string {
  const error: OutgoingError = { message: messageOf(code), ...(locations ? { locations } : {}), extensions: { code } };
  return JSON.stringify({ errors: [error] });
}

const JSON_TYPE = { "content-type": "application/json; charset=utf-8" };

/** The body as text, or undefined once it exceeds `max` bytes (the rest is not read). */
async function readBody(c: Context, max: number): Promise<string | undefined> {
  const declared = Number(c.req.header("content-length") ?? "0");
  if (declared > max) return undefined;
  const body = c.req.raw.body;
  if (!body) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > max) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** The refusal of a request over the client's public query rate (rateLimit.ts). */
export const graphqlRateLimited = (c: Context): Response => c.body(errorBody("RATE_LIMITED"), 429, JSON_TYPE);

/** Ponder's answer with each error's message replaced by its code's. */
function maskErrors(text: string): string {
  if (!text.includes('"errors"')) return text;
  let body: { errors?: { extensions?: { code?: unknown }; locations?: unknown; path?: unknown; message?: unknown }[] };
  try {
    body = JSON.parse(text);
  } catch {
    return errorBody("QUERY_FAILED");
  }
  if (!Array.isArray(body.errors)) return text;
  body.errors = body.errors.map((e) => {
    const given = e.extensions?.code;
    // graphql-js reports bad variables and operation names without a code and, unlike a
    // resolver's failure, without a path.
    const code: Code =
      given === "GRAPHQL_PARSE_FAILED" || given === "GRAPHQL_VALIDATION_FAILED" || given === "BAD_USER_INPUT" || given === "BAD_REQUEST"
        ? given
        : given === undefined && e.path === undefined
          ? "BAD_USER_INPUT"
          : "QUERY_FAILED";
    if (code === "QUERY_FAILED") console.warn(`GraphQL query failed: ${String(e.message).slice(0, 500)}`);
    const out: OutgoingError = { message: messageOf(code), extensions: { code } };
    if (e.locations) out.locations = e.locations;
    if (e.path) out.path = e.path;
    return out;
  });
  return JSON.stringify(body);
}

/** The root fields that list a view: Ponder names them after the schema export, plural. */
const VIEW_FIELDS: ReadonlySet<string> = new Set(
  Object.entries(schema)
    .filter(([, v]) => isView(v))
    .map(([name]) => `${name.charAt(0).toLowerCase()}${name.slice(1)}s`),
);

/** Wraps Ponder's graphql() middleware (`ponder`) with the limits. */
export function graphqlGuard(limits: GraphqlLimits, gate: QueryGate, ponder: MiddlewareHandler): MiddlewareHandler {
  return async (c, next) => {
    // GET serves GraphiQL, which runs its queries by POST.
    if (c.req.method !== "POST") return ponder(c, next);
    const answer = (code: Code, locations?: unknown) => c.body(errorBody(code, locations), code === "BUSY" ? 503 : 200, JSON_TYPE);
    const text = await readBody(c, limits.maxBodyBytes);
    if (text === undefined) return c.body(errorBody("PAYLOAD_TOO_LARGE"), 413, JSON_TYPE);
    let request: { query?: unknown; variables?: unknown; operationName?: unknown };
    try {
      request = JSON.parse(text);
    } catch {
      return answer("BAD_REQUEST");
    }
    const variables = request?.variables ?? {};
    if (
      typeof request !== "object" ||
      request === null ||
      typeof request.query !== "string" ||
      typeof variables !== "object" ||
      Array.isArray(variables) ||
      !(request.operationName === undefined || request.operationName === null || typeof request.operationName === "string")
    ) {
      return answer("BAD_REQUEST");
    }
    let document: DocumentNode;
    try {
      document = parse(request.query, { maxTokens: limits.maxTokens });
    } catch (error) {
      return answer("GRAPHQL_PARSE_FAILED", error instanceof GraphQLError ? error.locations : undefined);
    }
    try {
      graphqlCost(document, variables as Record<string, unknown>, VIEW_FIELDS, limits);
    } catch (error) {
      if (error instanceof GraphqlRefusal) return answer(error.code);
      throw error;
    }
    try {
      return await gate.run(async () => {
        c.req.raw = new Request(c.req.url, {
          method: "POST",
          headers: { "content-type": "application/json", accept: "application/json" },
          body: JSON.stringify({ query: request.query, variables, operationName: request.operationName ?? undefined }),
        });
        const response = (await ponder(c, next)) as Response;
        return c.body(maskErrors(await response.text()), 200, JSON_TYPE);
      });
    } catch (error) {
      if (error instanceof ApiError && error.code === "busy") return answer("BUSY");
      throw error;
    }
  };
}
