/** `dekmesh policy create|update|revoke|show`: access policies in the PolicyRegistry. */
import type { PolicyInfo } from "../indexer-client/index.js";
import { policyIdArg } from "./args.js";
import { defineCommand, type Command } from "./command.js";
import { UsageError } from "./exitCodes.js";
import { openIndexer, withClient } from "./network.js";
import { fields, formatTime } from "./output.js";
import { policyTermsOf, POLICY_TERM_OPTIONS, POLICY_TERMS_HELP } from "./policyTerms.js";

const policyId = (value: string) => policyIdArg(value);

const create = defineCommand({
  name: "policy create",
  summary: "create a policy; prints its id",
  help: `usage: dekmesh policy create [--attr ns/value …] [--allow <addr> …] [--replication <spec>]
                             [--not-before <time>] [--not-after <time>] [--json]

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
                             [--not-before <time>] [--not-after <time>] [--json]

Replaces the terms of your policy <id> (a new version; contents under it follow at once).
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

function describe(p: PolicyInfo): string {
  return fields([
    ["policy", p.id.toString()],
    ["publisher", p.publisher],
    ["version", String(p.version)],
    ["revoked", p.revoked ? "yes" : "no"],
    ["requires", p.requirements.length === 0 ? "-" : p.requirements.map((r) => `${r.namespace}#${r.value}`).join(", ")],
    ["allowlist", p.allowlist.length === 0 ? "anyone" : p.allowlist.join(", ")],
    ["not before", formatTime(p.notBefore)],
    ["not after", formatTime(p.notAfter)],
    ["replication", p.k > 0 ? `${p.mode}:${p.k}` : p.mode],
    ["block", String(p.block.number)],
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
    out.result(policy, () => describe(policy));
  },
});

export const policyCommands: Command[] = [create, update, revoke, show];
