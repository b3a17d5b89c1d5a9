/** The policy terms `upload` and `policy create|update` take, from flags to the SDK's PolicyTerms. */
import type { PolicyTerms, ReplicationSpec } from "../sdk/index.js";
import { ConditionError, parseCondition } from "../protocol/conditions.js";
import { addressArg, attributeArg, timeArg } from "./args.js";
import { listOf, stringOf } from "./command.js";
import { UsageError } from "./exitCodes.js";
import { parseThresholdSpec } from "../protocol/threshold.js";

export const POLICY_TERM_OPTIONS = {
  attr: { type: "string", multiple: true },
  allow: { type: "string", multiple: true },
  replication: { type: "string" },
  "not-before": { type: "string" },
  "not-after": { type: "string" },
  condition: { type: "string" },
} as const;

export const POLICY_TERMS_HELP = `  --attr <ns/value>      a required attribute (repeat, or comma-separate)
  --allow <addr>         only these readers (repeat, or comma-separate; default anyone)
  --replication <spec>   all (default) | stake:K | xor:K | threshold:M/N | explicit:ADDR,ADDR…
                         (threshold:M/N: any M of N members serve a reader, no one holds the key)
  --not-before <time>    readable from (unix seconds or ISO date; inclusive)
  --not-after <time>     readable until (unix seconds or ISO date; inclusive)
  --condition <tree>     a condition readers must meet (docs/conditions.md), e.g.
                         erc20:TOKEN>=100, erc721:TOKEN:any, erc721:TOKEN:#7,
                         erc1155:TOKEN:ID>=2, native>=1e18, time<=UNIX,
                         call:TARGET:balanceOf(:reader)->uint256>=5, and(…), or(…), not(…)`;

export function replicationArg(value: string): ReplicationSpec {
  if (value === "all" || value === "validators") return value;
  const counted = /^(stake|xor):(\d{1,2})$/.exec(value);
  if (counted) {
    if (Number(counted[2]) === 0) throw new UsageError("--replication K must be at least 1");
    return value as ReplicationSpec;
  }
  if (value.startsWith("threshold:")) {
    if (parseThresholdSpec(value) === undefined) throw new UsageError(`--replication ${value}: threshold:M/N needs 2 ≤ M ≤ N ≤ 16 (e.g. threshold:3/5)`);
    return value as ReplicationSpec;
  }
  if (value.startsWith("explicit:")) {
    const members = value.slice("explicit:".length).split(",").filter((m) => m !== "");
    if (members.length === 0) throw new UsageError("--replication explicit: needs at least one address");
    return { explicit: members.map((m) => addressArg(m, "an explicit replica")) };
  }
  throw new UsageError("--replication must be all, stake:K, xor:K, threshold:M/N or explicit:ADDR,…");
}

/** `--condition` text, checked here so a typo is a usage error pointing at its position. */
export function conditionArg(text: string): string {
  try {
    parseCondition(text);
  } catch (error) {
    if (!(error instanceof ConditionError)) throw error;
    const position = error.details.position as number | undefined;
    const pointer = position === undefined || text.length > 200 ? "" : `\n  ${text}\n  ${" ".repeat(position)}^`;
    throw new UsageError(`--condition: ${error.message} (${error.code})${pointer}`);
  }
  return text;
}

export function policyTermsOf(values: Record<string, string | boolean | string[] | undefined>): PolicyTerms {
  const attributes = listOf(values.attr);
  for (const a of attributes) attributeArg(a, "--attr");
  const allowlist = listOf(values.allow).map((a) => addressArg(a, "--allow"));
  const replication = stringOf(values.replication);
  const time = (flag: string) => {
    const value = stringOf(values[flag]);
    return value === undefined ? undefined : timeArg(value, `--${flag}`);
  };
  const notBefore = time("not-before");
  const notAfter = time("not-after");
  const condition = stringOf(values.condition);
  return {
    ...(condition !== undefined ? { conditions: conditionArg(condition) } : {}),
    ...(attributes.length > 0 ? { attributes } : {}),
    ...(allowlist.length > 0 ? { allowlist } : {}),
    ...(replication !== undefined ? { replication: replicationArg(replication) } : {}),
    ...(notBefore !== undefined ? { notBefore } : {}),
    ...(notAfter !== undefined ? { notAfter } : {}),
  };
}
