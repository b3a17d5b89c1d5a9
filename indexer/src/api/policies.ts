// GET /policies/:id — a policy's current version with names resolved.
import type { Hono } from "hono";
import type { Hex } from "viem";
import { ApiError } from "../../lib/errors.js";
import { parseUint64, rejectUnknownParameters } from "../../lib/params.js";
import { errorResponse, json, readHead } from "./http.js";
import { findPolicy, namespacesById, valueNames } from "./queries.js";

export function registerPolicies(app: Hono): void {
  app.get("/policies/:id", async (c) => {
    try {
      rejectUnknownParameters(c.req.query(), []);
      const id = parseUint64(c.req.param("id"), "policy id", "invalid_policy_id");
      const block = await readHead();
      const p = await findPolicy(id);
      if (!p) throw new ApiError(404, "policy_not_found", `no policy ${id} as of block ${block.number}`);
      const ids = [...new Set(p.requirements.map((r) => r.namespace))];
      const [namespaces, values] = await Promise.all([namespacesById(ids), valueNames(ids)]);
      const nsById = new Map(namespaces.map((n) => [n.id, n]));
      const valueName = new Map(values.map((v) => [`${v.namespace}/${v.value}`, v.name]));
      return json(c, {
        block,
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
      });
    } catch (error) {
      return errorResponse(c, error);
    }
  });
}
