/**
 * POST /v1/rewrap, POST /v1/rewrap/bulk, POST /v1/rewrap/share, POST /v1/session: JSON bodies in the wire format of
 * node/protocol/rewrap/wire.ts, handed to the rewrap service with the client's abort signal. A body that
 * is too large or not the wire format is refused like any other rewrap refusal (the 256-byte
 * body of encodeRefusal), so a client reads one refusal shape from these routes; only the
 * transport-level refusals (method, content type, timeout) use the HTTP error shape.
 */
import {
  decodeBulkRequest,
  decodeRewrapRequest,
  decodeSessionGrant,
  encodeBulkAnswer,
  encodeRewrapAnswer,
  encodeSessionInfo,
  encodeShareRewrapAnswer,
  RewrapError,
} from "../../../protocol/rewrap/index.js";
import { MAX_BULK_BODY_BYTES, MAX_REWRAP_BODY_BYTES, MAX_SESSION_BODY_BYTES } from "../constants.js";
import type { Exchange } from "../exchange.js";
import type { ResolvedHttpOptions, ValidatorHttpComponents } from "../options.js";

const tooLarge = (): RewrapError => new RewrapError("REWRAP_TOO_LARGE");

/** A JSON body under `maxBytes`; over it, REWRAP_TOO_LARGE (the routes that answer with rewrap refusals). */
export async function jsonBody(ex: Exchange, maxBytes: number, options: ResolvedHttpOptions): Promise<Buffer> {
  ex.requireContentType("application/json");
  return ex.body({ maxBytes, tooLarge, deadlineMs: options.requestTimeoutMs }).read();
}

export function rewrapRoutes(components: ValidatorHttpComponents, options: ResolvedHttpOptions) {
  const service = components.rewrap;
  return {
    async rewrap(ex: Exchange): Promise<void> {
      const signed = decodeRewrapRequest(await jsonBody(ex, MAX_REWRAP_BODY_BYTES, options));
      const answer = await service.rewrap(signed, { signal: ex.signal });
      ex.json(200, encodeRewrapAnswer(answer));
    },

    async bulk(ex: Exchange): Promise<void> {
      const signed = decodeBulkRequest(await jsonBody(ex, MAX_BULK_BODY_BYTES, options));
      const answer = await service.rewrapBulk(signed, { signal: ex.signal });
      ex.json(200, encodeBulkAnswer(answer));
    },

    /** A threshold member's share answer (docs/threshold.md#reading): the request of /v1/rewrap. */
    async share(ex: Exchange): Promise<void> {
      const signed = decodeRewrapRequest(await jsonBody(ex, MAX_REWRAP_BODY_BYTES, options));
      const answer = await service.rewrapShare(signed, { signal: ex.signal });
      ex.json(200, encodeShareRewrapAnswer(answer));
    },

    async session(ex: Exchange): Promise<void> {
      const grant = decodeSessionGrant(await jsonBody(ex, MAX_SESSION_BODY_BYTES, options));
      ex.json(200, encodeSessionInfo(await service.registerSession(grant)));
    },
  };
}
