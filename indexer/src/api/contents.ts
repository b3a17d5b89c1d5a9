// POST /contents/policies — the policies of many contents at once, for the validators' bulk
// rewraps (up to 1,000 contents per request). A REST read like the others: one statement, not
// behind the public query gate, so expensive public queries cannot delay it by more than the
// one public statement PGlite may be running (src/api/gate.ts). Unknown ids are left out; the
// answer's block says how fresh "left out" is.
import { db } from "ponder:api";
import type { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { ApiError, badRequest } from "../../lib/errors.js";
import { parseContentIdList, rejectUnknownParameters } from "../../lib/params.js";
import { errorResponse, respond, stringify } from "./http.js";
import { readContentPolicies } from "./queries.js";

/** 1,000 ids of 68 characters each, with room for spacing. */
const MAX_BODY_BYTES = 128 * 1024;

export function registerContents(app: Hono): void {
  app.post(
    "/contents/policies",
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => errorResponse(c, new ApiError(413, "body_too_large", "the request body is larger than 128 KiB")),
    }),
    async (c) => {
      try {
        rejectUnknownParameters(c.req.query(), []);
        let body: unknown;
        try {
          body = await c.req.json();
        } catch {
          throw badRequest("invalid_body", "the request body is not JSON");
        }
        const ids = parseContentIdList(body);
        const { version, row } = await readContentPolicies(db, ids);
        return respond(c, version.head, stringify({ contents: row.contents }));
      } catch (error) {
        return errorResponse(c, error);
      }
    },
  );
}
