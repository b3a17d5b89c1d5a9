// GET /validators/active — the active set with stake, weight, keys and endpoints.
// GET /head — just the latest indexed block (the cheapest staleness probe).
import type { Hono } from "hono";
import type { Hex } from "viem";
import { rejectUnknownParameters } from "../../lib/params.js";
import { VersionedCache } from "./cache.js";
import { errorResponse, respond, stringify } from "./http.js";
import { activeValidators, liveKasKeys } from "./queries.js";
import { currentVersion, type Reader } from "./version.js";

async function loadActive(db: Reader): Promise<string> {
  const active = await activeValidators(db);
  const keys = await liveKasKeys(db, active.map((v) => v.node));
  const keysByNode = new Map<Hex, { kid: Hex; publicKey: Hex; status: string }[]>();
  for (const k of keys) {
    const list = keysByNode.get(k.node) ?? [];
    list.push({ kid: k.kid, publicKey: k.publicKey, status: k.status });
    keysByNode.set(k.node, list);
  }
  return stringify({
    count: active.length,
    totalWeight: active.reduce((sum, v) => sum + v.weight, 0n),
    validators: active.map((v) => ({
      node: v.node,
      operator: v.operator,
      stake: v.stake,
      weight: v.weight,
      endpoint: v.endpoint,
      peerId: v.peerId,
      multiaddrs: v.multiaddrs,
      kid: v.currentKid,
      kasPublicKey: v.kasPublicKey,
      // Current and rotated keys: headers encrypted to a rotated key are still served.
      kasKeys: keysByNode.get(v.node) ?? [],
      xorId: v.xorId,
      activatedAt: v.activatedAt,
    })),
  });
}

const cache = new VersionedCache<string>();

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
