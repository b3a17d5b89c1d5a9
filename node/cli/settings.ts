/**
 * Where the CLI finds the network: flags win over DEKMESH_* environment variables, which win
 * over `.devnet/endpoints.json` (written by `npm start`; looked for in the working directory,
 * then in the repository the CLI runs from). The account key never comes from a flag (command
 * lines are visible to every user of the machine): `--key-file`, DEKMESH_PRIVATE_KEY, or the
 * devnet's demo account.
 */
import fs from "node:fs";
import path from "node:path";
import type { Hex } from "viem";
import { REPO_ROOT } from "../devnet/paths.js";
import type { DevnetEndpoints } from "../devnet/index.js";
import { CliError, EXIT, UsageError } from "./exitCodes.js";

/** Flags every command takes (besides --help and --json). */
export const NETWORK_OPTIONS = {
  endpoints: { type: "string" },
  "rpc-url": { type: "string" },
  "chain-id": { type: "string" },
  deployment: { type: "string" },
  "indexer-url": { type: "string" },
  "ipfs-url": { type: "string" },
  "key-file": { type: "string" },
} as const;

export const NETWORK_HELP = `Network (flag > environment > .devnet/endpoints.json):
  --endpoints <file>     endpoints file (DEKMESH_ENDPOINTS; default .devnet/endpoints.json)
  --rpc-url <url>        JSON-RPC of the chain (DEKMESH_RPC_URL)
  --chain-id <id>        expected chain id (DEKMESH_CHAIN_ID)
  --deployment <file>    deployments/<chainId>.json (DEKMESH_DEPLOYMENT)
  --indexer-url <url>    the Ponder indexer (DEKMESH_INDEXER_URL)
  --ipfs-url <url>       a Kubo RPC API to add/cat ciphertexts (DEKMESH_IPFS_URL)
  --key-file <file>      file holding the account's 0x private key (DEKMESH_PRIVATE_KEY)`;

export type NetworkFlags = Partial<Record<keyof typeof NETWORK_OPTIONS, string>>;

export interface Settings {
  /** The endpoints file that was read, if any. */
  readonly endpointsFile: string | undefined;
  rpcUrl(): string;
  chainId(): number | undefined;
  deployment(): string;
  indexerUrl(): string;
  ipfsUrl(): string | undefined;
  /** The account's private key; never printed. */
  privateKey(): Hex;
}

function readEndpoints(file: string): Partial<DevnetEndpoints> {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (cause) {
    throw new CliError(EXIT.USAGE, "CLI_ENDPOINTS", `cannot read the endpoints file ${file}: start a devnet (npm start) or point --endpoints (DEKMESH_ENDPOINTS) at one`, { cause, details: { file } });
  }
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error("not an object");
    return value as Partial<DevnetEndpoints>;
  } catch (cause) {
    throw new UsageError(`the endpoints file ${file} is not a JSON object`);
  }
}

function findEndpoints(flag: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  const explicit = flag ?? env.DEKMESH_ENDPOINTS;
  if (explicit) return path.resolve(explicit);
  for (const dir of [process.cwd(), REPO_ROOT]) {
    const file = path.join(dir, ".devnet", "endpoints.json");
    if (fs.existsSync(file)) return file;
  }
  return undefined;
}

function url(value: string, what: string): string {
  try {
    const parsed = new URL(value);
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new Error("not http");
  } catch {
    throw new UsageError(`${what} must be an http(s) URL`);
  }
  return value;
}

/** Resolves lazily: a command that only reads the indexer never needs a key or an RPC URL. */
export function resolveSettings(flags: NetworkFlags, env: NodeJS.ProcessEnv = process.env): Settings {
  const endpointsFile = findEndpoints(flags.endpoints, env);
  let endpoints: Partial<DevnetEndpoints> | undefined;
  const fromFile = () => (endpoints ??= endpointsFile ? readEndpoints(endpointsFile) : {});
  const missing = (what: string, flag: string, variable: string): never => {
    throw new CliError(
      EXIT.USAGE,
      "CLI_NOT_CONFIGURED",
      `no ${what}: pass --${flag}, set ${variable}, or start a devnet (npm start) so .devnet/endpoints.json exists`,
    );
  };
  return {
    endpointsFile,
    rpcUrl: () => url(flags["rpc-url"] ?? env.DEKMESH_RPC_URL ?? fromFile().rpcUrl ?? missing("chain RPC URL", "rpc-url", "DEKMESH_RPC_URL"), "the RPC URL"),
    chainId: () => {
      const raw = flags["chain-id"] ?? env.DEKMESH_CHAIN_ID;
      if (raw === undefined) return fromFile().chainId;
      if (!/^\d{1,15}$/.test(raw) || Number(raw) === 0) throw new UsageError("--chain-id must be a positive integer");
      return Number(raw);
    },
    deployment: () => {
      const file = flags.deployment ?? env.DEKMESH_DEPLOYMENT ?? fromFile().deploymentFile ?? missing("deployment file", "deployment", "DEKMESH_DEPLOYMENT");
      return path.resolve(file);
    },
    indexerUrl: () =>
      url(flags["indexer-url"] ?? env.DEKMESH_INDEXER_URL ?? fromFile().indexerUrl ?? missing("indexer URL", "indexer-url", "DEKMESH_INDEXER_URL"), "the indexer URL"),
    ipfsUrl: () => {
      const value = flags["ipfs-url"] ?? env.DEKMESH_IPFS_URL ?? fromFile().ipfs?.rpcUrl;
      return value === undefined || value === "" ? undefined : url(value, "the IPFS URL");
    },
    privateKey: () => {
      let key: string | undefined;
      let source: string;
      if (flags["key-file"] !== undefined) {
        source = `the key file ${flags["key-file"]}`;
        try {
          key = fs.readFileSync(flags["key-file"], "utf8").trim();
        } catch (cause) {
          throw new CliError(EXIT.NOT_FOUND, "CLI_KEY_FILE", `cannot read ${source}: check the path given to --key-file`, { cause });
        }
      } else if (env.DEKMESH_PRIVATE_KEY !== undefined) {
        source = "the environment variable DEKMESH_PRIVATE_KEY";
        key = env.DEKMESH_PRIVATE_KEY.trim();
      } else {
        source = `demoAccount.privateKey of ${endpointsFile}`;
        key = fromFile().demoAccount?.privateKey;
      }
      if (key === undefined) return missing("account key", "key-file", "DEKMESH_PRIVATE_KEY");
      // As cast does, 64 hex digits with or without 0x. Never echo the value: it is a secret even when malformed.
      const digits = key.startsWith("0x") || key.startsWith("0X") ? key.slice(2) : key;
      if (!/^[0-9a-fA-F]{64}$/.test(digits)) {
        throw new UsageError(`the account key in ${source} is not a private key: it must be 64 hex digits (0x optional), one per file`);
      }
      return `0x${digits.toLowerCase()}` as Hex;
    },
  };
}
