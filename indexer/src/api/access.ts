// GET /access/:cid/:account[?at=unix] — the access decision over indexed state, at the time
// of the latest indexed block unless `at` says otherwise. `needsChain: true` (allowed and
// reason null) when the policy's conditions need chain state to decide (lib/access.ts).
import type { Hono } from "hono";
import type { Address, Hex } from "viem";
import { evaluateAccess, type GrantState, type PolicyTerms } from "../../lib/access.js";
import { ApiError } from "../../lib/errors.js";
import { parseAddress, parseContentRef, parseUint64, rejectUnknownParameters } from "../../lib/params.js";
import { VersionedCache } from "./cache.js";
import { errorResponse, respond, stringify } from "./http.js";
import { readAccess } from "./queries.js";
import type { Reader, Version } from "./version.js";

/** What the decision depends on, cached per version; the time is applied per request. */
type AccessInputs =
  | { found: false }
  | { found: true; policyId: string; policy: PolicyTerms | undefined; rules: Map<string, number>; grants: Map<string, GrantState> };

async function loadInputs(db: Reader, contentId: Hex, account: Address): Promise<{ version: Version; value: AccessInputs }> {
  const { version, row } = await readAccess(db, contentId, account);
  if (!row.found) return { version, value: { found: false } };
  const p = row.policy;
  const policy: PolicyTerms | undefined = p
    ? {
        publisher: p.publisher,
        revoked: p.revoked,
        notBefore: BigInt(p.notBefore),
        notAfter: BigInt(p.notAfter),
        allowlist: p.allowlist,
        requirements: p.requirements,
        conditions: p.conditions,
      }
    : undefined;
  return {
    version,
    value: {
      found: true,
      policyId: row.policyId!,
      policy,
      rules: new Map(row.rules.map((r) => [r.id, r.ruleCode])),
      grants: new Map(row.grants.map((g) => [`${g.namespace}/${g.value}`, { expiresAt: BigInt(g.expiresAt), active: g.active }])),
    },
  };
}

const cache = new VersionedCache<AccessInputs>(["contents", "policies", "attributes"]);

export function registerAccess(app: Hono): void {
  app.get("/access/:cid/:account", async (c) => {
    try {
      const query = c.req.query();
      rejectUnknownParameters(query, ["at"]);
      const { contentId } = parseContentRef(c.req.param("cid"));
      const account = parseAddress(c.req.param("account"), "account");
      const at = query.at === undefined ? undefined : parseUint64(query.at, "at", "invalid_time");
      const { head, value } = await cache.get(`${contentId}/${account}`, (db) => loadInputs(db, contentId, account));
      if (!value.found) throw new ApiError(404, "content_not_found", "no content with this id");
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
