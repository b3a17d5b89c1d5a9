/** `dekmesh recover <cid>`: the publisher re-seeds a content's key at a validator (docs/client.md). */
import { addressArg, contentArg } from "./args.js";
import { defineCommand, stringOf } from "./command.js";
import { CliError, EXIT } from "./exitCodes.js";
import { withClient } from "./network.js";
import { fields } from "./output.js";

export const recoverCommand = defineCommand({
  name: "recover",
  summary: "re-seed a content's key at a validator (its publisher only)",
  help: `usage: dekmesh recover <cid> [--validator <addr>] [--json]

For a content you published whose key no validator holds any more: opens your recovery
envelope from the registration on chain, checks the key against the content's header, and
gives it to a validator sealed to that validator's key. The others pull it from there.
A threshold:M/N content is re-dealt instead: its key is split again into N fresh shares
sealed to N newly drawn members, in one transaction (for when fewer than M members are left).
  --validator <addr>     the validator to re-seed (default: the first holder 'dekmesh holders' lists)`,
  options: { validator: { type: "string" } },
  positionals: { min: 1, max: 1, names: "<cid>" },
  async run({ positionals, values, settings, out }) {
    const ref = await contentArg(positionals[0]!);
    if (ref.cid === undefined) throw new CliError(EXIT.USAGE, "CLI_USAGE", "recover takes the content's CID (its registration is found by it), not a 0x contentId");
    const cid = ref.cid;
    const given = stringOf(values.validator);
    const chosen = given !== undefined ? addressArg(given, "--validator") : undefined;
    const validator = await withClient(settings, async (client) => {
      const info = await client.holders(cid);
      if (info.mode === "threshold") return client.redeal(cid);
      let target = chosen;
      if (target === undefined) {
        const first = (await client.holders(cid)).holders[0];
        if (first === undefined) {
          throw new CliError(EXIT.UNAVAILABLE, "CLI_NO_VALIDATOR", `no active validator is placed to hold ${cid}: pass --validator <addr> of an active validator`, { details: { cid } });
        }
        target = first.node;
      }
      await client.recover(cid, target);
      return target;
    });
    if (typeof validator === "object") {
      const { members, firstIndex, transactionHash } = validator;
      out.result({ cid, redealt: true, members, firstIndex, transactionHash }, () =>
        fields([
          ["re-dealt", cid],
          ["members", members.join(", ")],
          ["shares", `${firstIndex}–${firstIndex + members.length - 1}`],
          ["transaction", transactionHash],
        ]),
      );
      return;
    }
    out.result({ cid, validator, recovered: true }, () => fields([["recovered", cid], ["at validator", validator]]));
  },
});
