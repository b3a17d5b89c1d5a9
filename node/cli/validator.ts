/**
 * `dekmesh validator run|register|stake|exit|rotate-key`. `run` is the daemon (node/validator).
 * The others are an operator's one-off chain actions for one node, with keys derived from the
 * operator mnemonic and node index (docs/crypto.md): register (sent by the node account),
 * stake, exit and rotate-key (sent by the operator account). They read the same config file
 * and DEKMESH_* variables as `validator run`; flags win.
 */
import fs from "node:fs";
import path from "node:path";
import type { ChainClients } from "../chain/index.js";
import type { NodeIdentity } from "../validator/index.js";
import { defineCommand, listOf, stringOf, type Command, type CommandInput } from "./command.js";
import { CliError, EXIT, UsageError } from "./exitCodes.js";
import { openChain } from "./network.js";
import { fields } from "./output.js";
import { resolveSettings, NETWORK_OPTIONS, type NetworkFlags, type Settings } from "./settings.js";

const run = defineCommand({
  name: "validator run",
  summary: "run a validator node until Ctrl-C",
  help: `usage: dekmesh validator run [--config <file>]

Runs the validator daemon (docs/validator.md). Exit: 0 after a clean stop (SIGINT/SIGTERM),
1 for a wrong command line or config, 4 when it could not start.`,
  raw: true,
  network: false,
  async run({ argv }) {
    const { runValidatorCommand } = await import("../validator/index.js");
    const code = await runValidatorCommand(argv);
    // node/validator: 2 = usage, 1 = start failed.
    return code === 0 ? EXIT.OK : code === 2 ? EXIT.USAGE : EXIT.UNAVAILABLE;
  },
});

const IDENTITY_OPTIONS = {
  config: { type: "string", short: "c" },
  "mnemonic-file": { type: "string" },
  "node-index": { type: "string" },
} as const;

const IDENTITY_HELP = `  -c, --config <file>    the validator's config file (as for validator run)
  --mnemonic-file <file> the operator mnemonic (DEKMESH_MNEMONIC_FILE; or the config's)
  --node-index <n>       which node of the operator (DEKMESH_NODE_INDEX; default 0)`;

interface OperatorContext {
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

async function operatorContext({ values }: CommandInput): Promise<OperatorContext> {
  const { deriveIdentity } = await import("../validator/index.js");
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
  const settings = resolveSettings(flags, env);

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

const register = defineCommand({
  name: "validator register",
  summary: "register the node account on chain (it becomes active once staked)",
  help: `usage: dekmesh validator register [--config <file>] [--endpoint <url>] [--multiaddr <addr> …] [--json]

Registers the node (sent by the node account, which needs gas) with its derived KAS key and
libp2p peer id, under the operator of the mnemonic.
  --endpoint <url>       its public HTTP endpoint (default: the config's http.publicUrl)
  --multiaddr <addr>     its public libp2p addresses (repeat; default: the config's p2p.announce)
${IDENTITY_HELP}`,
  options: { ...IDENTITY_OPTIONS, endpoint: { type: "string" }, multiaddr: { type: "string", multiple: true } },
  async run(input) {
    const ctx = await operatorContext(input);
    const chain = await import("../chain/index.js");
    const http = (ctx.file.http ?? {}) as Record<string, unknown>;
    const p2p = (ctx.file.p2p ?? {}) as Record<string, unknown>;
    const endpoint = stringOf(input.values.endpoint) ?? (typeof http.publicUrl === "string" ? http.publicUrl : undefined);
    if (endpoint === undefined) throw new UsageError("--endpoint is required (or http.publicUrl in the config)");
    try {
      const u = new URL(endpoint);
      if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error("scheme");
    } catch {
      throw new UsageError("--endpoint must be an http(s) URL");
    }
    const multiaddrs = listOf(input.values.multiaddr);
    if (multiaddrs.length === 0 && Array.isArray(p2p.announce)) multiaddrs.push(...(p2p.announce as string[]));
    for (const m of multiaddrs) if (!m.startsWith("/")) throw new UsageError(`not a multiaddr: ${JSON.stringify(m.slice(0, 80))}`);
    const node = ctx.identity.address;
    const before = await chain.getValidator(await ctx.node(), { node });
    if (before.status !== "none") {
      throw new CliError(EXIT.REFUSED, "CLI_ALREADY_REGISTERED", `validator ${node} is already registered (${before.status})`, { details: { node } });
    }
    const nodeClients = await ctx.node();
    const result = await chain.registerValidator(nodeClients, {
      operator: ctx.identity.operatorAccount.address,
      kasPublicKey: ctx.identity.keys.kasKey.publicKey,
      ...(await chain.signPeerIdProof(nodeClients, { node, libp2pPrivateKey: ctx.identity.keys.libp2pPrivateKey })),
      multiaddrs,
      endpoint,
    });
    const value = { node, operator: ctx.identity.operatorAccount.address, peerId: ctx.identity.peerId, kid: result.kid, transactionHash: result.hash };
    input.out.result(value, () => fields(Object.entries(value)));
  },
});

async function parseAmount(clients: ChainClients, raw: string, stakeTokenAbi: typeof import("../chain/index.js").stakeTokenAbi): Promise<{ wei: bigint; decimals: number }> {
  const decimals = Number(
    await clients.publicClient.readContract({ address: clients.deployment.addresses.stakeToken, abi: stakeTokenAbi, functionName: "decimals" }),
  );
  const { parseUnits } = await import("viem");
  let wei: bigint;
  if (/^\d{1,78}wei$/.test(raw)) wei = BigInt(raw.slice(0, -3));
  else if (/^\d{1,60}(\.\d{1,18})?$/.test(raw)) wei = parseUnits(raw, decimals);
  else throw new UsageError("--amount must be a token amount (e.g. 1000 or 0.5) or base units with a wei suffix");
  if (wei === 0n) throw new UsageError("--amount must be positive");
  return { wei, decimals };
}

const stakeCommand = defineCommand({
  name: "validator stake",
  summary: "deposit stake for the node (from the operator account)",
  help: `usage: dekmesh validator stake --amount <tokens> [--config <file>] [--json]

The operator approves and deposits stake for the node; at the minimum stake it becomes active.
  --amount <tokens>      stake token amount (1000, 0.5) or base units (1000000wei)
${IDENTITY_HELP}`,
  options: { ...IDENTITY_OPTIONS, amount: { type: "string" } },
  async run(input) {
    const raw = stringOf(input.values.amount);
    if (raw === undefined) throw new UsageError("--amount is required");
    const ctx = await operatorContext(input);
    const chain = await import("../chain/index.js");
    const operator = await ctx.operator();
    const { wei, decimals } = await parseAmount(operator, raw, chain.stakeTokenAbi);
    const node = ctx.identity.address;
    const { formatUnits } = await import("viem");
    const result = await chain.stake(operator, { node, amount: wei });
    const after = await chain.getValidator(operator, { node });
    const value = { node, amount: wei, stake: after.stake, status: after.status, transactionHash: result.hash };
    input.out.result(value, () =>
      fields([
        ["node", node],
        ["staked", formatUnits(wei, decimals)],
        ["total stake", formatUnits(after.stake, decimals)],
        ["status", after.status],
        ["transaction", result.hash],
      ]),
    );
  },
});

const exit = defineCommand({
  name: "validator exit",
  summary: "take the node out of the active set (it unbonds)",
  help: `usage: dekmesh validator exit [--config <file>] [--json]

The operator requests the node's exit: it leaves the active set now and unbonds; its replicas
are repaired to other validators. Stop the daemon only after its pending audit batches are
on chain (it flushes them on a clean stop).
${IDENTITY_HELP}`,
  options: IDENTITY_OPTIONS,
  async run(input) {
    const ctx = await operatorContext(input);
    const chain = await import("../chain/index.js");
    const node = ctx.identity.address;
    const result = await chain.requestExit(await ctx.operator(), { node });
    const after = await chain.getValidator(await ctx.operator(), { node });
    const value = { node, status: after.status, unbondingEndsAt: after.unbondingEndsAt, transactionHash: result.hash };
    input.out.result(value, () => fields(Object.entries(value).map(([k, v]) => [k, String(v)])));
  },
});

const rotate = defineCommand({
  name: "validator rotate-key",
  summary: "give the node a fresh KAS key (validator stopped)",
  help: `usage: dekmesh validator rotate-key [--config <file>] [--data-dir <dir>] [--json]

Generates a fresh random KAS key, keeps it (sealed) in the node's store, and makes it current
on chain (sent by the operator). Earlier keys stay in the store for headers that name them.
The store is the running validator's: stop the validator first (its store is locked).
  --data-dir <dir>       the validator's data directory (DEKMESH_DATA_DIR; or the config's)
${IDENTITY_HELP}`,
  options: { ...IDENTITY_OPTIONS, "data-dir": { type: "string" } },
  async run(input) {
    const ctx = await operatorContext(input);
    const chain = await import("../chain/index.js");
    const dataDir = stringOf(input.values["data-dir"]) ?? process.env.DEKMESH_DATA_DIR ?? (typeof ctx.file.dataDir === "string" ? ctx.file.dataDir : undefined);
    if (dataDir === undefined) throw new UsageError("--data-dir is required (or dataDir in the config)");
    const node = ctx.identity.address;
    const before = await chain.getValidator(await ctx.operator(), { node });
    if (before.status === "none") throw new CliError(EXIT.NOT_FOUND, "CLI_NOT_REGISTERED", `validator ${node} is not registered`, { details: { node } });
    const { DekStore } = await import("../validator/store/index.js");
    const { P256PrivateKey } = await import("../crypto/keys/index.js");
    let store: import("../validator/store/index.js").DekStore;
    try {
      fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      store = DekStore.open({ directory: path.join(dataDir, "store"), storageKey: ctx.identity.keys.storageKey });
    } catch (cause) {
      throw new CliError(EXIT.UNAVAILABLE, "CLI_STORE_LOCKED", `cannot open the node's store in ${dataDir} (stop the validator first)`, { cause });
    }
    try {
      // A node that never ran has no keys yet: keep its derived first key for the headers encrypted to it.
      if (store.currentKasKey() === undefined) await store.addKasKey(ctx.identity.keys.kasKey, { current: true });
      const fresh = P256PrivateKey.generate();
      // Durable before the chain names it: a key on chain must never be missing from the store.
      await store.addKasKey(fresh, { current: false });
      const result = await chain.rotateKasKey(await ctx.operator(), { node, kasPublicKey: fresh.publicKey });
      await store.addKasKey(fresh, { current: true });
      const value = { node, kid: result.kid, previousKid: result.previousKid, transactionHash: result.hash };
      input.out.result(value, () => fields(Object.entries(value)));
    } finally {
      store.close();
    }
  },
});

export const validatorCommands: Command[] = [run, register, stakeCommand, exit, rotate];
