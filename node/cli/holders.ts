/** `dekmesh holders <cid>`: who holds (or should hold) a content's DEK, from the indexer. */
import { contentArg } from "./args.js";
import { defineCommand } from "./command.js";
import { UsageError } from "./exitCodes.js";
import { openIndexer } from "./network.js";
import { fields, table } from "./output.js";

export const holdersCommand = defineCommand({
  name: "holders",
  summary: "validators holding a content's key, with endpoints and peer ids",
  help: `usage: dekmesh holders <cid> [--json]

Lists the active validators that hold (confirmed, initial) or should hold (assigned,
computed) the content's DEK, strongest claim first, as the indexer sees it at a fresh block.
<cid> is the CID text or the 0x contentId.`,
  positionals: { min: 1, max: 1, names: "<cid>" },
  async run({ positionals, settings, out }) {
    const { contentId } = await contentArg(positionals[0]!);
    const info = await (await openIndexer(settings)).holders(contentId);
    out.result(info, () =>
      [
        fields([
          ["content", info.contentId],
          ["policy", info.policyId.toString()],
          ["publisher", info.publisher],
          ["initial", info.initialValidator],
          ["replication", info.mode],
          ["as of", `block ${info.block.number}`],
        ]),
        "",
        info.holders.length === 0
          ? "no active holder"
          : table(info.holders, [
              { header: "VALIDATOR", value: (h) => h.node },
              { header: "STATE", value: (h) => h.state },
              { header: "IN SET", value: (h) => (h.inReplicaSet ? "yes" : "no") },
              { header: "CONFIRMED", value: (h) => (h.confirmedBlock === null ? "-" : `block ${h.confirmedBlock}`) },
              { header: "ENDPOINT", value: (h) => h.endpoint },
              { header: "PEER", value: (h) => h.peerId },
            ]),
      ].join("\n"),
    );
  },
});
