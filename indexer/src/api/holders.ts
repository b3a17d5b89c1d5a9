// GET /holders/:cid — who can serve a content's DEK now, and who should fetch it. For a content
// its initial validator reported unusable (nobody can derive the DEK from its header) the answer
// says so in `content.unusable` and lists nobody: validators no longer replicate it. For a
// threshold(m, n) content the members are listed with the index of the share each holds, and
// `replication.threshold` carries m, n, the commitments and the slots (docs/threshold.md).
import type { Hono } from "hono";
import type { Hex } from "viem";
import { allReplicaSet, xorReplicaSet } from "../../../node/protocol/placement.js";
import { ApiError } from "../../lib/errors.js";
import { parseContentRef, rejectUnknownParameters } from "../../lib/params.js";
import { VersionedCache } from "./cache.js";
import { answer, errorResponse, stringify, type Found } from "./http.js";
import { readHolders, type HoldersData } from "./queries.js";
import type { Reader, Version } from "./version.js";

/**
 * Why a validator is listed, strongest first: it confirmed the DEK on chain; it is the initial
 * validator (the header is encrypted to it); the chain assigned it (stake slot or explicit
 * member) but it has not confirmed; placement computed from the active set puts it in the
 * replica set (xor, all) — it holds the DEK or will pull it lazily.
 */
export type HolderState = "confirmed" | "initial" | "assigned" | "computed";
const STATE_RANK: Record<HolderState, number> = { confirmed: 0, initial: 1, assigned: 2, computed: 3 };

/** The replica set of a content under its policy's mode; null marks a vacant stake slot. */
function replicaSetOf(data: HoldersData, contentId: Hex): (Hex | null)[] {
  const c = data.content!;
  switch (c.mode) {
    case "stake":
      return data.slots;
    case "explicit":
      return c.explicitMembers;
    case "xor":
      return xorReplicaSet(contentId, data.active, c.k).map((v) => v.node);
    case "all":
      return allReplicaSet(data.active).map((v) => v.node);
    case "threshold":
      return data.thresholdSlots.map((s) => s.member);
  }
}

async function loadHolders(db: Reader, contentId: Hex): Promise<{ version: Version; value: Found }> {
  const { version, row } = await readHolders(db, contentId);
  const c = row.content;
  if (!c) return { version, value: { notFound: new ApiError(404, "content_not_found", "no content with this id") } };
  const { unusableReason, unusableBlock, ...registered } = c;
  const unusable = unusableReason === null ? null : { reason: unusableReason, block: unusableBlock };
  const replicaSet = unusable === null ? replicaSetOf(row, contentId) : [];

  const states = new Map<Hex, HolderState>();
  const offer = (node: Hex, state: HolderState) => {
    const current = states.get(node);
    if (current === undefined || STATE_RANK[state] < STATE_RANK[current]) states.set(node, state);
  };
  const memberState: HolderState = c.mode === "stake" || c.mode === "explicit" || c.mode === "threshold" ? "assigned" : "computed";
  for (const node of replicaSet) if (node) offer(node, memberState);
  offer(c.initialValidator, "initial");
  for (const h of row.holdings) offer(h.validator, "confirmed");

  const members = new Set(replicaSet.filter((n): n is Hex => n !== null));
  const confirmedAt = new Map(row.holdings.map((h) => [h.validator, h.firstConfirmedBlock]));
  // A threshold member serves its own share: a reader asks m of them, each for its index.
  const shareIndexes = c.mode === "threshold" ? new Map(row.thresholdSlots.map((s) => [s.member, s.index])) : undefined;
  // Only active validators serve or pull; everything else is dropped here.
  const holders = row.active
    .filter((v) => unusable === null && states.has(v.node))
    .map((v) => ({
      node: v.node,
      state: states.get(v.node)!,
      inReplicaSet: members.has(v.node),
      confirmedBlock: confirmedAt.get(v.node) ?? null,
      endpoint: v.endpoint,
      peerId: v.peerId,
      multiaddrs: v.multiaddrs,
      kid: v.kid,
      kasPublicKey: v.kasPublicKey,
      stake: v.stake,
      weight: v.weight,
      ...(shareIndexes && { shareIndex: shareIndexes.get(v.node) ?? null }),
    }))
    .sort((a, b) => STATE_RANK[a.state] - STATE_RANK[b.state] || (a.node < b.node ? -1 : 1));

  const { mode, k, explicitMembers: _members, ...content } = registered;
  const threshold = row.threshold && { ...row.threshold, slots: row.thresholdSlots };
  const replication = { mode, k, replicaSet, ...(threshold && { threshold }) };
  return { version, value: { body: stringify({ content: { ...content, unusable }, replication, holders }) } };
}

const cache = new VersionedCache<Found>(["validators", "policies", "contents"]);

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
