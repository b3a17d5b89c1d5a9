/**
 * `dekmesh validator run|register|rotate-key`. `run` is the daemon (node/validator); register
 * (sent by the node account) and rotate-key (sent by the operator account) are an operator's
 * one-off chain actions for one node (operator.ts says who they act as). Stake, exit, withdraw
 * and status are in validatorStake.ts.
 */
import fs from "node:fs";
import path from "node:path";
import { defineCommand, listOf, stringOf, type Command } from "./command.js";
import { CliError, EXIT, UsageError } from "./exitCodes.js";
import { fields } from "./output.js";
import { IDENTITY_HELP, IDENTITY_OPTIONS, operatorContext } from "./operator.js";
import { validatorStakeCommands } from "./validatorStake.js";

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

export const validatorCommands: Command[] = [run, register, ...validatorStakeCommands, rotate];
