// The access decision over indexed state. It must equal PolicyRegistry.canAccess (via
// ContentRegistry.canAccessContent) at the same state and time — test/indexer/access.test.ts
// compares the two on random scenarios — so it follows the contract check by check. A policy's
// conditions are decided here only as far as the contract would reach `time` leaves alone;
// where it would read a balance, an owner or a call's result, the answer says so instead
// (`needsChain`): events do not carry balances, and a guess would be wrong.

import { ACCESS_REASONS, type AccessReason } from "../../node/protocol/accessReasons.js";
import { evaluateWithoutChain, parseCondition } from "../../node/protocol/conditions.js";

export { ACCESS_REASONS, type AccessReason };

export interface AccessDecision {
  needsChain: false;
  allowed: boolean;
  reason: AccessReason;
  reasonCode: number;
  /** For ConditionNotMet: the decisive condition node (prefix index), as checkAccess names it. */
  condition?: number;
}

/** The indexed state cannot decide: `condition` (prefix index) is the first node that needs chain state. */
export interface ChainNeeded {
  needsChain: true;
  allowed: null;
  reason: null;
  reasonCode: null;
  condition: number;
}

/** The current version of a policy, as indexed. Addresses lowercase. */
export interface PolicyTerms {
  publisher: string;
  revoked: boolean;
  notBefore: bigint;
  notAfter: bigint;
  allowlist: readonly string[];
  requirements: readonly { namespace: string; value: number }[];
  /** docs/conditions.md grammar, as indexed from PolicyConditionsSet; null/undefined = none. */
  conditions?: string | null;
}

/** A grant of one value to the account, as indexed. */
export interface GrantState {
  expiresAt: bigint;
  active: boolean;
}

export interface AttributeView {
  /** IAttributeRegistry.AttributeRule code of a namespace (undefined if unknown). */
  ruleOf(namespace: string): number | undefined;
  grantOf(namespace: string, value: number): GrantState | undefined;
}

const RULE_ALL_OF = 0;
const RULE_ANY_OF = 1;
const RULE_HIERARCHY = 2;

const decide = (reason: AccessReason): AccessDecision => ({
  needsChain: false,
  allowed: reason === "Granted" || reason === "Publisher",
  reason,
  reasonCode: ACCESS_REASONS.indexOf(reason),
});

/** AttributeRegistry._isLive: stored expiry 0 means never, else live strictly before it. */
export function isGrantLive(grant: GrantState | undefined, now: bigint): boolean {
  return grant !== undefined && grant.active && (grant.expiresAt === 0n || now < grant.expiresAt);
}

/** AttributeRegistry.satisfies for one namespace's required values. */
function satisfies(rule: number, required: readonly number[], holds: (value: number) => boolean): boolean {
  if (required.length === 0) return true;
  if (rule === RULE_HIERARCHY) {
    const highest = Math.min(...required);
    for (let v = 0; v <= highest; v++) if (holds(v)) return true;
    return false;
  }
  if (rule === RULE_ALL_OF) return required.every(holds);
  if (rule === RULE_ANY_OF) return required.some(holds);
  return false;
}

/** PolicyRegistry.canAccess at block time `now`; `policy` undefined = unknown policy. */
export function evaluateAccess(
  policy: PolicyTerms | undefined,
  account: string,
  now: bigint,
  attributes: AttributeView,
): AccessDecision | ChainNeeded {
  if (!policy) return decide("PolicyNotFound");
  const who = account.toLowerCase();
  if (who === policy.publisher.toLowerCase()) return decide("Publisher");
  if (policy.revoked) return decide("PolicyRevoked");
  if (now < policy.notBefore) return decide("NotYetValid");
  if (policy.notAfter !== 0n && now > policy.notAfter) return decide("Expired");
  if (policy.allowlist.length > 0 && !policy.allowlist.some((a) => a.toLowerCase() === who)) {
    return decide("NotOnAllowlist");
  }
  // Requirements are sorted by namespace on chain, so each namespace is one run.
  const byNamespace = new Map<string, number[]>();
  for (const { namespace, value } of policy.requirements) {
    const key = namespace.toLowerCase();
    const values = byNamespace.get(key);
    if (values) values.push(value);
    else byNamespace.set(key, [value]);
  }
  for (const [namespace, values] of byNamespace) {
    const rule = attributes.ruleOf(namespace);
    const holds = (v: number) => isGrantLive(attributes.grantOf(namespace, v), now);
    if (rule === undefined || !satisfies(rule, values, holds)) return decide("MissingAttribute");
  }
  if (policy.conditions) {
    const known = evaluateWithoutChain(parseCondition(policy.conditions), now);
    if (known.outcome === "chain") return { needsChain: true, allowed: null, reason: null, reasonCode: null, condition: known.decisive };
    if (!known.outcome) return { ...decide("ConditionNotMet"), condition: known.decisive };
  }
  return decide("Granted");
}
