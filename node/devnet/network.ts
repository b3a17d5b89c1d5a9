import fs from "node:fs";
import path from "node:path";
import { bytesToHex } from "viem";
import { createJsonLogger, type LogLevel, type PartialConfig, type Validator } from "../validator/index.js";
import { devAccount, HARDHAT_MNEMONIC } from "./accounts.js";
import { startDevIpfs, type DevIpfs } from "./ipfs.js";
import { startStack, type Stack, type StartStackOptions } from "./stack.js";
import { startDevValidators, stopValidators } from "./validators.js";

/** The funded account the devnet's examples use (account 0 deployed the contracts and runs the validators). */
export const DEMO_ACCOUNT_INDEX = 1;
/** A second funded account with no attributes: a reader to see refusals with. */
export const OUTSIDER_ACCOUNT_INDEX = 2;

/** A dev account as endpoints.json lists it; `keyFile` holds the key in the format `--key-file` reads. */
export interface DevnetAccount {
  address: string;
  privateKey: string;
  keyFile: string;
}

/** `.devnet/endpoints.json`: everything a script or the CLI needs to use a running devnet. */
export interface DevnetEndpoints {
  rpcUrl: string;
  chainId: number;
  deploymentFile: string;
  indexerUrl: string;
  ipfs: { rpcUrl: string; peerId: string; multiaddrs: string[] } | null;
  validators: { address: string; endpoint: string; peerId: string; multiaddrs: string[] }[];
  /** Holds the demo attribute (clearance/secret); the CLI's account by default. */
  demoAccount: DevnetAccount;
  /** Funded, no attributes. */
  outsiderAccount: DevnetAccount;
  /** The validators' operator (account 0, which also deployed the contracts) and its mnemonic's file. */
  operator: { address: string; mnemonicFile: string };
}

export interface StartDevnetOptions extends Omit<StartStackOptions, "indexer"> {
  /** Run directory (logs, deployment, databases, validator data); required so logs can be found. */
  dir: string;
  indexer?: NonNullable<Exclude<StartStackOptions["indexer"], false>>;
  /** Validators to start. Default 4. */
  validators?: number;
  /** Per-validator config on top of the devnet defaults. */
  validatorConfig?: (index: number) => PartialConfig;
  /** Validator log level; lines go to `<dir>/validator-<i>.log`. Default "info". */
  logLevel?: LogLevel;
  /** Start the shared IPFS node. Default true. */
  ipfs?: boolean;
}

export interface Devnet {
  readonly dir: string;
  readonly stack: Stack;
  readonly validators: Validator[];
  readonly ipfs: DevIpfs | undefined;
  readonly endpoints: DevnetEndpoints;
  /** Validators (reverse order), IPFS, indexer, chain. Idempotent. */
  stop(): Promise<void>;
}

/**
 * The whole network on this machine — chain, contracts, indexer, validators, IPFS — as
 * `npm start` runs it and as the end-to-end tests use it. Everything started is stopped again
 * if a later part fails to start.
 */
export async function startDevnet(options: StartDevnetOptions): Promise<Devnet> {
  const stack = await startStack({ ...options, indexer: options.indexer ?? {} });
  const logs: fs.WriteStream[] = [];
  let validators: Validator[] = [];
  let ipfs: DevIpfs | undefined;
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      await stopValidators(validators);
      await ipfs?.stop();
      await Promise.all(logs.map((log) => new Promise((resolve) => log.end(resolve))));
      await stack.stop();
    })());
  try {
    if (options.ipfs !== false) ipfs = await startDevIpfs({ dir: options.dir });
    validators = await startDevValidators(stack, {
      count: options.validators ?? 4,
      dir: options.dir,
      config: options.validatorConfig,
      logger: (index) => {
        const log = fs.createWriteStream(path.join(options.dir, `validator-${index}.log`), { flags: "a" });
        logs.push(log);
        return createJsonLogger({ level: options.logLevel ?? "info", write: (line) => log.write(line), bindings: { validator: index } });
      },
    });
  } catch (error) {
    await stop();
    throw error;
  }
  const endpoints: DevnetEndpoints = {
    rpcUrl: stack.chain.url,
    chainId: stack.chain.chainId,
    deploymentFile: stack.deployment.file,
    indexerUrl: stack.indexer!.url,
    ipfs: ipfs ? { rpcUrl: ipfs.rpcUrl, peerId: ipfs.peerId, multiaddrs: ipfs.multiaddrs } : null,
    validators: validators.map((v) => ({ address: v.address, endpoint: v.httpUrl, peerId: v.peerId, multiaddrs: v.multiaddrs })),
    demoAccount: writeAccountKey(options.dir, "demo", DEMO_ACCOUNT_INDEX),
    outsiderAccount: writeAccountKey(options.dir, "outsider", OUTSIDER_ACCOUNT_INDEX),
    operator: { address: devAccount(0).address, mnemonicFile: writeSecret(path.join(options.dir, "operator.mnemonic"), HARDHAT_MNEMONIC) },
  };
  return { dir: options.dir, stack, validators, ipfs, endpoints, stop };
}

/** A secret in a file only its owner may read, one line; returns the path. */
function writeSecret(file: string, secret: string): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return file;
}

/** Dev account `index`'s key in `<dir>/keys/<name>.key`: 0x and 64 hex digits on one line, what `--key-file` reads. */
function writeAccountKey(dir: string, name: string, index: number): DevnetAccount {
  const account = devAccount(index);
  const privateKey = bytesToHex(account.getHdKey().privateKey!);
  return { address: account.address, privateKey, keyFile: writeSecret(path.join(dir, "keys", `${name}.key`), privateKey) };
}

/** Writes `<dir>/endpoints.json` atomically (readers never see half a file); returns its path. */
export function writeEndpoints(dir: string, endpoints: DevnetEndpoints): string {
  const file = path.join(dir, "endpoints.json");
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(endpoints, null, 2) + "\n");
  fs.renameSync(`${file}.tmp`, file);
  return file;
}
