/**
 * `dekmesh devnet`: the whole network on this machine (node/cli/devnet.ts, the same as `npm start`);
 * `dekmesh devnet fund`: gas and stake tokens for an account on it.
 */
import { addressArg } from "./args.js";
import { defineCommand, runCommand, stringOf } from "./command.js";
import { CliError, EXIT, UsageError } from "./exitCodes.js";
import { fields } from "./output.js";

const DEFAULT_ETH = "100";
/** One validator's minimum stake on a devnet (scripts/lib/deployment.ts). */
const DEFAULT_TOKENS = "1000";

/** An amount in whole units (ether, tokens) with up to 18 decimals, as base units (wei). */
async function amountArg(value: string, flag: string): Promise<bigint> {
  if (!/^\d{1,30}(\.\d{1,18})?$/.test(value)) {
    throw new UsageError(`${flag} must be an amount such as 10 or 0.5 (not wei), not ${JSON.stringify(value.slice(0, 40))}`);
  }
  const { parseUnits } = await import("viem");
  return parseUnits(value, 18);
}

const fundCommand = defineCommand({
  name: "devnet fund",
  summary: "give an account gas and stake tokens on a devnet",
  help: `usage: dekmesh devnet fund <address> [--eth <n>] [--tokens <n>] [--json]

On a dev chain only (chain id 31337): adds ether for gas and mints stake tokens (as the stake
token's owner) to the account. Amounts are in ether and tokens, not wei.
  --eth <n>              ether to add (default ${DEFAULT_ETH}; 0 for none)
  --tokens <n>           stake tokens to mint (default ${DEFAULT_TOKENS}, one validator's minimum stake; 0 for none)`,
  options: { eth: { type: "string" }, tokens: { type: "string" } },
  positionals: { min: 1, max: 1, names: "<address>" },
  async run({ values, positionals, settings, out }) {
    const account = addressArg(positionals[0]!, "the account to fund");
    const wei = await amountArg(stringOf(values.eth) ?? DEFAULT_ETH, "--eth");
    const tokenUnits = await amountArg(stringOf(values.tokens) ?? DEFAULT_TOKENS, "--tokens");
    const rpcUrl = settings.rpcUrl();
    // The devnet's parts this needs, not its index, which loads the validator daemon.
    const [{ DevnetError }, { fundAccount }, { readDeploymentFile }] = await Promise.all([
      import("../devnet/errors.js"),
      import("../devnet/fund.js"),
      import("../devnet/deployment.js"),
    ]);
    const stakeToken = readDeploymentFile(settings.deployment()).contracts.StakeToken.address;
    let funded;
    try {
      funded = await fundAccount({ rpcUrl, stakeToken, account, wei, tokenUnits });
    } catch (error) {
      if (error instanceof DevnetError && error.code === "NOT_A_DEV_CHAIN") throw new CliError(EXIT.REFUSED, error.code, error.message);
      if (error instanceof DevnetError) throw error;
      throw new CliError(EXIT.UNAVAILABLE, "CLI_CHAIN_UNREACHABLE", `cannot reach the chain at ${rpcUrl}: is the devnet running (npm start)?`, { cause: error });
    }
    const { formatEther } = await import("viem");
    const value = { address: account, eth: formatEther(funded.balance), tokens: formatEther(funded.tokenBalance) };
    out.result(value, () => fields([["address", account], ["eth", value.eth], ["stake tokens", value.tokens]]));
  },
});

export const devnetCommand = defineCommand({
  name: "devnet",
  summary: "run a local network: chain, indexer, 4 validators, IPFS (like npm start); devnet fund: gas and stake tokens",
  help: `usage: dekmesh devnet
       dekmesh devnet fund <address> [--eth <n>] [--tokens <n>]   (see dekmesh devnet fund --help)

Starts a Hardhat chain, the contracts, the indexer, IPFS and 4 validators in .devnet/, writes
.devnet/endpoints.json (which every other command reads by default), the key files of a demo
and an outsider account (.devnet/keys/) and the validators' operator mnemonic
(.devnet/operator.mnemonic), and runs until Ctrl-C.`,
  network: false,
  raw: true,
  async run({ argv, out }) {
    if (argv[0] === fundCommand.name.split(" ")[1]) return runCommand(fundCommand, argv.slice(1), out);
    if (argv.includes("--help") || argv.includes("-h")) {
      process.stdout.write(`${this.help}\n`);
      return 0;
    }
    if (argv.length > 0) {
      throw new UsageError(`devnet takes no arguments besides the subcommand fund (got ${JSON.stringify(argv[0]!.slice(0, 40))})`);
    }
    // The devnet module runs itself on import and exits the process on Ctrl-C.
    await import("./devnet.js");
    await new Promise(() => undefined);
  },
});
