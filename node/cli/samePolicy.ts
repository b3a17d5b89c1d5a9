/**
 * Finding a publisher's live policy with exactly the given terms, so that running the same
 * `upload` twice reuses the policy the first run created instead of creating another.
 */
import { decodeConditions, encodeConditions, formatCondition, parseCondition } from "../protocol/conditions.js";
import { parseThresholdSpec, thresholdK } from "../protocol/threshold.js";
import type { PolicyTerms } from "../sdk/index.js";
import { listNamespaces, listPolicies, type PolicyRow } from "./indexerQueries.js";

/** The most recent policies looked at (a publisher re-running an upload finds the policy among its latest). */
const RECENT = 200;

const lower = (values: readonly string[]) => [...values].map((v) => v.toLowerCase()).sort();
const sameList = (a: readonly string[], b: readonly string[]) => JSON.stringify(lower(a)) === JSON.stringify(lower(b));

/** The replication as the indexer names it; undefined for specs not compared here. */
function modeOf(replication: PolicyTerms["replication"]): { mode: string; k: number; members: string[] } | undefined {
  if (replication === undefined || replication === "all") return { mode: "all", k: 0, members: [] };
  if (typeof replication === "object") return { mode: "explicit", k: replication.explicit.length, members: replication.explicit };
  const counted = /^(stake|xor):(\d+)$/.exec(replication);
  if (counted) return { mode: counted[1]!, k: Number(counted[2]), members: [] };
  const threshold = parseThresholdSpec(replication);
  return threshold === undefined ? undefined : { mode: "threshold", k: thresholdK(threshold.m, threshold.n)!, members: [] };
}

/**
 * Conditions as the indexer shows them: the text the chain's nodes format back to (a call
 * keeps only its selector on chain, so the user's text is not compared as typed). null = none.
 */
function conditionsOf(terms: PolicyTerms): string | null {
  if (terms.conditions === undefined) return null;
  const tree = typeof terms.conditions === "string" ? parseCondition(terms.conditions) : terms.conditions;
  const onChain = decodeConditions(encodeConditions(tree));
  return onChain === undefined ? null : formatCondition(onChain);
}

/** The id of `publisher`'s newest unrevoked policy with `terms`, or undefined. */
export async function findPolicyWithTerms(indexerUrl: string, publisher: string, terms: PolicyTerms): Promise<bigint | undefined> {
  const replication = modeOf(terms.replication);
  if (replication === undefined) return undefined;
  const conditions = conditionsOf(terms);
  const attributes = terms.attributes ?? [];
  let requirements: string[] = [];
  if (attributes.length > 0) {
    const { namespaces } = await listNamespaces(indexerUrl);
    for (const attribute of attributes) {
      const [name, value] = attribute.split("/") as [string, string];
      const ns = namespaces.find((n) => n.name === name);
      const index = ns?.values.indexOf(value) ?? -1;
      // An unknown attribute: no policy can have it; the upload reports it when it creates one.
      if (ns === undefined || index < 0) return undefined;
      requirements.push(`${ns.id}#${index}`);
    }
    requirements = [...new Set(lower(requirements))];
  }
  const { policies } = await listPolicies(indexerUrl, publisher, RECENT);
  const matches = (p: PolicyRow) =>
    !p.revoked &&
    sameList(p.requirements.map((r) => `${r.namespace}#${r.value}`), requirements) &&
    sameList(p.allowlist, terms.allowlist ?? []) &&
    BigInt(p.notBefore) === BigInt(terms.notBefore ?? 0) &&
    BigInt(p.notAfter) === BigInt(terms.notAfter ?? 0) &&
    (p.conditions ?? null) === conditions &&
    p.mode === replication.mode &&
    (replication.mode === "explicit" ? sameList(p.explicitMembers, replication.members) : p.k === replication.k);
  const found = policies.find(matches);
  return found === undefined ? undefined : BigInt(found.id);
}
