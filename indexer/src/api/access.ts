// GET /access/:cid/:account[?at=unix] — the access decision over indexed state.
import type { Hono } from "hono";
import type { Hex } from "viem";
import { evaluateAccess, type GrantState } from "../../lib/access.js";
import { ApiError } from "../../lib/errors.js";
import { parseAddress, parseContentRef, parseUint64, rejectUnknownParameters } from "../../lib/params.js";
import { errorResponse, json, readHead } from "./http.js";
import { findContent, findPolicy, grantsOf, namespacesById } from "./queries.js";

export function registerAccess(app: Hono): void {
  app.get("/access/:cid/:account", async (c) => {
    try {
      const query = c.req.query();
      rejectUnknownParameters(query, ["at"]);
      const ref = parseContentRef(c.req.param("cid"));
      const account = parseAddress(c.req.param("account"), "account");
      const at = query.at === undefined ? undefined : parseUint64(query.at, "at", "invalid_time");
      const block = await readHead();
      const row = await findContent(ref.contentId);
      if (!row) throw new ApiError(404, "content_not_found", `no content ${ref.contentId} as of block ${block.number}`);
      // By default the decision is the one the chain would give in the latest indexed block.
      const now = at ?? BigInt(block.timestamp);
      const p = await findPolicy(row.policyId);
      const namespaceIds = [...new Set((p?.requirements ?? []).map((r) => r.namespace as Hex))];
      const [namespaces, grants] = await Promise.all([namespacesById(namespaceIds), grantsOf(account, namespaceIds)]);
      const rules = new Map(namespaces.map((n) => [n.id, n.ruleCode]));
      const grantMap = new Map<string, GrantState>(grants.map((g) => [`${g.namespace}/${g.value}`, g]));
      const decision = evaluateAccess(p, account, now, {
        ruleOf: (ns) => rules.get(ns as Hex),
        grantOf: (ns, value) => grantMap.get(`${ns}/${value}`),
      });
      return json(c, {
        block,
        contentId: row.contentId,
        policyId: row.policyId,
        account,
        at: now,
        ...decision,
      });
    } catch (error) {
      return errorResponse(c, error);
    }
  });
}
