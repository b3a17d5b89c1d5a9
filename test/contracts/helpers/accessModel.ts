/**
 * Reference model of the on-chain access decision (`PolicyRegistry.canAccess` over
 * `AttributeRegistry.satisfies`), written independently of the contracts. The contract
 * tests compare the chain against it; the indexer's differential test reuses it, so it
 * depends on nothing but the language.
 */

/** Mirrors `AccessReason` in contracts/types/DekmeshTypes.sol (a stable wire format). */
export enum AccessReason {
  Granted = 0,
  Publisher = 1,
  PolicyNotFound = 2,
  PolicyRevoked = 3,
  NotYetValid = 4,
  Expired = 5,
  NotOnAllowlist = 6,
  MissingAttribute = 7,
}

/** Mirrors `IAttributeRegistry.AttributeRule`. */
export enum AttributeRule {
  AllOf = 0,
  AnyOf = 1,
  Hierarchy = 2,
}

export interface Requirement {
  /** keccak256 of the namespace name, 0x-prefixed hex. */
  namespace: string;
  /** Index of the value in the namespace's value list (for a hierarchy, 0 is the top rank). */
  value: number;
}

/** The current version of a policy, as its latest PolicyCreated/PolicyUpdated/PolicyRevoked events describe it. */
export interface PolicyState {
  publisher: string;
  revoked: boolean;
  /** Unix seconds; 0n = no start. */
  notBefore: bigint;
  /** Unix seconds, inclusive; 0n = no end. */
  notAfter: bigint;
  /** Empty = anyone. */
  allowlist: readonly string[];
  requirements: readonly Requirement[];
}

/** What the decision needs to know about attributes. */
export interface AttributeState {
  /** The namespace's rule, or undefined if it does not exist. */
  ruleOf(namespace: string): AttributeRule | undefined;
  /** The grant's expiry as issued (0n = never), or undefined if never issued or revoked. */
  grantExpiry(namespace: string, account: string, value: number): bigint | undefined;
}

export interface AccessDecision {
  allowed: boolean;
  reason: AccessReason;
}

/** A grant counts while it exists and has not reached its expiry. */
export function isGrantLive(expiresAt: bigint | undefined, now: bigint): boolean {
  return expiresAt !== undefined && (expiresAt === 0n || now < expiresAt);
}

/**
 * OpenTDF rule semantics over one namespace. `holds(v)` says whether the account holds a
 * live grant of value v. An empty requirement list is satisfied.
 */
export function satisfiesRule(
  rule: AttributeRule,
  holds: (value: number) => boolean,
  required: readonly number[],
): boolean {
  if (required.length === 0) return true;
  switch (rule) {
    case AttributeRule.AllOf:
      return required.every(holds);
    case AttributeRule.AnyOf:
      return required.some(holds);
    case AttributeRule.Hierarchy: {
      const highest = Math.min(...required);
      for (let v = 0; v <= highest; v++) if (holds(v)) return true;
      return false;
    }
  }
}

/** The decision `canAccess(policyId, account)` returns at block time `now`; `policy` undefined = unknown id. */
export function evaluateAccess(
  policy: PolicyState | undefined,
  account: string,
  now: bigint,
  attributes: AttributeState,
): AccessDecision {
  const deny = (reason: AccessReason): AccessDecision => ({ allowed: false, reason });
  if (!policy) return deny(AccessReason.PolicyNotFound);
  const who = account.toLowerCase();
  if (who === policy.publisher.toLowerCase()) return { allowed: true, reason: AccessReason.Publisher };
  if (policy.revoked) return deny(AccessReason.PolicyRevoked);
  if (now < policy.notBefore) return deny(AccessReason.NotYetValid);
  if (policy.notAfter !== 0n && now > policy.notAfter) return deny(AccessReason.Expired);
  if (policy.allowlist.length > 0 && !policy.allowlist.some((a) => a.toLowerCase() === who)) {
    return deny(AccessReason.NotOnAllowlist);
  }
  const groups = new Map<string, number[]>();
  for (const { namespace, value } of policy.requirements) {
    const key = namespace.toLowerCase();
    groups.set(key, [...(groups.get(key) ?? []), value]);
  }
  for (const [namespace, values] of groups) {
    const rule = attributes.ruleOf(namespace);
    const holds = (v: number) => isGrantLive(attributes.grantExpiry(namespace, who, v), now);
    if (rule === undefined || !satisfiesRule(rule, holds, values)) return deny(AccessReason.MissingAttribute);
  }
  return { allowed: true, reason: AccessReason.Granted };
}

/** An in-memory `AttributeState` fed with the same operations (or events) as the registry. */
export class MemoryAttributeState implements AttributeState {
  readonly #rules = new Map<string, AttributeRule>();
  readonly #grants = new Map<string, bigint>();

  static #key(namespace: string, account: string, value: number): string {
    return `${namespace.toLowerCase()}/${account.toLowerCase()}/${value}`;
  }

  /** NamespaceCreated. */
  createNamespace(namespace: string, rule: AttributeRule): void {
    this.#rules.set(namespace.toLowerCase(), rule);
  }

  /** GrantIssued: creates the grant or replaces its expiry. */
  grant(namespace: string, account: string, value: number, expiresAt: bigint): void {
    this.#grants.set(MemoryAttributeState.#key(namespace, account, value), expiresAt);
  }

  /** GrantRevoked. */
  revoke(namespace: string, account: string, value: number): void {
    this.#grants.delete(MemoryAttributeState.#key(namespace, account, value));
  }

  ruleOf(namespace: string): AttributeRule | undefined {
    return this.#rules.get(namespace.toLowerCase());
  }

  grantExpiry(namespace: string, account: string, value: number): bigint | undefined {
    return this.#grants.get(MemoryAttributeState.#key(namespace, account, value));
  }
}
