// GET /access/:cid/:account[?at=unix] — the access decision over indexed state, at the time
// of the latest indexed block unless `at` says otherwise.
import type { Hono } from "hono";
import type { Address, Hex } from "viem";
import { evaluateAccess, type GrantState, type PolicyTerms } from "../../lib/access.js";
import { ApiError } from "../../lib/errors.js";
import { parseAddress, parseContentRef, parseUint64, rejectUnknownParameters } from "../../lib/params.js";
import { VersionedCache } from "./cache.js";
import { errorResponse, respond, stringify } from "./http.js";
import { findContent, findPolicy, grantsOf, namespacesById } from "./queries.js";
import type { Reader } from "./version.js";

/** What the decision depends on, cached per data version; the time is applied per request. */
type AccessInputs =
  | { found: false }
  | {
      found: true;
      policyId: bigint;
      policy: PolicyTerms | undefined;
      rules: Map<string, number>;
      grants: Map<string, GrantState>;
    };

async function loadInputs(db: Reader, contentId: Hex, account: Address): Promise<AccessInputs> {
  const row = await findContent(db, contentId);
  if (!row) return { found: false };
  const policy = await findPolicy(db, row.policyId);
  const namespaceIds = [...new Set((policy?.requirements ?? []).map((r) => r.namespace as Hex))];
  const namespaces = await namespacesById(db, namespaceIds);
  const grants = await grantsOf(db, account, namespaceIds);
  return {
    found: true,
    policyId: row.policyId,
    policy,
    rules: new Map(namespaces.map((n) => [n.id, n.ruleCode])),
    grants: new Map(grants.map((g) => [`${g.namespace}/${g.value}`, { expiresAt: g.expiresAt, active: g.active }])),
  };
}

const cache = new VersionedCache<AccessInputs>();

export function registerAccess(app: Hono): void {
  app.get("/access/:cid/:account", async (c) => {
    try {
      const query = c.req.query();
      rejectUnknownParameters(query, ["at"]);
      const { contentId } = parseContentRef(c.req.param("cid"));
      const account = parseAddress(c.req.param("account"), "account");
      const at = query.at === undefined ? undefined : parseUint64(query.at, "at", "invalid_time");
      const { head, value } = await cache.get(`${contentId}/${account}`, (db) => loadInputs(db, contentId, account));
      if (!value.found) throw new ApiError(404, "content_not_found", `no content ${contentId}`);
      // The chain evaluates with block.timestamp; by default so does this, for the indexed head.
      const now = at ?? BigInt(head.timestamp);
      const decision = evaluateAccess(value.policy, account, now, {
        ruleOf: (ns) => value.rules.get(ns),
        grantOf: (ns, v) => value.grants.get(`${ns}/${v}`),
      });
      return respond(c, head, stringify({ contentId, policyId: value.policyId, account, at: now, ...decision }));
    } catch (error) {
      return errorResponse(c, error);
    }
  });
}
