/**
 * `dekmesh challenge open|answer|resolve|list`: withheld-service challenges (docs/challenges.md).
 * A reader opens one against a holder that would not serve it (posting the bond); the holder's
 * daemon answers by itself, or its operator with `answer` when the daemon was down; anyone
 * resolves one whose window closed unanswered; `list` shows them with their state.
 */
import fs from "node:fs";
import { join } from "node:path";
import type { Address, Hex } from "viem";
import type { ChainClients } from "../chain/index.js";
import { addressArg, contentArg } from "./args.js";
import { defineCommand, stringOf, type Command, type CommandInput } from "./command.js";
import { CliError, EXIT, UsageError } from "./exitCodes.js";
import { openChain, openIndexer } from "./network.js";
import { fields, table } from "./output.js";
import { IDENTITY_HELP, IDENTITY_OPTIONS, operatorContext } from "./operator.js";

const KINDS = ["none", "withheld-rewrap", "withheld-share", "fabricated-record"] as const;
const STATUSES = ["none", "open", "answered", "slashed", "void"] as const;
/** How long the request inside a challenge stays valid (the contract wants it unexpired at opening). */
const REQUEST_LIFETIME_S = 600n;

async function adjudicator() {
  const { adjudicatorAbi } = await import("../chain/index.js");
  return adjudicatorAbi;
}

function idArg(value: string): bigint {
  if (!/^[1-9]\d{0,18}$/.test(value)) throw new UsageError(`not a challenge id (a positive integer): ${JSON.stringify(value.slice(0, 40))}`);
  return BigInt(value);
}

async function asAccount(input: CommandInput): Promise<ChainClients> {
  const { privateKeyToAccount } = await import("viem/accounts");
  return openChain(input.settings, privateKeyToAccount(input.settings.privateKey()));
}

/** Why `holder` holds the content, as openWithheld takes it: the current stake(k) set or threshold slots. */
async function holderProof(clients: ChainClients, input: CommandInput, contentId: Hex, holder: Address) {
  const info = await (await openIndexer(input.settings)).holders(contentId);
  const same = (a: string) => a.toLowerCase() === holder.toLowerCase();
  if (info.mode === "threshold") {
    const slots = [...(info.threshold?.slots ?? [])].sort((a, b) => a.slot - b.slot);
    const slot = slots.findIndex((s) => same(s.member));
    if (slot < 0) throw new CliError(EXIT.REFUSED, "CLI_NOT_HOLDER", `${holder} holds no slot of this content`);
    const zero = "0x0000000000000000000000000000000000000000";
    return { members: [], slots: slots.map((s) => ({ member: s.member, index: s.index, previous: s.previous ?? zero })), slot: BigInt(slot) };
  }
  if (info.mode === "stake") {
    const members = await replicaSet(clients, contentId);
    const slot = members.findIndex(same);
    if (slot < 0) throw new CliError(EXIT.REFUSED, "CLI_NOT_HOLDER", `${holder} is not in the content's replica set`);
    return { members, slots: [], slot: BigInt(slot) };
  }
  if (info.mode !== "all") throw new CliError(EXIT.REFUSED, "CLI_NOT_CHALLENGEABLE", `a ${info.mode} content's holders are not on chain: it cannot be challenged`);
  return { members: [], slots: [], slot: 0n };
}

/** A stake(k) content's current replica set in slot order: the draw, then every repair in order. */
async function replicaSet(clients: ChainClients, contentId: Hex): Promise<Address[]> {
  const { contentRegistryAbi } = await import("../chain/index.js");
  const address = clients.deployment.addresses.contentRegistry;
  const fromBlock = clients.deployment.startBlock;
  const [assigned] = await clients.publicClient.getContractEvents({ address, abi: contentRegistryAbi, eventName: "ReplicaSetAssigned", args: { contentId }, fromBlock });
  const members = [...((assigned?.args.members ?? []) as Address[])];
  const repairs = await clients.publicClient.getContractEvents({ address, abi: contentRegistryAbi, eventName: "ReplicaRepaired", args: { contentId }, fromBlock });
  for (const r of repairs) members[Number(r.args.slot)] = r.args.replacement as Address;
  return members;
}

const open = defineCommand({
  name: "challenge open",
  summary: "challenge a holder that would not serve you a key (posts the bond)",
  help: `usage: dekmesh challenge open <cid> --holder <addr> [--key-out <file>] [--json]

As the configured account (which must be allowed to read the content), asks <holder> on chain
for the content's key: it must answer within the adjudicator's window or be slashed and
jailed. The bond (stake tokens, approved here if needed) goes to the holder if it answers.
  --holder <addr>        the validator that holds the content (all, stake(k), threshold modes)
  --key-out <file>       where the one-time private key the answer is sealed to is written
                         (mode 0600; default challenge-<id>.key)`,
  options: { holder: { type: "string" }, "key-out": { type: "string" } },
  positionals: { min: 1, max: 1, names: "<cid>" },
  async run(input) {
    const raw = stringOf(input.values.holder);
    if (raw === undefined) throw new UsageError("--holder is required");
    const holder = addressArg(raw, "--holder");
    const { contentId } = await contentArg(input.positionals[0]!);
    const clients = await asAccount(input);
    const abi = await adjudicator();
    const { stakeTokenAbi, sendContractWrite } = await import("../chain/index.js");
    const { P256PrivateKey } = await import("../crypto/keys/p256.js");
    const { bytesToHex, parseEventLogs, maxUint256 } = await import("viem");
    const address = clients.deployment.addresses.adjudicator;
    const proof = await holderProof(clients, input, contentId, holder);
    const me = clients.account!.address;
    const bond = await clients.publicClient.readContract({ address, abi, functionName: "bond" });
    const token = clients.deployment.addresses.stakeToken;
    const allowance = await clients.publicClient.readContract({ address: token, abi: stakeTokenAbi, functionName: "allowance", args: [me, address] });
    if (allowance < bond) await sendContractWrite(clients, { address: token, abi: stakeTokenAbi, functionName: "approve", args: [address, maxUint256] });
    const clientKey = P256PrivateKey.generate();
    const { timestamp } = await clients.publicClient.getBlock();
    const request = { contentId, clientPublicKey: bytesToHex(clientKey.publicKey), nonce: BigInt(Date.now()) * 1_000_000n + BigInt(Math.floor(Math.random() * 1e6)), expiry: timestamp + REQUEST_LIFETIME_S };
    const { hash, receipt } = await sendContractWrite(clients, { address, abi, functionName: "openWithheld", args: [request, holder, proof] });
    const [opened] = parseEventLogs({ abi, eventName: "ChallengeOpened", logs: receipt.logs });
    const id = opened!.args.id;
    const keyFile = stringOf(input.values["key-out"]) ?? `challenge-${id}.key`;
    fs.writeFileSync(keyFile, bytesToHex(clientKey.exportPrivateKey()) + "\n", { mode: 0o600 });
    const value = { id, contentId, holder, deadline: opened!.args.deadline, bond, keyFile, transactionHash: hash };
    input.out.result(value, () =>
      fields([
        ["challenge", id.toString()],
        ["holder", holder],
        ["answer by block", opened!.args.deadline.toString()],
        ["bond", bond.toString()],
        ["one-time key", keyFile],
        ["transaction", hash],
      ]),
    );
  },
});

const answer = defineCommand({
  name: "challenge answer",
  summary: "answer a challenge against your node (when its daemon was down)",
  help: `usage: dekmesh challenge answer <id> -c <config> [--json]

Answers challenge <id> against the node from its own store and KAS key, as the daemon does by
itself while it runs (stop the daemon first: the store is locked while it runs).
${IDENTITY_HELP}`,
  options: IDENTITY_OPTIONS,
  positionals: { min: 1, max: 1, names: "<id>" },
  async run(input) {
    const id = idArg(input.positionals[0]!);
    const ctx = await operatorContext(input);
    const dataDir = typeof ctx.file.dataDir === "string" ? ctx.file.dataDir : undefined;
    if (dataDir === undefined) throw new UsageError("the validator's config (-c) must name its dataDir");
    const { DekStore } = await import("../validator/store/index.js");
    const { ChallengeResponder } = await import("../validator/challenges/index.js");
    const { ThresholdMember } = await import("../validator/threshold/index.js");
    const { createMetricsRegistry } = await import("../validator/metrics/index.js");
    const { silentLogger } = await import("../protocol/logger.js");
    const { sendContractWrite } = await import("../chain/index.js");
    let store;
    try {
      store = DekStore.open({ directory: join(dataDir, "store"), storageKey: ctx.identity.keys.storageKey });
    } catch (cause) {
      throw new CliError(EXIT.UNAVAILABLE, "CLI_STORE_LOCKED", "cannot open the node's store (is its daemon running? it answers by itself)", { cause });
    }
    try {
      const node = await ctx.node();
      const indexer = await openIndexer(ctx.settings);
      const me = ctx.identity.address;
      const shares = new ThresholdMember({ store, indexer, me, logger: silentLogger, onStored: () => {} });
      const responder = new ChallengeResponder(
        { publicClient: node.publicClient as never, adjudicator: node.deployment.addresses.adjudicator, me, store, shares, onMissingDek: () => {}, send: (write) => sendContractWrite(node, write), metrics: createMetricsRegistry({ processMetrics: false }), logger: silentLogger },
        { intervalMs: 0 },
      );
      const outcome = await responder.answerOne(id);
      input.out.result({ id, outcome }, () => fields([["challenge", id.toString()], ["outcome", outcome]]));
      if (outcome === "not-mine") return EXIT.NOT_FOUND;
      if (outcome === "missing" || outcome === "missed") return EXIT.REFUSED;
    } finally {
      store.close();
    }
  },
});

const resolve = defineCommand({
  name: "challenge resolve",
  summary: "settle a challenge whose window closed unanswered (slashes the accused)",
  help: `usage: dekmesh challenge resolve <id> [--json]

Anyone may send it once the answer window has passed: the accused is slashed and jailed, the
challenger gets its bond back and its share of the slashed stake.`,
  positionals: { min: 1, max: 1, names: "<id>" },
  async run(input) {
    const id = idArg(input.positionals[0]!);
    const clients = await asAccount(input);
    const abi = await adjudicator();
    const { sendContractWrite } = await import("../chain/index.js");
    const address = clients.deployment.addresses.adjudicator;
    const { hash } = await sendContractWrite(clients, { address, abi, functionName: "resolve", args: [id] });
    const c = await clients.publicClient.readContract({ address, abi, functionName: "challenge", args: [id] });
    input.out.result({ id, status: STATUSES[c.status], transactionHash: hash }, () =>
      fields([["challenge", id.toString()], ["status", STATUSES[c.status]!], ["transaction", hash]]),
    );
  },
});

const list = defineCommand({
  name: "challenge list",
  summary: "challenges on chain, with their state",
  help: `usage: dekmesh challenge list [--accused <addr>] [--challenger <addr>] [--open] [--json]

  --accused <addr>       only challenges against this validator
  --challenger <addr>    only challenges opened by this account
  --open                 only those still waiting for an answer or a resolve`,
  options: { accused: { type: "string" }, challenger: { type: "string" }, open: { type: "boolean" } },
  async run(input) {
    const accused = stringOf(input.values.accused);
    const challenger = stringOf(input.values.challenger);
    const clients = await openChain(input.settings);
    const abi = await adjudicator();
    const address = clients.deployment.addresses.adjudicator;
    const args = {
      ...(accused !== undefined ? { accused: addressArg(accused, "--accused") } : {}),
      ...(challenger !== undefined ? { challenger: addressArg(challenger, "--challenger") } : {}),
    };
    const logs = await clients.publicClient.getContractEvents({ address, abi, eventName: "ChallengeOpened", args, fromBlock: clients.deployment.startBlock });
    const head = await clients.publicClient.getBlockNumber();
    const rows: { id: bigint; kind: string; status: string; challenger: Address; accused: Address; deadline: bigint; windowOpen: boolean }[] = [];
    for (const log of logs) {
      const c = await clients.publicClient.readContract({ address, abi, functionName: "challenge", args: [log.args.id!] });
      if (input.values.open === true && c.status !== 1) continue;
      rows.push({ id: log.args.id!, kind: KINDS[c.kind]!, status: STATUSES[c.status]!, challenger: c.challenger, accused: c.accused, deadline: c.deadline, windowOpen: head <= c.deadline });
    }
    input.out.result(rows, () =>
      rows.length === 0
        ? "no challenges"
        : table(rows, [
            { header: "ID", value: (r) => r.id.toString() },
            { header: "KIND", value: (r) => r.kind },
            { header: "STATUS", value: (r) => (r.status === "open" && !r.windowOpen ? "open (resolvable)" : r.status) },
            { header: "CHALLENGER", value: (r) => r.challenger },
            { header: "ACCUSED", value: (r) => r.accused },
            { header: "DEADLINE", value: (r) => r.deadline.toString() },
          ]),
    );
  },
});

export const challengeCommands: Command[] = [open, answer, resolve, list];
