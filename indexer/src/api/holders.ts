// GET /holders/:cid — who can serve a content's DEK now, and who should fetch it.
import type { Hono } from "hono";
import type { Hex } from "viem";
import { allReplicaSet, xorReplicaSet } from "../../../node/replication/placement.js";
import { ApiError } from "../../lib/errors.js";
import { parseContentRef, rejectUnknownParameters } from "../../lib/params.js";
import { VersionedCache } from "./cache.js";
import { answer, errorResponse, stringify, type Found } from "./http.js";
import {
  activeValidators,
  findContent,
  findPolicy,
  holdings,
  replicaSlots,
  type ContentRow,
  type PolicyRow,
  type ValidatorRow,
} from "./queries.js";
import type { Reader } from "./version.js";

/**
 * Why a validator is listed, strongest first: it confirmed the DEK on chain; it is the initial
 * validator (the header is encrypted to it); the chain assigned it (stake slot or explicit
 * member) but it has not confirmed; placement computed from the active set puts it in the
 * replica set (xor, all) — it holds the DEK or will pull it lazily.
 */
export type HolderState = "confirmed" | "initial" | "assigned" | "computed";
const STATE_RANK: Record<HolderState, number> = { confirmed: 0, initial: 1, assigned: 2, computed: 3 };

/** The replica set of a content under its policy's mode; null marks a vacant stake slot. */
async function replicaSetOf(db: Reader, c: ContentRow, p: PolicyRow, active: ValidatorRow[]): Promise<(Hex | null)[]> {
  switch (p.mode) {
    case "stake":
      return (await replicaSlots(db, c.contentId)).map((s) => s.validator);
    case "explicit":
      return p.explicitMembers;
    case "xor":
      return xorReplicaSet(c.contentId, active, p.k).map((v) => v.node);
    case "all":
      return allReplicaSet(active).map((v) => v.node);
    default:
      throw new Error(`unknown replication mode ${p.mode}`);
  }
}

async function loadHolders(db: Reader, contentId: Hex): Promise<Found> {
  const row = await findContent(db, contentId);
  if (!row) return { notFound: new ApiError(404, "content_not_found", `no content ${contentId}`) };
  const p = await findPolicy(db, row.policyId);
  if (!p) throw new Error(`indexer invariant: content ${row.contentId} names unknown policy ${row.policyId}`);
  const active = await activeValidators(db);
  const confirmed = await holdings(db, row.contentId);
  const replicaSet = await replicaSetOf(db, row, p, active);

  const states = new Map<Hex, HolderState>();
  const offer = (node: Hex, state: HolderState) => {
    const current = states.get(node);
    if (current === undefined || STATE_RANK[state] < STATE_RANK[current]) states.set(node, state);
  };
  const memberState: HolderState = p.mode === "stake" || p.mode === "explicit" ? "assigned" : "computed";
  for (const node of replicaSet) if (node) offer(node, memberState);
  offer(row.initialValidator, "initial");
  for (const h of confirmed) offer(h.validator, "confirmed");

  const members = new Set(replicaSet.filter((n): n is Hex => n !== null));
  const confirmedAt = new Map(confirmed.map((h) => [h.validator, h.firstConfirmedBlock]));
  // Only active validators serve or pull; everything else is dropped here.
  const holders = active
    .filter((v) => states.has(v.node))
    .map((v) => ({
      node: v.node,
      state: states.get(v.node)!,
      inReplicaSet: members.has(v.node),
      confirmedBlock: confirmedAt.get(v.node) ?? null,
      endpoint: v.endpoint,
      peerId: v.peerId,
      multiaddrs: v.multiaddrs,
      kid: v.currentKid,
      kasPublicKey: v.kasPublicKey,
      stake: v.stake,
      weight: v.weight,
    }))
    .sort((a, b) => STATE_RANK[a.state] - STATE_RANK[b.state] || (a.node < b.node ? -1 : 1));

  return {
    body: stringify({
      content: {
        contentId: row.contentId,
        cid: row.cid,
        policyId: row.policyId,
        publisher: row.publisher,
        initialValidator: row.initialValidator,
        registeredBlock: row.registeredBlock,
      },
      replication: { mode: p.mode, k: p.k, replicaSet },
      holders,
    }),
  };
}

const cache = new VersionedCache<Found>();

export function registerHolders(app: Hono): void {
  app.get("/holders/:cid", async (c) => {
    try {
      rejectUnknownParameters(c.req.query(), []);
      const { contentId } = parseContentRef(c.req.param("cid"));
      const { head, value } = await cache.get(contentId, (db) => loadHolders(db, contentId));
      return answer(c, head, value);
    } catch (error) {
      return errorResponse(c, error);
    }
  });
}
