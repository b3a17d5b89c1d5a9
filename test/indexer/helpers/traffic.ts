// Steady background traffic for the restart and reorg tests: contents registered under
// every replication mode, holdings confirmed, grants issued and revoked, audit batches.
import type { Address, Hex } from "viem";
import type { Driver } from "./driver.js";

export interface TrafficWorld {
  validators: Address[];
  authority: Address;
  publisher: Address;
  readers: Address[];
  namespace: Hex;
  policies: bigint[];
  contents: Hex[];
}

/** Validators, a namespace and one policy per replication mode. */
export async function setUpTraffic(d: Driver, opts: { validators?: number } = {}): Promise<TrafficWorld> {
  const count = opts.validators ?? 3;
  const validators = Array.from({ length: count }, (_, i) => d.account(1 + i));
  for (const [i, v] of validators.entries()) await d.activeValidator(v, d.account(11 + i));
  const authority = d.account(20);
  const publisher = d.account(21);
  const readers = [25, 26, 27].map((i) => d.account(i));
  const namespace = await d.createNamespace(authority, "tier", "hierarchy", ["gold", "silver"]);
  const policies = [
    await d.createPolicy(publisher, { mode: "all", requirements: [{ namespace, value: 1 }] }),
    await d.createPolicy(publisher, { mode: "stake", k: 2 }),
    await d.createPolicy(publisher, { mode: "xor", k: 2, allowlist: [readers[0]!] }),
    await d.createPolicy(publisher, { mode: "explicit", explicitMembers: [validators[0]!] }),
  ];
  return { validators, authority, publisher, readers, namespace, policies, contents: [] };
}

/** One round of traffic: about eight transactions touching every table. */
export async function trafficRound(d: Driver, w: TrafficWorld, round: number): Promise<void> {
  const validator = w.validators[round % w.validators.length]!;
  const policyId = w.policies[round % w.policies.length]!;
  const { contentId } = await d.registerContent(w.publisher, policyId, validator);
  w.contents.push(contentId);
  await d.confirmHoldings(validator, [contentId]);
  const reader = w.readers[round % w.readers.length]!;
  await d.grant(w.authority, w.namespace, reader, round % 2);
  if (round % 3 === 2) await d.revokeGrant(w.authority, w.namespace, reader, round % 2);
  await d.recordRewraps(validator, [
    { contentId, requester: reader },
    { contentId: w.contents[Math.floor(round / 2)]!, requester: w.readers[0]! },
  ]);
}
