// How the explorer writes the indexer's values: links to the views, times, token amounts,
// and a policy's terms in words.
import { h } from "./dom.js";

/** 0x1234…abcd; the full value stays in the title and in the link. */
export const short = (hex) => (hex && hex.length > 14 ? `${hex.slice(0, 6)}…${hex.slice(-4)}` : hex ?? "");

export const validatorLink = (node) => h("a", { href: `/explorer/validator/${node}`, title: node, class: "mono" }, short(node));
export const contentLink = (contentId, cid) =>
  h("a", { href: `/explorer/content/${cid ?? contentId}`, title: cid ?? contentId, class: "mono" }, short(cid ?? contentId));
export const requesterLink = (account) => h("a", { href: `/explorer?requester=${account}`, title: `records of ${account}`, class: "mono" }, short(account));
export const recordHref = (r) => `/explorer/record/${r.validator}/${r.batchId}/${r.recordIndex}`;

/** Unix seconds as UTC, e.g. 2026-12-07 11:30:35 UTC. */
export function time(seconds) {
  const n = Number(seconds);
  if (!Number.isFinite(n) || n <= 0) return "—";
  if (n > 8.64e12) return `${seconds} (beyond any date)`;
  return new Date(n * 1000).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
}

export const timeElement = (seconds) =>
  h("time", { datetime: Number(seconds) > 0 && Number(seconds) < 8.64e12 ? new Date(Number(seconds) * 1000).toISOString() : undefined }, time(seconds));

/** A token amount in wei (decimal string) as tokens with up to 4 decimals. */
export function tokens(wei) {
  const value = BigInt(wei);
  const whole = value / 10n ** 18n;
  const fraction = (value % 10n ** 18n).toString().padStart(18, "0").slice(0, 4).replace(/0+$/, "");
  return `${whole.toLocaleString("en-US")}${fraction ? `.${fraction}` : ""} tokens`;
}

const RULES = {
  allOf: (ns, values) => `every one of ${values.join(", ")} in ${ns}`,
  anyOf: (ns, values) => `at least one of ${values.join(", ")} in ${ns}`,
  // Value 0 is a hierarchy's highest rank.
  hierarchy: (ns, values) => `${ns} ${values.join(", ")} or higher`,
};

/** A policy (GET /policies/:id) in sentences. */
export function policyInWords(p, at) {
  const lines = [];
  if (p.revoked) lines.push(`Revoked${p.revokedAt ? ` on ${time(p.revokedAt)}` : ""}: nobody may read.`);
  const byNamespace = new Map();
  for (const r of p.requirements) {
    const key = r.namespace;
    const entry = byNamespace.get(key) ?? { name: r.namespaceName ?? short(r.namespace), rule: r.rule, values: [] };
    entry.values.push(r.valueName ?? `#${r.value}`);
    byNamespace.set(key, entry);
  }
  const needs = [...byNamespace.values()].map((n) => (RULES[n.rule] ?? RULES.allOf)(n.name, n.values));
  lines.push(needs.length ? `A reader must hold ${needs.join(", and ")}.` : "No attribute is required.");
  lines.push(p.allowlist.length ? `Only ${p.allowlist.length} listed account${p.allowlist.length === 1 ? "" : "s"} may read.` : "Any account meeting the requirements may read.");
  const from = p.notBefore !== "0" ? `from ${time(p.notBefore)}` : "";
  const until = p.notAfter !== "0" ? `until ${time(p.notAfter)} (inclusive)` : "";
  lines.push(from || until ? `Readable ${[from, until].filter(Boolean).join(" ")}.` : "Readable at any time.");
  if (at !== undefined && p.notAfter !== "0" && BigInt(p.notAfter) < BigInt(at)) lines.push("The window has closed.");
  const { mode, k, explicitMembers } = p.replication;
  lines.push(
    {
      all: "Every active validator keeps the key.",
      stake: `${k} validators drawn by stake keep the key; a departed member's slot is drawn again.`,
      xor: `The ${k} active validators closest to the content id (XOR) keep the key.`,
      explicit: `The publisher's ${explicitMembers.length} named validators keep the key.`,
    }[mode] ?? `Replication: ${mode}.`,
  );
  lines.push(`Version ${p.version}, by publisher ${short(p.publisher)}.`);
  return lines;
}
