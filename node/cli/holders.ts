/** `dekmesh holders <cid>`: who holds (or should hold) a content's DEK, from the indexer. */
import type { Holder, HoldersInfo } from "../indexer-client/index.js";
import { contentArg } from "./args.js";
import { defineCommand } from "./command.js";
import { openIndexer } from "./network.js";
import { fields, table } from "./output.js";

/** Whether the holder has the DEK: confirmed on chain, or the initial validator (it got the upload). */
function pulled(holder: Holder): string {
  if (holder.state === "confirmed") return holder.confirmedBlock === null ? "yes" : `yes (block ${holder.confirmedBlock})`;
  if (holder.state === "initial") return "yes (upload)";
  return "not yet";
}

export const holdersCommand = defineCommand({
  name: "holders",
  summary: "validators holding a content's key: replicas wanted, vacant slots, who has pulled",
  help: `usage: dekmesh holders <cid> [--json]

Lists the active validators that hold (confirmed, initial) or should hold (assigned,
computed) the content's DEK, strongest claim first, as the indexer sees it at a fresh block,
with how many replicas the policy wants (k), how many slots are vacant, and which placements
have actually pulled the key (confirmed on chain). <cid> is the CID text or the 0x contentId.
A threshold:M/N content lists its members instead, each with the index of the share it holds
(no member holds the key; any M of them serve a reader), and the slots still enrolling.`,
  positionals: { min: 1, max: 1, names: "<cid>" },
  async run({ positionals, settings, out }) {
    const { contentId } = await contentArg(positionals[0]!);
    const indexer = await openIndexer(settings);
    const info = await indexer.holders(contentId);
    const policy = await indexer.policy(info.policyId);
    if (info.threshold !== undefined) {
      out.result({ ...info, k: info.threshold.n, vacant: 0, pulled: info.holders.filter((h) => h.state === "confirmed").length }, () => thresholdView(info));
      return;
    }
    const inSet = info.holders.filter((h) => h.inReplicaSet);
    // "all" wants every active validator; the others want k (explicit: its members).
    const k = info.mode === "all" ? null : policy.k;
    const vacant = k === null ? 0 : Math.max(0, k - inSet.length);
    const havePulled = info.holders.filter((h) => h.state === "confirmed" || h.state === "initial").length;
    out.result({ ...info, k, vacant, pulled: havePulled }, () =>
      [
        fields([
          ["content", info.contentId],
          ["policy", info.policyId.toString()],
          ["publisher", info.publisher],
          ["initial", info.initialValidator],
          ["replication", k === null ? "all active validators" : `${info.mode}:${k}: ${inSet.length} of ${k} slots filled, ${vacant} vacant`],
          ["pulled", `${havePulled} of ${info.holders.length} hold the key`],
          ["as of", `block ${info.block.number}`],
        ]),
        "",
        info.holders.length === 0
          ? "no active holder"
          : table(info.holders, [
              { header: "VALIDATOR", value: (h) => h.node },
              { header: "STATE", value: (h) => h.state },
              { header: "IN SET", value: (h) => (h.inReplicaSet ? "yes" : "no") },
              { header: "PULLED", value: pulled },
              { header: "ENDPOINT", value: (h) => h.endpoint },
              { header: "PEER", value: (h) => h.peerId },
            ]),
      ].join("\n"),
    );
  },
});

/** A threshold content: its slots in order, each member with its share index and state. */
function thresholdView(info: HoldersInfo): string {
  const { m, n, slots } = info.threshold!;
  const active = new Map(info.holders.map((h) => [h.node.toLowerCase(), h]));
  const serving = slots.filter((s) => s.previous === null && active.has(s.member.toLowerCase())).length;
  const confirmed = slots.filter((s) => active.get(s.member.toLowerCase())?.state === "confirmed").length;
  return [
    fields([
      ["content", info.contentId],
      ["policy", info.policyId.toString()],
      ["publisher", info.publisher],
      ["replication", `threshold:${m}/${n}: any ${m} of ${n} members serve a reader; ${serving} active members hold their share${serving < m ? ` — fewer than ${m}: unreadable until the publisher re-deals (dekmesh recover)` : ""}`],
      ["confirmed", `${confirmed} of ${n} members confirmed their share on chain`],
      ["as of", `block ${info.block.number}`],
    ]),
    "",
    table(slots, [
      { header: "SLOT", value: (s) => String(s.slot) },
      { header: "SHARE", value: (s) => String(s.index) },
      { header: "MEMBER", value: (s) => s.member },
      { header: "STATE", value: (s) => (!active.has(s.member.toLowerCase()) ? "not active" : s.previous !== null ? "enrolling" : (active.get(s.member.toLowerCase())!.state === "confirmed" ? "confirmed" : "dealt")) },
      { header: "REPLACES", value: (s) => s.previous ?? "" },
      { header: "ENDPOINT", value: (s) => active.get(s.member.toLowerCase())?.endpoint ?? "" },
    ]),
  ].join("\n");
}
