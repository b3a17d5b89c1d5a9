/**
 * Who an operator command acts as: the node's identity (keys derived from the operator mnemonic
 * and node index, docs/crypto.md) and the network, read from the validator's config file and
 * DEKMESH_* variables as `validator run` reads them (flags win), plus token amounts as people
 * type them.
 */
import fs from "node:fs";
import path from "node:path";
import type { ChainClients } from "../chain/index.js";
import type { NodeIdentity } from "../validator/index.js";
import { stringOf, type CommandInput } from "./command.js";
import { CliError, EXIT, UsageError } from "./exitCodes.js";
import { openChain } from "./network.js";
import { resolveSettings, NETWORK_OPTIONS, type NetworkFlags, type Settings } from "./settings.js";

export const IDENTITY_OPTIONS = {
  config: { type: "string", short: "c" },
  "mnemonic-file": { type: "string" },
  "node-index": { type: "string" },
} as const;

export const IDENTITY_HELP = `  -c, --config <file>    the validator's config file (as for validator run)
  --mnemonic-file <file> the operator mnemonic (DEKMESH_MNEMONIC_FILE; or the config's)
  --node-index <n>       which node of the operator (DEKMESH_NODE_INDEX; default 0)`;

export interface OperatorContext {
  identity: NodeIdentity;
  settings: Settings;
  file: Record<string, unknown>;
  /** The node account's and the operator account's chain clients. */
  node(): Promise<ChainClients>;
  operator(): Promise<ChainClients>;
}

/** The config file as JSON, with its relative paths resolved against its directory (as node/validator does). */
function readConfigFile(file: string | undefined): Record<string, unknown> {
  if (file === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (cause) {
    throw new CliError(EXIT.USAGE, "CLI_CONFIG", `cannot read the config file ${file} as JSON`, { cause });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new UsageError(`the config file ${file} is not a JSON object`);
  const config = { ...(value as Record<string, unknown>) };
  for (const key of ["deployment", "dataDir", "mnemonicFile"]) {
    if (typeof config[key] === "string") config[key] = path.resolve(path.dirname(path.resolve(file)), config[key] as string);
  }
  return config;
}

/** The network settings of the validator's config file: it sits between the environment and .devnet/endpoints.json. */
export function operatorSettings(values: CommandInput["values"]): { settings: Settings; file: Record<string, unknown> } {
  const env = process.env;
  const file = readConfigFile(stringOf(values.config));
  const str = (key: string) => (typeof file[key] === "string" ? (file[key] as string) : undefined);
  // The config file sits between the environment and .devnet/endpoints.json.
  const flags: NetworkFlags = {};
  for (const key of Object.keys(NETWORK_OPTIONS) as (keyof typeof NETWORK_OPTIONS)[]) {
    if (typeof values[key] === "string") flags[key] = values[key] as string;
  }
  flags["rpc-url"] ??= env.DEKMESH_RPC_URL ?? str("rpcUrl");
  flags.deployment ??= env.DEKMESH_DEPLOYMENT ?? str("deployment");
  flags["indexer-url"] ??= env.DEKMESH_INDEXER_URL ?? str("indexerUrl");
  if (flags["chain-id"] === undefined && env.DEKMESH_CHAIN_ID === undefined && file.chainId !== undefined) flags["chain-id"] = String(file.chainId);
  return { settings: resolveSettings(flags, env), file };
}

export async function operatorContext({ values }: CommandInput): Promise<OperatorContext> {
  const { deriveIdentity } = await import("../validator/index.js");
  const env = process.env;
  const { settings, file } = operatorSettings(values);
  const str = (key: string) => (typeof file[key] === "string" ? (file[key] as string) : undefined);

  let mnemonic: string | undefined;
  const mnemonicFile = stringOf(values["mnemonic-file"]) ?? env.DEKMESH_MNEMONIC_FILE;
  if (mnemonicFile !== undefined) {
    try {
      mnemonic = fs.readFileSync(mnemonicFile, "utf8").trim();
    } catch (cause) {
      throw new CliError(EXIT.NOT_FOUND, "CLI_MNEMONIC_FILE", `cannot read the mnemonic file ${mnemonicFile}`, { cause });
    }
  } else if (env.DEKMESH_MNEMONIC !== undefined) mnemonic = env.DEKMESH_MNEMONIC;
  else if (str("mnemonic") !== undefined) mnemonic = str("mnemonic");
  else if (str("mnemonicFile") !== undefined) {
    try {
      mnemonic = fs.readFileSync(str("mnemonicFile")!, "utf8").trim();
    } catch (cause) {
      throw new CliError(EXIT.NOT_FOUND, "CLI_MNEMONIC_FILE", "cannot read the config's mnemonic file", { cause });
    }
  }
  if (mnemonic === undefined) throw new UsageError("no operator mnemonic: pass --mnemonic-file, set DEKMESH_MNEMONIC_FILE, or use --config");
  const rawIndex = stringOf(values["node-index"]) ?? env.DEKMESH_NODE_INDEX ?? (file.nodeIndex !== undefined ? String(file.nodeIndex) : "0");
  if (!/^\d{1,10}$/.test(rawIndex)) throw new UsageError("--node-index must be a non-negative integer");
  let identity: NodeIdentity;
  try {
    identity = deriveIdentity(mnemonic, Number(rawIndex));
  } catch {
    // The key layer's message could quote the mnemonic's words; say only what is wrong.
    throw new UsageError("the operator mnemonic is not a valid BIP-39 mnemonic (or the node index is out of range)");
  }
  let node: Promise<ChainClients> | undefined;
  let operator: Promise<ChainClients> | undefined;
  return {
    identity,
    settings,
    file,
    node: () => (node ??= openChain(settings, identity.nodeAccount)),
    operator: () => (operator ??= openChain(settings, identity.operatorAccount)),
  };
}

