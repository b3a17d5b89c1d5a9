/**
 * Every setting of the validator, declared once: its path in the config, its DEKMESH_* variable,
 * its kind (how the environment spells it and how it is checked), its default and what it is
 * for. config.ts derives the ValidatorConfig type, DEFAULT_CONFIG, the environment mapping, the
 * unknown-key check and the validation from this table; `npm run docs:config` the table in
 * docs/validator.md. A default that belongs to a part of the node is imported from that part
 * (Lodestar's options.ts pattern), not restated here.
 */
import {
  DEFAULT_AUDIT_BATCH_SIZE,
  DEFAULT_AUDIT_INTERVAL_MS,
  DEFAULT_CONFIRMATIONS,
  DEFAULT_HOLDINGS_BATCH_SIZE,
  DEFAULT_HOLDINGS_INTERVAL_MS,
} from "../chain/constants.js";
import { MAX_AUDIT_BATCH, MAX_CONFIRMATION_BATCH } from "../protocol/limits.js";
import { DEFAULT_MAX_CONNECTIONS_PER_IP, DEFAULT_MAX_UPLOAD_BYTES } from "./http/constants.js";
import { LOG_LEVELS } from "./logger.js";
import { DEFAULT_LISTEN } from "./p2p/constants.js";
import { DEFAULT_PULL_CONCURRENCY, DEFAULT_PULL_TIMEOUT_MS, DEFAULT_REPLICATION_INTERVAL_MS } from "./replication/constants.js";

/**
 * What a setting holds. Strings are trimmed and may not be empty; a `url` is http(s), without
 * trailing slashes; a relative `path` resolves against the config file (or, from the
 * environment, the working directory); a `secret` never appears in errors, logs or `toJSON`;
 * `wei` is a positive decimal amount. In the environment a list is comma-separated.
 */
export type Setting = {
  env: `DEKMESH_${string}`;
  /** One line for the docs table (Markdown). */
  description: string;
  /** What the docs say when the default is not a fixed value (decided at start, or by a part). */
  docsDefault?: string;
} & (
  | { kind: "string" | "url" | "path" | "secret" | "wei"; default?: string }
  | { kind: "integer"; min: number; max?: number; default?: number }
  | { kind: "boolean"; default?: boolean }
  | { kind: "choice"; values: readonly string[]; default?: string }
  /** `peerId`: each address must end in /p2p/<peer id>. */
  | { kind: "multiaddrs"; peerId?: boolean; default?: readonly string[] }
) &
  /** Required settings have no default; settings with neither are optional. */
  ({ required: true; default?: never } | { required?: never });

export const SETTINGS = {
  rpcUrl: { env: "DEKMESH_RPC_URL", kind: "url", required: true, description: "chain JSON-RPC endpoint" },
  chainId: { env: "DEKMESH_CHAIN_ID", kind: "integer", min: 1, docsDefault: "the deployment's", description: "expected chain id, checked against the endpoint" },
  deployment: { env: "DEKMESH_DEPLOYMENT", kind: "path", required: true, description: "deployment file, `deployments/<chainId>.json`" },
  indexerUrl: { env: "DEKMESH_INDEXER_URL", kind: "url", required: true, description: "Ponder indexer base URL" },
  "p2p.listen": { env: "DEKMESH_P2P_LISTEN", kind: "multiaddrs", default: DEFAULT_LISTEN, description: "libp2p listen addresses" },
  "p2p.announce": {
    env: "DEKMESH_P2P_ANNOUNCE",
    kind: "multiaddrs",
    default: [],
    docsDefault: "the listening ones",
    description: "addresses registered on chain instead of the listening ones (e.g. behind NAT)",
  },
  "p2p.bootstrap": { env: "DEKMESH_P2P_BOOTSTRAP", kind: "multiaddrs", peerId: true, default: [], description: "peers dialed at start" },
  "http.host": { env: "DEKMESH_HTTP_HOST", kind: "string", default: "127.0.0.1", description: "HTTP API listen host" },
  "http.port": { env: "DEKMESH_HTTP_PORT", kind: "integer", min: 0, max: 65_535, default: 0, description: "HTTP API listen port; 0: any free port" },
  "http.publicUrl": { env: "DEKMESH_PUBLIC_URL", kind: "url", docsDefault: "`http://<host>:<port>`", description: "endpoint registered on chain" },
  "http.maxUploadBytes": {
    env: "DEKMESH_MAX_UPLOAD_BYTES",
    kind: "integer",
    min: 1,
    docsDefault: `${DEFAULT_MAX_UPLOAD_BYTES / 2 ** 30} GiB (the HTTP server's)`,
    description: "upload body limit (`PUT /v1/content/:cid`)",
  },
  "http.maxConnectionsPerIp": {
    env: "DEKMESH_MAX_CONNECTIONS_PER_IP",
    kind: "integer",
    min: 1,
    docsDefault: `${DEFAULT_MAX_CONNECTIONS_PER_IP} (the HTTP server's)`,
    description: "open connections one client address may hold; raise it behind a reverse proxy, whose connections all come from one address",
  },
  dataDir: { env: "DEKMESH_DATA_DIR", kind: "path", required: true, description: "the node's data: `store/` (DEK store), `pins/` (ciphertexts)" },
  mnemonic: {
    env: "DEKMESH_MNEMONIC",
    kind: "secret",
    docsDefault: "this or `mnemonicFile`",
    description: "operator BIP-39 mnemonic (the operator root, [crypto.md](crypto.md)); prefer `mnemonicFile`, which keeps it out of the environment",
  },
  mnemonicFile: { env: "DEKMESH_MNEMONIC_FILE", kind: "path", docsDefault: "this or `mnemonic`", description: "file holding the operator mnemonic, readable only by the node's user" },
  nodeIndex: { env: "DEKMESH_NODE_INDEX", kind: "integer", min: 0, max: 0x7fff_fffe, default: 0, description: "which node of the operator (its key derivation index, [crypto.md](crypto.md))" },
  confirmations: {
    env: "DEKMESH_CONFIRMATIONS",
    kind: "integer",
    min: 1,
    max: 1000,
    default: DEFAULT_CONFIRMATIONS,
    description: "blocks a registration needs (the including one counts) before the node derives or pulls its DEK",
  },
  maxStalenessBlocks: {
    env: "DEKMESH_MAX_STALENESS_BLOCKS",
    kind: "integer",
    min: 0,
    max: 10_000,
    default: 5,
    description:
      "older indexed state is not used: access decisions are then read from the chain ([rewrap.md](rewrap.md)), holders, the active set and work lists refused",
  },
  "audit.batchSize": {
    env: "DEKMESH_AUDIT_BATCH_SIZE",
    kind: "integer",
    min: 1,
    max: MAX_AUDIT_BATCH,
    default: DEFAULT_AUDIT_BATCH_SIZE,
    description: "audit records per transaction (at most the contract's limit)",
  },
  "audit.intervalMs": {
    env: "DEKMESH_AUDIT_INTERVAL_MS",
    kind: "integer",
    min: 0,
    default: DEFAULT_AUDIT_INTERVAL_MS,
    description: "a smaller audit batch goes out once its oldest record has waited this long",
  },
  "holdings.batchSize": {
    env: "DEKMESH_HOLDINGS_BATCH_SIZE",
    kind: "integer",
    min: 1,
    max: MAX_CONFIRMATION_BATCH,
    default: DEFAULT_HOLDINGS_BATCH_SIZE,
    description: "content ids per holder confirmation (at most the contract's limit)",
  },
  "holdings.intervalMs": {
    env: "DEKMESH_HOLDINGS_INTERVAL_MS",
    kind: "integer",
    min: 0,
    default: DEFAULT_HOLDINGS_INTERVAL_MS,
    description: "at most one holder confirmation per this many ms, unless a full batch waits",
  },
  "replication.intervalMs": {
    env: "DEKMESH_REPLICATION_INTERVAL_MS",
    kind: "integer",
    min: 10,
    default: DEFAULT_REPLICATION_INTERVAL_MS,
    description: "work-list poll: how often the node compares its store with its assignments",
  },
  "replication.concurrency": { env: "DEKMESH_REPLICATION_CONCURRENCY", kind: "integer", min: 1, max: 256, default: DEFAULT_PULL_CONCURRENCY, description: "DEK pulls under way at once" },
  "replication.pullTimeoutMs": { env: "DEKMESH_PULL_TIMEOUT_MS", kind: "integer", min: 100, default: DEFAULT_PULL_TIMEOUT_MS, description: "deadline of one pull" },
  cryptoWorkers: {
    env: "DEKMESH_CRYPTO_WORKERS",
    kind: "integer",
    min: 0,
    max: 64,
    default: 0,
    description:
      "rewrap crypto threads: set 1 on a validator with two or more cores of its own (×1.2–1.35 the session rewraps of inline crypto in `bench:rewrap`, [benchmarks.md](benchmarks.md#rewrap-npm-run-benchrewrap)); the default 0 (main thread) suits the devnet, where several validators share one machine",
  },
  logLevel: { env: "DEKMESH_LOG_LEVEL", kind: "choice", values: LOG_LEVELS, default: "info", description: "least severe level logged" },
  register: { env: "DEKMESH_REGISTER", kind: "boolean", default: true, description: "register the node account on chain at start if it is not registered yet (it needs gas)" },
  stake: {
    env: "DEKMESH_STAKE",
    kind: "wei",
    description: "wei of the stake token the operator deposits at start when the node is not active; devnets only (the operator key then lives on the node)",
  },
} as const satisfies Record<string, Setting>;

export type ConfigPath = keyof typeof SETTINGS;

// ---------------------------------------------------------------------- the type, derived

type Settings = typeof SETTINGS;

/** The value a setting holds once checked. */
type ValueOf<S> = S extends { kind: "integer" }
  ? number
  : S extends { kind: "boolean" }
    ? boolean
    : S extends { kind: "multiaddrs" }
      ? string[]
      : S extends { kind: "choice"; values: readonly (infer V)[] }
        ? V
        : string;

/** Paths always present after validation: required or defaulted. */
type Present<P extends ConfigPath> = Settings[P] extends { required: true } | { default: unknown } ? P : never;

type Flat = { [P in ConfigPath as Present<P>]: ValueOf<Settings[P]> } & { [P in ConfigPath as Exclude<P, Present<P>>]?: ValueOf<Settings[P]> };

/** `{ "a.b": X, c: Y }` → `{ a: { b: X }, c: Y }` (one level: every path has at most one dot). */
type Nest<T> = {
  [K in keyof T as K extends `${infer Section}.${string}` ? Section : K]: K extends `${infer Section}.${string}`
    ? { [L in keyof T as L extends `${Section}.${infer Field}` ? Field : never]: T[L] }
    : T[K];
};

/** DEFAULT_CONFIG's type: the settings that have a default. */
export type DefaultConfig = Nest<{
  readonly [P in ConfigPath as Settings[P] extends { default: unknown } ? P : never]: Readonly<ValueOf<Settings[P]>>;
}>;

/**
 * The validator's checked configuration; each field is described in SETTINGS above. An
 * interface rather than an alias so that messages and hovers name it.
 */
export interface ValidatorConfig extends Nest<Flat> {}
