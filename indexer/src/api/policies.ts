// GET /policies/:id — a policy's current version with names resolved.
import type { Hono } from "hono";
import type { Hex } from "viem";
import { ApiError } from "../../lib/errors.js";
import { parseUint64, rejectUnknownParameters } from "../../lib/params.js";
import { VersionedCache } from "./cache.js";
import { answer, errorResponse, stringify, type Found } from "./http.js";
import { findPolicy, namespacesById, valueNames } from "./queries.js";
import type { Reader } from "./version.js";

async function loadPolicy(db: Reader, id: bigint): Promise<Found> {
  const p = await findPolicy(db, id);
  if (!p) return { notFound: new ApiError(404, "policy_not_found", `no policy ${id}`) };
  const ids = [...new Set(p.requirements.map((r) => r.namespace))];
  const namespaces = await namespacesById(db, ids);
  const values = await valueNames(db, ids);
  const nsById = new Map(namespaces.map((n) => [n.id, n]));
  const valueName = new Map(values.map((v) => [`${v.namespace}/${v.value}`, v.name]));
  return {
    body: stringify({
      policy: {
        id: p.id,
        publisher: p.publisher,
        version: p.version,
        revoked: p.revoked,
        notBefore: p.notBefore,
        notAfter: p.notAfter,
        allowlist: p.allowlist,
        requirements: p.requirements.map((r) => ({
          namespace: r.namespace,
          namespaceName: nsById.get(r.namespace as Hex)?.name ?? null,
          rule: nsById.get(r.namespace as Hex)?.rule ?? null,
          value: r.value,
          valueName: valueName.get(`${r.namespace}/${r.value}`) ?? null,
        })),
        replication: { mode: p.mode, k: p.k, explicitMembers: p.explicitMembers },
        createdBlock: p.createdBlock,
        createdAt: p.createdAt,
        updatedBlock: p.updatedBlock,
        updatedAt: p.updatedAt,
        revokedBlock: p.revokedBlock,
        revokedAt: p.revokedAt,
      },
    }),
  };
}

const cache = new VersionedCache<Found>();

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
