// A per-client rate on the public query surfaces (GraphQL, SQL over HTTP): at most
// `perSecond` requests per client address and second, over both surfaces together
// (hono-rate-limiter's fixed one-second window). A request over the rate is not answered at
// once: its refusal waits until the client's window ends. A client that sends its next request
// only when the last one is answered — a script in a loop — is thereby slowed to the rate
// instead of spinning on cheap refusals, each of which would still cost the indexer a request's
// parsing and answer on the thread that serves the validators' REST reads. The REST endpoints
// are not rate limited: they are what validators and clients need, and each is one cheap,
// cached statement.
//
// Behind a reverse proxy every client has the proxy's address: limit per client at the proxy
// and raise or turn off this one (`DEKMESH_PUBLIC_RATE`, docs/operations.md).
import type { IncomingMessage } from "node:http";
import type { Context, MiddlewareHandler } from "hono";
import { MemoryStore, rateLimiter } from "hono-rate-limiter";

const WINDOW_MS = 1_000;

/** The client's address as the socket has it (one key per IPv4/IPv6 address). */
function clientAddress(c: Context): string {
  return (c.env as { incoming?: IncomingMessage } | undefined)?.incoming?.socket.remoteAddress ?? "unknown";
}

/**
 * One limiter per surface, sharing one count per client. `refuse` answers in the surface's own
 * error format once the hold is over. `perSecond` 0 turns the rate off.
 */
export function publicRate(perSecond: number): (refuse: (c: Context) => Response | Promise<Response>) => MiddlewareHandler {
  const store = new MemoryStore();
  return (refuse) => {
    if (perSecond === 0) return async (_c, next) => next();
    return rateLimiter({
      windowMs: WINDOW_MS,
      limit: perSecond,
      standardHeaders: false,
      keyGenerator: clientAddress,
      store,
      handler: async (c) => {
        const resetAt = (c.get("rateLimit" as never) as { resetTime?: Date } | undefined)?.resetTime?.getTime() ?? Date.now();
        const hold = Math.min(Math.max(resetAt - Date.now(), 0), WINDOW_MS);
        await new Promise((resolve) => setTimeout(resolve, hold));
        return refuse(c);
      },
    });
  };
}
