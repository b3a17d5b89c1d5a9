/** `dekmesh holders <cid>`: who holds (or should hold) a content's DEK, from the indexer. */
import type { Holder } from "../indexer-client/index.js";
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
have actually pulled the key (confirmed on chain). <cid> is the CID text or the 0x contentId.`,
  positionals: { min: 1, max: 1, names: "<cid>" },
  async run({ positionals, settings, out }) {
    const { contentId } = await contentArg(positionals[0]!);
    const indexer = await openIndexer(settings);
    const info = await indexer.holders(contentId);
    const policy = await indexer.policy(info.policyId);
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
