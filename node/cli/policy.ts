/** `dekmesh policy create|update|revoke|show|list`: access policies in the PolicyRegistry. */
import type { PolicyInfo } from "../indexer-client/index.js";
import { addressArg, policyIdArg } from "./args.js";
import { attributeNames, listPolicies } from "./indexerQueries.js";
import { defineCommand, stringOf, type Command } from "./command.js";
import { UsageError } from "./exitCodes.js";
import { openIndexer, withClient } from "./network.js";
import { fields, formatTime, table } from "./output.js";
import { policyTermsOf, POLICY_TERM_OPTIONS, POLICY_TERMS_HELP } from "./policyTerms.js";

const policyId = (value: string) => policyIdArg(value);

const create = defineCommand({
  name: "policy create",
  summary: "create a policy; prints its id",
  help: `usage: dekmesh policy create [--attr ns/value …] [--allow <addr> …] [--replication <spec>]
                             [--not-before <time>] [--not-after <time>] [--condition <tree>] [--json]

Creates a policy owned by your account and prints its id (use it with upload --policy).
${POLICY_TERMS_HELP}`,
  options: POLICY_TERM_OPTIONS,
  async run({ values, settings, out }) {
    const terms = policyTermsOf(values);
    const id = await withClient(settings, (client) => client.policies.create(terms));
    out.result({ policyId: id }, () => id.toString());
  },
});

const update = defineCommand({
  name: "policy update",
  summary: "replace a policy's terms (its replication stays); prints the new version",
  help: `usage: dekmesh policy update <id> [--attr ns/value …] [--allow <addr> …]
                             [--not-before <time>] [--not-after <time>] [--condition <tree>] [--json]

Replaces the terms of your policy <id> (a new version; contents under it follow at once).
Terms not given are dropped, conditions included.
The replication cannot change; it is kept (an explicit one must be restated).
${POLICY_TERMS_HELP}`,
  options: POLICY_TERM_OPTIONS,
  positionals: { min: 1, max: 1, names: "<id>" },
  async run({ positionals, values, settings, out }) {
    const id = policyId(positionals[0]!);
    const terms = policyTermsOf(values);
    if (terms.replication === undefined) {
      const current = await (await openIndexer(settings)).policy(id);
      if (current.mode === "explicit") throw new UsageError(`policy ${id} replicates to explicit members: restate them with --replication explicit:ADDR,…`);
      if (current.mode === "threshold") throw new UsageError(`policy ${id} is a threshold policy, which this CLI cannot update yet (issue #24)`);
      terms.replication = current.mode === "all" ? "all" : (`${current.mode}:${current.k}` as const);
    }
    const version = await withClient(settings, (client) => client.policies.update(id, terms));
    out.result({ policyId: id, version }, () => `policy ${id} is at version ${version}`);
  },
});

const revoke = defineCommand({
  name: "policy revoke",
  summary: "revoke a policy: nobody gets its contents' keys any more",
  help: `usage: dekmesh policy revoke <id> [--json]

Revokes your policy <id>. Validators refuse every rewrap for its contents from then on.`,
  positionals: { min: 1, max: 1, names: "<id>" },
  async run({ positionals, settings, out }) {
    const id = policyId(positionals[0]!);
    await withClient(settings, (client) => client.policies.revoke(id));
    out.result({ policyId: id, revoked: true }, () => `policy ${id} revoked`);
  },
});

const replicationOf = (p: { mode: string; k: number }) => (p.k > 0 ? `${p.mode}:${p.k}` : p.mode);

function describe(p: PolicyInfo, attributes: string[]): string {
  return fields([
    ["policy", p.id.toString()],
    ["publisher", p.publisher],
    ["version", String(p.version)],
    ["revoked", p.revoked ? "yes" : "no"],
    ["requires", attributes.length === 0 ? "-" : attributes.join(", ")],
    ["allowlist", p.allowlist.length === 0 ? "anyone" : p.allowlist.join(", ")],
    ["not before", formatTime(p.notBefore)],
    ["not after", formatTime(p.notAfter)],
    ["replication", replicationOf(p)],
    ["conditions", p.conditions ?? "-"],
    ["as of", `block ${p.block.number}`],
  ]);
}

const show = defineCommand({
  name: "policy show",
  summary: "a policy's current terms, from the indexer",
  help: `usage: dekmesh policy show <id> [--json]`,
  positionals: { min: 1, max: 1, names: "<id>" },
  async run({ positionals, settings, out }) {
    const id = policyId(positionals[0]!);
    const policy = await (await openIndexer(settings)).policy(id);
    const attributes = await attributeNames(settings.indexerUrl(), policy.requirements);
    out.result({ ...policy, attributes }, () => describe(policy, attributes));
  },
});

const list = defineCommand({
  name: "policy list",
  summary: "your policies (or a publisher's, or everyone's), newest first, from the indexer",
  help: `usage: dekmesh policy list [--publisher <addr> | --all] [--limit <n>] [--json]

  --publisher <addr>     this publisher's policies (default: your account's)
  --all                  every publisher's
  --limit <n>            at most n policies, 1-1000 (default 50)`,
  options: { publisher: { type: "string" }, all: { type: "boolean" }, limit: { type: "string" } },
  async run({ values, settings, out }) {
    const given = stringOf(values.publisher);
    if (given !== undefined && values.all === true) throw new UsageError("--publisher and --all exclude each other");
    const rawLimit = stringOf(values.limit) ?? "50";
    if (!/^\d{1,4}$/.test(rawLimit) || Number(rawLimit) < 1 || Number(rawLimit) > 1000) throw new UsageError(`--limit is an integer from 1 to 1000, not ${JSON.stringify(rawLimit.slice(0, 20))}`);
    let publisher: string | undefined;
    if (given !== undefined) publisher = addressArg(given, "--publisher");
    else if (values.all !== true) {
      const { privateKeyToAccount } = await import("viem/accounts");
      publisher = privateKeyToAccount(settings.privateKey()).address;
    }
    const { policies, block } = await listPolicies(settings.indexerUrl(), publisher, Number(rawLimit));
    const names = await attributeNames(settings.indexerUrl(), policies.flatMap((p) => p.requirements));
    let next = 0;
    const rows = policies.map((p) => ({ ...p, attributes: p.requirements.map(() => names[next++]!) }));
    out.result({ policies: rows, block }, () =>
      rows.length === 0
        ? `no policies${publisher !== undefined ? ` of ${publisher}` : ""} (dekmesh policy create, or upload with --attr, makes one)`
        : table(rows, [
            { header: "ID", value: (p) => p.id },
            ...(publisher === undefined ? [{ header: "PUBLISHER", value: (p: (typeof rows)[number]) => p.publisher }] : []),
            { header: "VERSION", value: (p) => String(p.version) },
            { header: "REVOKED", value: (p) => (p.revoked ? "yes" : "no") },
            { header: "REPLICATION", value: (p) => replicationOf(p) },
            { header: "NOT AFTER", value: (p) => formatTime(BigInt(p.notAfter)) },
            { header: "REQUIRES", value: (p) => (p.attributes.length === 0 ? "-" : p.attributes.join(", ")) },
          ]),
    );
  },
});

export const policyCommands: Command[] = [create, update, revoke, show, list];
