/**
 * Indexed data is versioned per domain, one per contract, so a cached API answer is
 * invalidated only by events of the domains it reads (indexer_state, indexer/src/api/cache.ts).
 */
export const DOMAINS = ["validators", "attributes", "policies", "contents", "audit", "challenges"] as const;
export type Domain = (typeof DOMAINS)[number];

const BY_CONTRACT: Record<string, Domain> = {
  ValidatorRegistry: "validators",
  AttributeRegistry: "attributes",
  PolicyRegistry: "policies",
  ContentRegistry: "contents",
  RewrapAuditLog: "audit",
  Adjudicator: "challenges",
};

export function domainOfContract(contract: string): Domain {
  const domain = BY_CONTRACT[contract];
  if (!domain) throw new Error(`no data domain for contract ${contract}`);
  return domain;
}
