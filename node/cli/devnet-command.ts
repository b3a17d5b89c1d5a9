/** `dekmesh devnet`: the whole network on this machine (node/cli/devnet.ts, the same as `npm start`). */
import { defineCommand } from "./command.js";

export const devnetCommand = defineCommand({
  name: "devnet",
  summary: "run a local network: chain, indexer, 4 validators, IPFS (like npm start)",
  help: `usage: dekmesh devnet

Starts a Hardhat chain, the contracts, the indexer, IPFS and 4 validators in .devnet/, writes
.devnet/endpoints.json (which every other command reads by default), and runs until Ctrl-C.`,
  network: false,
  raw: true,
  async run({ argv }) {
    if (argv.includes("--help") || argv.includes("-h")) {
      process.stdout.write(`${this.help}\n`);
      return 0;
    }
    if (argv.length > 0) {
      const { UsageError } = await import("./exitCodes.js");
      throw new UsageError(`devnet takes no arguments (got ${JSON.stringify(argv[0]!.slice(0, 40))})`);
    }
    // The devnet module runs itself on import and exits the process on Ctrl-C.
    await import("./devnet.js");
    await new Promise(() => undefined);
  },
});
