/**
 * POST /v1/recover: a publisher re-seeds a content's DEK at this validator (docs/http.md,
 * node/protocol/recoverySeed.ts for the body, node/validator/replication/recovery.ts for the checks).
 * Refusals are the rewrap refusals (the 256-byte body of encodeRefusal) — a too-large or
 * malformed body included — so a client reads one refusal shape here as on the rewrap routes.
 */
import { decodeRecoverySeed } from "../../../protocol/recoverySeed.js";
import { MAX_RECOVER_BODY_BYTES } from "../constants.js";
import type { Exchange } from "../exchange.js";
import type { ResolvedHttpOptions, ValidatorHttpComponents } from "../options.js";
import { jsonBody } from "./rewrap.js";

export function recoverRoutes(recovery: NonNullable<ValidatorHttpComponents["recovery"]>, options: ResolvedHttpOptions) {
  return {
    async recover(ex: Exchange): Promise<void> {
      const seed = decodeRecoverySeed(await jsonBody(ex, MAX_RECOVER_BODY_BYTES, options));
      const result = await recovery.accept(seed, { signal: ex.signal });
      ex.json(200, JSON.stringify({ contentId: result.contentId, stored: result.stored }));
    },
  };
}
