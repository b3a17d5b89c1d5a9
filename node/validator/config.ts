/**
 * The validator's configuration: a JSON file, then DEKMESH_* environment variables, then
 * explicit overrides (each layer wins over the one before), checked field by field at start so
 * a mistake is a clear VALIDATOR_CONFIG_INVALID naming the field, not a failure deep inside a
 * part. The mnemonic is the one secret here: it never appears in errors, logs or `toJSON`.
 */
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { MAX_AUDIT_BATCH } from "../chain/constants.js";
import { ValidatorError } from "./errors.js";
import { LOG_LEVELS, type LogLevel } from "./logger.js";

export interface ValidatorConfig {
  /** JSON-RPC endpoint of the chain. */
  rpcUrl: string;
  /** Expected chain id; defaults to the deployment file's. */
  chainId?: number;
  /** Path of the deployment file (`deployments/<chainId>.json`). */
  deployment: string;
  /** Base URL of the Ponder indexer. */
  indexerUrl: string;
  p2p: {
    /** libp2p listen multiaddrs. */
    listen: string[];
    /** Addresses to advertise instead (registered on chain); default the listening ones. */
    announce: string[];
    /** Peers to dial at start, each ending in /p2p/<peer id>. */
    bootstrap: string[];
  };
  http: {
    host: string;
    /** 0 = any free port. */
    port: number;
    /** The endpoint registered on chain; default http://<host>:<port>. */
    publicUrl?: string;
    maxUploadBytes?: number;
  };
  /** The node's data directory: `store/` (DEK store), `pins/` (ciphertexts). */
  dataDir: string;
  /** Operator BIP-39 mnemonic, or `mnemonicFile` (preferred: keeps it out of the environment). */
  mnemonic?: string;
  mnemonicFile?: string;
  /** Which node of the operator this is (key derivation index, docs/crypto.md). */
  nodeIndex: number;
  /** Blocks a registration must have (the including one counts) before the initial validator derives its DEK. */
  confirmations: number;
  /** Refuse decisions on indexed state more than this many blocks behind the chain head. */
  maxStalenessBlocks: number;
  audit: { batchSize: number; intervalMs: number };
  holdings: { batchSize: number; intervalMs: number };
  replication: {
    /** How often the node compares its store with its assignments (indexer). */
    intervalMs: number;
    /** DEK pulls under way at once. */
    concurrency: number;
    /** Deadline of one pull. */
    pullTimeoutMs: number;
  };
  /** Worker threads for rewrap crypto (0 = main thread). */
  cryptoWorkers: number;
  logLevel: LogLevel;
  /** Register the node account on chain at start if it is not registered yet (it needs gas). */
  register: boolean;
  /**
   * Stake (wei of the stake token, decimal string) the operator account deposits at start when
   * the node is not active. Devnets only: the operator key then lives on the node.
   */
  stake?: string;
}

export interface LoadValidatorConfigInput {
  /** Path of a JSON file with any ValidatorConfig fields; relative paths inside resolve against it. */
  file?: string;
  /** Environment to read DEKMESH_* variables from; default none (pass process.env explicitly). */
  env?: NodeJS.ProcessEnv;
  overrides?: PartialConfig;
}

export type PartialConfig = Partial<Omit<ValidatorConfig, "p2p" | "http" | "audit" | "holdings" | "replication">> & {
  p2p?: Partial<ValidatorConfig["p2p"]>;
  http?: Partial<ValidatorConfig["http"]>;
  audit?: Partial<ValidatorConfig["audit"]>;
  holdings?: Partial<ValidatorConfig["holdings"]>;
  replication?: Partial<ValidatorConfig["replication"]>;
};

export const DEFAULT_CONFIG = {
  p2p: { listen: ["/ip4/127.0.0.1/tcp/0"], announce: [] as string[], bootstrap: [] as string[] },
  http: { host: "127.0.0.1", port: 0 },
  nodeIndex: 0,
  confirmations: 1,
  maxStalenessBlocks: 5,
  audit: { batchSize: MAX_AUDIT_BATCH, intervalMs: 2000 },
  holdings: { batchSize: 500, intervalMs: 250 },
  replication: { intervalMs: 500, concurrency: 16, pullTimeoutMs: 10_000 },
  cryptoWorkers: 0,
  logLevel: "info" as LogLevel,
  register: true,
} as const;

/** Environment variable → config path and type (docs/validator.md lists them). */
export const ENV_VARIABLES = {
  DEKMESH_RPC_URL: ["rpcUrl", "string"],
  DEKMESH_CHAIN_ID: ["chainId", "integer"],
  DEKMESH_DEPLOYMENT: ["deployment", "path"],
  DEKMESH_INDEXER_URL: ["indexerUrl", "string"],
  DEKMESH_P2P_LISTEN: ["p2p.listen", "list"],
  DEKMESH_P2P_ANNOUNCE: ["p2p.announce", "list"],
  DEKMESH_P2P_BOOTSTRAP: ["p2p.bootstrap", "list"],
  DEKMESH_HTTP_HOST: ["http.host", "string"],
  DEKMESH_HTTP_PORT: ["http.port", "integer"],
  DEKMESH_PUBLIC_URL: ["http.publicUrl", "string"],
  DEKMESH_MAX_UPLOAD_BYTES: ["http.maxUploadBytes", "integer"],
  DEKMESH_DATA_DIR: ["dataDir", "path"],
  DEKMESH_MNEMONIC: ["mnemonic", "string"],
  DEKMESH_MNEMONIC_FILE: ["mnemonicFile", "path"],
  DEKMESH_NODE_INDEX: ["nodeIndex", "integer"],
  DEKMESH_CONFIRMATIONS: ["confirmations", "integer"],
  DEKMESH_MAX_STALENESS_BLOCKS: ["maxStalenessBlocks", "integer"],
  DEKMESH_AUDIT_BATCH_SIZE: ["audit.batchSize", "integer"],
  DEKMESH_AUDIT_INTERVAL_MS: ["audit.intervalMs", "integer"],
  DEKMESH_HOLDINGS_BATCH_SIZE: ["holdings.batchSize", "integer"],
  DEKMESH_HOLDINGS_INTERVAL_MS: ["holdings.intervalMs", "integer"],
  DEKMESH_REPLICATION_INTERVAL_MS: ["replication.intervalMs", "integer"],
  DEKMESH_REPLICATION_CONCURRENCY: ["replication.concurrency", "integer"],
  DEKMESH_PULL_TIMEOUT_MS: ["replication.pullTimeoutMs", "integer"],
  DEKMESH_CRYPTO_WORKERS: ["cryptoWorkers", "integer"],
  DEKMESH_LOG_LEVEL: ["logLevel", "string"],
  DEKMESH_REGISTER: ["register", "boolean"],
  DEKMESH_STAKE: ["stake", "string"],
} as const;

const SECTIONS = ["p2p", "http", "audit", "holdings", "replication"] as const;
const TOP_KEYS = new Set([
  "rpcUrl", "chainId", "deployment", "indexerUrl", "dataDir", "mnemonic", "mnemonicFile", "nodeIndex", "confirmations",
  "maxStalenessBlocks", "cryptoWorkers", "logLevel", "register", "stake", ...SECTIONS,
]);
const SECTION_KEYS: Record<(typeof SECTIONS)[number], ReadonlySet<string>> = {
  p2p: new Set(["listen", "announce", "bootstrap"]),
  http: new Set(["host", "port", "publicUrl", "maxUploadBytes"]),
  audit: new Set(["batchSize", "intervalMs"]),
  holdings: new Set(["batchSize", "intervalMs"]),
  replication: new Set(["intervalMs", "concurrency", "pullTimeoutMs"]),
};

function invalid(field: string, message: string): ValidatorError {
  return new ValidatorError("VALIDATOR_CONFIG_INVALID", `config ${field}: ${message}`, { details: { field } });
}

type Layer = Record<string, unknown>;

function readFileLayer(file: string): Layer {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (cause) {
    throw new ValidatorError("VALIDATOR_CONFIG_FILE", `cannot read the config file ${file}`, { details: { file }, cause });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ValidatorError("VALIDATOR_CONFIG_FILE", `the config file ${file} is not JSON`, { details: { file } });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ValidatorError("VALIDATOR_CONFIG_FILE", `the config file ${file} must hold a JSON object`, { details: { file } });
  }
  const layer = value as Layer;
  // Paths in a file are relative to the file, so a config directory can move as a whole.
  const base = dirname(resolve(file));
  for (const key of ["deployment", "dataDir", "mnemonicFile"]) {
    const v = layer[key];
    if (typeof v === "string" && v !== "" && !isAbsolute(v)) layer[key] = resolve(base, v);
  }
  return layer;
}

function readEnvLayer(env: NodeJS.ProcessEnv): Layer {
  const layer: Layer = {};
  for (const [name, [path, type]] of Object.entries(ENV_VARIABLES)) {
    const raw = env[name];
    if (raw === undefined || raw === "") continue;
    let value: unknown;
    switch (type) {
      case "integer":
        if (!/^-?\d+$/.test(raw.trim())) throw invalid(path, `${name} must be an integer`);
        value = Number(raw.trim());
        break;
      case "boolean":
        if (!/^(true|false|1|0)$/i.test(raw.trim())) throw invalid(path, `${name} must be true or false`);
        value = /^(true|1)$/i.test(raw.trim());
        break;
      case "list":
        value = raw.split(",").map((s) => s.trim()).filter((s) => s !== "");
        break;
      case "path":
        value = resolve(raw);
        break;
      default:
        value = raw;
    }
    const [head, tail] = path.split(".");
    if (tail === undefined) layer[head!] = value;
    else layer[head!] = { ...((layer[head!] as Layer | undefined) ?? {}), [tail]: value };
  }
  return layer;
}

function merge(layers: Layer[]): Layer {
  const out: Layer = {};
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer)) {
      if (value === undefined) continue;
      if (!TOP_KEYS.has(key)) throw invalid(key, "unknown setting");
      if ((SECTIONS as readonly string[]).includes(key)) {
        if (typeof value !== "object" || value === null || Array.isArray(value)) throw invalid(key, "must be an object");
        for (const sub of Object.keys(value)) {
          if (!SECTION_KEYS[key as (typeof SECTIONS)[number]].has(sub)) throw invalid(`${key}.${sub}`, "unknown setting");
        }
        out[key] = { ...((out[key] as Layer | undefined) ?? {}), ...Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) };
      } else {
        out[key] = value;
      }
    }
  }
  return out;
}

// ------------------------------------------------------------------------------ field checks

function string(value: unknown, field: string, required: true): string;
function string(value: unknown, field: string, required: false): string | undefined;
function string(value: unknown, field: string, required: boolean): string | undefined {
  if (value === undefined) {
    if (required) throw invalid(field, "is required");
    return undefined;
  }
  if (typeof value !== "string" || value.trim() === "") throw invalid(field, "must be a non-empty string");
  return value.trim();
}

function integer(value: unknown, fallback: number | undefined, field: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const v = value ?? fallback;
  if (v === undefined) throw invalid(field, "is required");
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min || v > max) throw invalid(field, `must be an integer in [${min}, ${max}]`);
  return v;
}

function url(value: unknown, field: string, required: true): string;
function url(value: unknown, field: string, required: false): string | undefined;
function url(value: unknown, field: string, required: boolean): string | undefined {
  const text = required ? string(value, field, true) : string(value, field, false);
  if (text === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    throw invalid(field, "must be an http(s) URL");
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw invalid(field, "must be an http(s) URL");
  return text.replace(/\/+$/, "");
}

function multiaddrs(value: unknown, fallback: readonly string[], field: string, needsPeer: boolean): string[] {
  const v = value ?? fallback;
  if (!Array.isArray(v)) throw invalid(field, "must be a list of multiaddrs");
  return v.map((item, i) => {
    if (typeof item !== "string" || !item.startsWith("/")) throw invalid(`${field}[${i}]`, "must be a multiaddr (starting with /)");
    if (needsPeer && !/\/p2p\/[1-9A-HJ-NP-Za-km-z]+$/.test(item)) throw invalid(`${field}[${i}]`, "must end in /p2p/<peer id>");
    return item;
  });
}

/**
 * Builds and checks a ValidatorConfig from a file, the environment and overrides (later
 * layers win). Throws VALIDATOR_CONFIG_INVALID (with `details.field`) or VALIDATOR_CONFIG_FILE.
 */
export function loadValidatorConfig(input: LoadValidatorConfigInput = {}): ValidatorConfig {
  const layers: Layer[] = [];
  if (input.file !== undefined) layers.push(readFileLayer(input.file));
  if (input.env !== undefined) layers.push(readEnvLayer(input.env));
  if (input.overrides !== undefined) layers.push(input.overrides as Layer);
  return validateConfig(merge(layers));
}

/** Checks a merged layer; exported for callers that build the object themselves. */
export function validateConfig(raw: Record<string, unknown>): ValidatorConfig {
  const section = (name: (typeof SECTIONS)[number]) => (raw[name] ?? {}) as Layer;
  const p2p = section("p2p");
  const http = section("http");
  const audit = section("audit");
  const holdings = section("holdings");
  const replication = section("replication");

  const mnemonic = string(raw.mnemonic, "mnemonic", false);
  const mnemonicFile = string(raw.mnemonicFile, "mnemonicFile", false);
  if (mnemonic === undefined && mnemonicFile === undefined) throw invalid("mnemonic", "set mnemonic or mnemonicFile (DEKMESH_MNEMONIC_FILE)");
  if (mnemonic !== undefined && mnemonicFile !== undefined) throw invalid("mnemonic", "set only one of mnemonic and mnemonicFile");

  const logLevel = raw.logLevel ?? DEFAULT_CONFIG.logLevel;
  if (typeof logLevel !== "string" || !(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw invalid("logLevel", `must be one of ${LOG_LEVELS.join(", ")}`);
  }
  const register = raw.register ?? DEFAULT_CONFIG.register;
  if (typeof register !== "boolean") throw invalid("register", "must be true or false");
  const stake = string(raw.stake, "stake", false);
  if (stake !== undefined && (!/^\d{1,78}$/.test(stake) || BigInt(stake) === 0n)) throw invalid("stake", "must be a positive decimal amount in wei");

  const host = string(http.host ?? DEFAULT_CONFIG.http.host, "http.host", true);
  const config: ValidatorConfig = {
    rpcUrl: url(raw.rpcUrl, "rpcUrl", true),
    deployment: string(raw.deployment, "deployment", true),
    indexerUrl: url(raw.indexerUrl, "indexerUrl", true),
    p2p: {
      listen: multiaddrs(p2p.listen, DEFAULT_CONFIG.p2p.listen, "p2p.listen", false),
      announce: multiaddrs(p2p.announce, DEFAULT_CONFIG.p2p.announce, "p2p.announce", false),
      bootstrap: multiaddrs(p2p.bootstrap, DEFAULT_CONFIG.p2p.bootstrap, "p2p.bootstrap", true),
    },
    http: { host, port: integer(http.port, DEFAULT_CONFIG.http.port, "http.port", 0, 65_535) },
    dataDir: string(raw.dataDir, "dataDir", true),
    nodeIndex: integer(raw.nodeIndex, DEFAULT_CONFIG.nodeIndex, "nodeIndex", 0, 0x7fff_fffe),
    confirmations: integer(raw.confirmations, DEFAULT_CONFIG.confirmations, "confirmations", 1, 1000),
    maxStalenessBlocks: integer(raw.maxStalenessBlocks, DEFAULT_CONFIG.maxStalenessBlocks, "maxStalenessBlocks", 0, 10_000),
    audit: {
      batchSize: integer(audit.batchSize, DEFAULT_CONFIG.audit.batchSize, "audit.batchSize", 1, MAX_AUDIT_BATCH),
      intervalMs: integer(audit.intervalMs, DEFAULT_CONFIG.audit.intervalMs, "audit.intervalMs", 0),
    },
    holdings: {
      batchSize: integer(holdings.batchSize, DEFAULT_CONFIG.holdings.batchSize, "holdings.batchSize", 1, 500),
      intervalMs: integer(holdings.intervalMs, DEFAULT_CONFIG.holdings.intervalMs, "holdings.intervalMs", 0),
    },
    replication: {
      intervalMs: integer(replication.intervalMs, DEFAULT_CONFIG.replication.intervalMs, "replication.intervalMs", 10),
      concurrency: integer(replication.concurrency, DEFAULT_CONFIG.replication.concurrency, "replication.concurrency", 1, 256),
      pullTimeoutMs: integer(replication.pullTimeoutMs, DEFAULT_CONFIG.replication.pullTimeoutMs, "replication.pullTimeoutMs", 100),
    },
    cryptoWorkers: integer(raw.cryptoWorkers, DEFAULT_CONFIG.cryptoWorkers, "cryptoWorkers", 0, 64),
    logLevel: logLevel as LogLevel,
    register,
  };
  if (raw.chainId !== undefined) config.chainId = integer(raw.chainId, undefined, "chainId", 1);
  const publicUrl = url(http.publicUrl, "http.publicUrl", false);
  if (publicUrl !== undefined) config.http.publicUrl = publicUrl;
  if (http.maxUploadBytes !== undefined) config.http.maxUploadBytes = integer(http.maxUploadBytes, undefined, "http.maxUploadBytes", 1);
  if (mnemonic !== undefined) config.mnemonic = mnemonic;
  if (mnemonicFile !== undefined) config.mnemonicFile = mnemonicFile;
  if (stake !== undefined) config.stake = stake;
  // Keep the mnemonic out of any accidental JSON dump of the config.
  Object.defineProperty(config, "toJSON", { value: () => redactConfig(config), enumerable: false });
  return config;
}

/** The config with the mnemonic replaced, for logs. */
export function redactConfig(config: ValidatorConfig): Record<string, unknown> {
  const { mnemonic, ...rest } = config;
  return mnemonic === undefined ? { ...rest } : { ...rest, mnemonic: "<redacted>" };
}

/** The operator mnemonic from the config or its file. */
export function readMnemonic(config: Pick<ValidatorConfig, "mnemonic" | "mnemonicFile">): string {
  if (config.mnemonic !== undefined) return config.mnemonic;
  try {
    return readFileSync(config.mnemonicFile!, "utf8").trim();
  } catch (cause) {
    throw new ValidatorError("VALIDATOR_CONFIG_FILE", "cannot read the mnemonic file", { details: { file: config.mnemonicFile }, cause });
  }
}
