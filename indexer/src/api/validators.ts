// GET /validators/active — the active set with stake, weight, keys and endpoints.
// GET /head — just the latest indexed block (the cheapest staleness probe).
import type { Hono } from "hono";
import type { Hex } from "viem";
import { rejectUnknownParameters } from "../../lib/params.js";
import { VersionedCache } from "./cache.js";
import { errorResponse, respond, stringify } from "./http.js";
import { readActive } from "./queries.js";
import { currentVersion, type Reader, type Version } from "./version.js";

async function loadActive(db: Reader): Promise<{ version: Version; value: string }> {
  const { version, row } = await readActive(db);
  const keysByNode = new Map<Hex, { kid: Hex; publicKey: Hex; status: string }[]>();
  for (const { node, ...key } of row.keys) {
    const list = keysByNode.get(node) ?? [];
    list.push(key);
    keysByNode.set(node, list);
  }
  const value = stringify({
    count: row.active.length,
    totalWeight: row.active.reduce((sum, v) => sum + BigInt(v.weight), 0n),
    validators: row.active.map(({ xorId, activatedAt, ...v }) => ({
      ...v,
      // Current and rotated keys: headers encrypted to a rotated key are still served.
      kasKeys: keysByNode.get(v.node) ?? [],
      xorId,
      activatedAt,
    })),
  });
  return { version, value };
}

const cache = new VersionedCache<string>(["validators"]);

export function registerValidators(app: Hono): void {
  app.get("/validators/active", async (c) => {
    try {
      rejectUnknownParameters(c.req.query(), []);
      const { head, value } = await cache.get("active", loadActive);
      return respond(c, head, value);
    } catch (error) {
      return errorResponse(c, error);
    }
  });

  app.get("/head", async (c) => {
    try {
      rejectUnknownParameters(c.req.query(), []);
      return respond(c, (await currentVersion()).head, "{}");
    } catch (error) {
      return errorResponse(c, error);
    }
  });
}
