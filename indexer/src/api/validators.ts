// GET /validators/active — the active set with stake, weight, keys and endpoints.
import type { Hono } from "hono";
import type { Hex } from "viem";
import { rejectUnknownParameters } from "../../lib/params.js";
import { errorResponse, json, readHead } from "./http.js";
import { activeValidators, liveKasKeys } from "./queries.js";

export function registerValidators(app: Hono): void {
  app.get("/validators/active", async (c) => {
    try {
      rejectUnknownParameters(c.req.query(), []);
      const block = await readHead();
      const active = await activeValidators();
      const keys = await liveKasKeys(active.map((v) => v.node));
      const keysByNode = new Map<Hex, { kid: Hex; publicKey: Hex; status: string }[]>();
      for (const k of keys) {
        const list = keysByNode.get(k.node) ?? [];
        list.push({ kid: k.kid, publicKey: k.publicKey, status: k.status });
        keysByNode.set(k.node, list);
      }
      return json(c, {
        block,
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
    } catch (error) {
      return errorResponse(c, error);
    }
  });
}
