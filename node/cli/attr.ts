/** `dekmesh attr create|grant|revoke|list|show`: attribute namespaces and grants in the AttributeRegistry. */
import type { AttributeRule } from "../sdk/index.js";
import { addressArg, attributeArg, timeArg } from "./args.js";
import { defineCommand, listOf, stringOf, type Command } from "./command.js";
import { CliError, EXIT, UsageError } from "./exitCodes.js";
import { withClient } from "./network.js";
import { listNamespaces, showNamespace } from "./indexerQueries.js";
import { fields, formatTime, table } from "./output.js";

const RULES: readonly AttributeRule[] = ["allOf", "anyOf", "hierarchy"];

const create = defineCommand({
  name: "attr create",
  summary: "create an attribute namespace (you become its authority)",
  help: `usage: dekmesh attr create <namespace> --values v1,v2,… [--rule allOf|anyOf|hierarchy] [--json]

Creates <namespace> with its values in order (for a hierarchy, the first is the highest rank:
a grant of a rank satisfies every lower one). Default rule: allOf. Prints the namespace id.`,
  options: { values: { type: "string", multiple: true }, rule: { type: "string" } },
  positionals: { min: 1, max: 1, names: "<namespace>" },
  async run({ positionals, values, settings, out }) {
    const name = positionals[0]!;
    if (name.includes("/")) throw new UsageError("a namespace name cannot contain /");
    const rule = (stringOf(values.rule) ?? "allOf") as AttributeRule;
    if (!RULES.includes(rule)) throw new UsageError("--rule must be allOf, anyOf or hierarchy");
    const names = listOf(values.values);
    if (names.length === 0) throw new UsageError("--values needs at least one value");
    const namespace = await withClient(settings, (client) => client.attributes.createNamespace(name, rule, names));
    out.result({ namespace: name, id: namespace, rule, values: names }, () => namespace);
  },
});

const grant = defineCommand({
  name: "attr grant",
  summary: "grant an attribute value to an account (you must be the namespace's authority)",
  help: `usage: dekmesh attr grant <ns/value> <account> [--expires <time>] [--json]

  --expires <time>       unix seconds or ISO date after which the grant no longer counts (default never)`,
  options: { expires: { type: "string" } },
  positionals: { min: 2, max: 2, names: "<ns/value> <account>" },
  async run({ positionals, values, settings, out }) {
    const attr = attributeArg(positionals[0]!);
    const account = addressArg(positionals[1]!, "<account>");
    const raw = stringOf(values.expires);
    const expiresAt = raw === undefined ? 0n : timeArg(raw, "--expires");
    await withClient(settings, (client) => client.attributes.grant(attr, account, expiresAt));
    out.result({ attribute: attr, account, expiresAt }, () => `granted ${attr} to ${account}${expiresAt > 0n ? ` until ${formatTime(expiresAt)}` : ""}`);
  },
});

const revoke = defineCommand({
  name: "attr revoke",
  summary: "revoke an account's grant of an attribute value",
  help: `usage: dekmesh attr revoke <ns/value> <account> [--json]`,
  positionals: { min: 2, max: 2, names: "<ns/value> <account>" },
  async run({ positionals, settings, out }) {
    const attr = attributeArg(positionals[0]!);
    const account = addressArg(positionals[1]!, "<account>");
    await withClient(settings, (client) => client.attributes.revokeGrant(attr, account));
    out.result({ attribute: attr, account, revoked: true }, () => `revoked ${attr} from ${account}`);
  },
});

const list = defineCommand({
  name: "attr list",
  summary: "attribute namespaces with their rule, values and authority, from the indexer",
  help: `usage: dekmesh attr list [--json]`,
  async run({ settings, out }) {
    const { namespaces, block } = await listNamespaces(settings.indexerUrl());
    out.result({ namespaces, block }, () =>
      namespaces.length === 0
        ? "no attribute namespaces yet (dekmesh attr create <namespace> --values …)"
        : table(namespaces, [
            { header: "NAMESPACE", value: (n) => n.name },
            { header: "RULE", value: (n) => n.rule },
            { header: "AUTHORITY", value: (n) => n.authority },
            { header: "VALUES", value: (n) => n.values.join(", ") },
          ]),
    );
  },
});

const show = defineCommand({
  name: "attr show",
  summary: "one namespace: its values in order and who holds which, from the indexer",
  help: `usage: dekmesh attr show <namespace> [--json]

Lists the namespace's values (for a hierarchy, the highest rank first) and its live grants.`,
  positionals: { min: 1, max: 1, names: "<namespace>" },
  async run({ positionals, settings, out }) {
    const name = positionals[0]!;
    const { namespace, grants, block } = await showNamespace(settings.indexerUrl(), name);
    if (namespace === undefined) {
      throw new CliError(EXIT.NOT_FOUND, "CLI_UNKNOWN_NAMESPACE", `no attribute namespace ${JSON.stringify(name.slice(0, 64))} (dekmesh attr list shows them)`, { details: { namespace: name } });
    }
    out.result({ ...namespace, grants, block }, () =>
      [
        fields([
          ["namespace", namespace.name],
          ["id", namespace.id],
          ["rule", namespace.rule],
          ["authority", namespace.authority],
          ["values", namespace.values.join(", ")],
          ["as of", `block ${block}`],
        ]),
        "",
        grants.length === 0
          ? "no live grants"
          : table(grants, [
              { header: "ACCOUNT", value: (g) => g.account },
              { header: "VALUE", value: (g) => `${namespace.name}/${g.value}` },
              { header: "EXPIRES", value: (g) => formatTime(BigInt(g.expiresAt)) },
            ]),
      ].join("\n"),
    );
  },
});

export const attrCommands: Command[] = [create, grant, revoke, list, show];
