// GET /policies/:id — a policy's current version with names resolved, its conditions in the
// grammar of docs/conditions.md (null = none).
import type { Hono } from "hono";
import { ApiError } from "../../lib/errors.js";
import { parseUint64, rejectUnknownParameters } from "../../lib/params.js";
import { VersionedCache } from "./cache.js";
import { answer, errorResponse, stringify, type Found } from "./http.js";
import { readPolicy } from "./queries.js";
import type { Reader, Version } from "./version.js";

async function loadPolicy(db: Reader, id: bigint): Promise<{ version: Version; value: Found }> {
  const { version, row } = await readPolicy(db, id);
  const p = row.policy;
  if (!p) return { version, value: { notFound: new ApiError(404, "policy_not_found", "no policy with this id") } };
  const nsById = new Map(row.namespaces.map((n) => [n.id, n]));
  const valueName = new Map(row.values.map((v) => [`${v.namespace}/${v.value}`, v.name]));
  const { mode, k, explicitMembers, requirements, ...rest } = p;
  const policy = {
    ...rest,
    requirements: requirements.map((r) => ({
      namespace: r.namespace,
      namespaceName: nsById.get(r.namespace)?.name ?? null,
      rule: nsById.get(r.namespace)?.rule ?? null,
      value: r.value,
      valueName: valueName.get(`${r.namespace}/${r.value}`) ?? null,
    })),
    replication: { mode, k, explicitMembers },
  };
  return { version, value: { body: stringify({ policy }) } };
}

const cache = new VersionedCache<Found>(["policies", "attributes"]);

export function registerPolicies(app: Hono): void {
  app.get("/policies/:id", async (c) => {
    try {
      rejectUnknownParameters(c.req.query(), []);
      const id = parseUint64(c.req.param("id"), "policy id", "invalid_policy_id");
      const { head, value } = await cache.get(String(id), (db) => loadPolicy(db, id));
      return answer(c, head, value);
    } catch (error) {
      return errorResponse(c, error);
    }
  });
}
