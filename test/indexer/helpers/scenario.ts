// A realistic history that emits every domain event of the contracts at least once:
// validators join, top up, rotate and revoke keys, update addresses, exit, get slashed and
// revoked; authorities create namespaces, add values, hand a namespace over, grant (with and
// without expiry) and revoke; publishers create, update and revoke policies of every
// replication mode and register contents under them; an initial validator reports a content
// unusable; validators confirm holdings; a departed replica is repaired and its stake withdrawn;
// validators record audit batches.
import type { Address, Hex } from "viem";
import type { CID } from "multiformats/cid";
import { Driver, randomPeerIdentity } from "./driver.js";

export interface ScenarioContent {
  cid: CID;
  contentId: Hex;
  policyId: bigint;
  initialValidator: Address;
}

export interface Scenario {
  validators: Address[];
  operators: Address[];
  /** Exited after a repair and withdrawal. */
  exited: Address;
  /** Registered, never active, exited at once. */
  neverActive: Address;
  slashed: Address;
  revokedNode: Address;
  rotated: { node: Address; oldKid: Hex; newKid: Hex; newKey: Hex };
  networkUpdated: { node: Address; endpoint: string };
  namespaces: { clearance: Hex; dept: Hex; cert: Hex };
  authority: Address;
  deptAuthority: Address;
  publishers: Address[];
  readers: Address[];
  policies: Record<"all" | "stake" | "xor" | "explicit" | "revoked" | "closing" | "future" | "stake2", bigint>;
  contents: Record<"all" | "stake" | "xor" | "explicit" | "revoked" | "closing" | "future" | "stake2", ScenarioContent>;
  /** A stake2 content its initial validator (v5) reported unusable (PolicyMismatch) right after registering it. */
  unusable: ScenarioContent;
  /** Confirmations sent: contentId → validators. */
  confirmed: Map<Hex, Address[]>;
  /** Audit records in the order they were recorded. */
  audit: { validator: Address; contentId: Hex; requester: Address; batchId: bigint; servedAt?: bigint }[];
  /** The audit batch v3 recorded as an EIP-7702 smart account (a transaction to itself). */
  smartAccountBatch: { validator: Address; txHash: Hex; records: number };
}

export async function runScenario(d: Driver): Promise<Scenario> {
  const validators = [1, 2, 3, 4, 5, 6, 7].map((i) => d.account(i));
  const operators = [11, 12, 13, 14, 15, 16, 17].map((i) => d.account(i));
  const [v1, v2, v3, v4, v5, v6, v7] = validators as [Address, Address, Address, Address, Address, Address, Address];
  const authority = d.account(20);
  const deptAuthority = d.account(23);
  const publishers = [d.account(21), d.account(22)];
  const [pub1, pub2] = publishers as [Address, Address];
  const readers = [25, 26, 27, 28, 29, 30].map((i) => d.account(i));
  const [r25, r26, r27, r28, r29] = readers as [Address, Address, Address, Address, Address];

  // ---- validators
  for (const i of [0, 1, 2, 3, 4, 6]) await d.activeValidator(validators[i]!, operators[i]!);
  await d.stake(v1, operators[0]!, 500n * 10n ** 18n); // ValidatorWeightChanged
  await d.registerValidator(v6, operators[5]!);
  await d.send(operators[5]!, "ValidatorRegistry", "requestExit", [v6]); // never active → exited at once

  const newKey = `0x03${"ab".repeat(32)}` as Hex;
  const oldKid = (await d.read<{ currentKid: Hex }>("ValidatorRegistry", "validator", [v2])).currentKid;
  await d.send(operators[1]!, "ValidatorRegistry", "rotateKasKey", [v2, newKey]);
  const newKid = (await d.read<{ currentKid: Hex }>("ValidatorRegistry", "validator", [v2])).currentKid;
  await d.send(operators[1]!, "ValidatorRegistry", "revokeKasKey", [v2, oldKid]);
  const endpoint = "https://v3.example.org/rewrap";
  const identity = randomPeerIdentity();
  await d.send(operators[2]!, "ValidatorRegistry", "updateNetwork", [
    v3,
    identity.peerId,
    await d.peerIdProof(v3, identity),
    ["/ip4/127.0.0.1/tcp/9003", "/ip4/127.0.0.1/tcp/9004/ws"],
    endpoint,
  ]);

  // ---- attributes
  const now = (await d.public.getBlock()).timestamp;
  const clearance = await d.createNamespace(authority, "clearance", "hierarchy", ["top", "secret", "confidential"]);
  await d.send(authority, "AttributeRegistry", "addValue", [clearance, "public"]);
  const dept = await d.createNamespace(authority, "dept", "anyOf", ["eng", "ops"]);
  await d.send(authority, "AttributeRegistry", "transferAuthority", [dept, deptAuthority]);
  const cert = await d.createNamespace(authority, "cert", "allOf", ["a", "b"]);
  await d.grant(authority, clearance, r25, 1); // secret, forever
  await d.grant(authority, clearance, r26, 1, now + 30n); // secret, expires within the scenario
  await d.grant(authority, clearance, r29, 0);
  await d.revokeGrant(authority, clearance, r29, 0);
  await d.grant(deptAuthority, dept, r27, 0);
  await d.send(authority, "AttributeRegistry", "grantMany", [
    cert,
    [
      { account: r27, value: 0, expiresAt: 0n },
      { account: r27, value: 1, expiresAt: 0n },
      { account: r28, value: 0, expiresAt: 0n },
    ],
  ]);

  // ---- policies
  const policies = {
    all: await d.createPolicy(pub1, { mode: "all", requirements: [{ namespace: clearance, value: 1 }] }),
    stake: await d.createPolicy(pub1, { mode: "stake", k: 3, requirements: [{ namespace: dept, value: 0 }, { namespace: dept, value: 1 }] }),
    xor: await d.createPolicy(pub1, { mode: "xor", k: 2, allowlist: [r25, r26] }),
    explicit: await d.createPolicy(pub1, {
      mode: "explicit",
      explicitMembers: [v1, v3],
      requirements: [{ namespace: cert, value: 0 }, { namespace: cert, value: 1 }],
    }),
    revoked: await d.createPolicy(pub1, { mode: "all" }),
    closing: await d.createPolicy(pub1, { mode: "all", notAfter: now + 40n }),
    future: await d.createPolicy(pub1, { mode: "all", notBefore: now + 1_000_000n }),
    stake2: await d.createPolicy(pub2, { mode: "stake", k: 2 }),
  };

  // ---- contents
  const register = async (key: keyof typeof policies, initial: Address, publisher = pub1): Promise<ScenarioContent> => {
    const c = await d.registerContent(publisher, policies[key], initial, key === "all" ? "0x0102" : "0x");
    return { cid: c.cid, contentId: c.contentId, policyId: policies[key], initialValidator: initial };
  };
  const contents = {
    all: await register("all", v1),
    stake: await register("stake", v2),
    xor: await register("xor", v3),
    explicit: await register("explicit", v1),
    revoked: await register("revoked", v4),
    closing: await register("closing", v5),
    future: await register("future", v4),
    stake2: await register("stake2", v4, pub2),
  };
  // The initial validator's verdict (its slots released before anyone leaves): nobody can derive the DEK.
  const unusable = await register("stake2", v5, pub2);
  await d.send(v5, "ContentRegistry", "reportUnusable", [unusable.contentId, 3, await d.replicaSet(unusable.contentId)]);
  await d.updatePolicy(pub1, policies.explicit, {
    mode: "explicit",
    explicitMembers: [v3, v4],
    requirements: [{ namespace: cert, value: 0 }, { namespace: cert, value: 1 }],
  });
  await d.send(pub1, "PolicyRegistry", "revokePolicy", [policies.revoked]);

  // ---- holdings
  const confirmed = new Map<Hex, Address[]>();
  const confirm = async (validator: Address, content: ScenarioContent) => {
    await d.confirmHoldings(validator, [content.contentId]);
    confirmed.set(content.contentId, [...(confirmed.get(content.contentId) ?? []), validator]);
  };
  await confirm(v2, contents.all);
  for (const m of await d.replicaSet(contents.stake.contentId)) if (m !== "0x0000000000000000000000000000000000000000") await confirm(m, contents.stake);
  await confirm(v3, contents.explicit);
  await confirm(v1, contents.explicit);
  await d.confirmHoldings(v3, [contents.explicit.contentId]); // a repeated confirmation

  // ---- audit (before anyone leaves, so every writer is active)
  const audit: Scenario["audit"] = [];
  const record = async (validator: Address, batchId: bigint, rows: [ScenarioContent, Address, bigint?][]) => {
    await d.recordRewraps(validator, rows.map(([c, requester, servedAt]) => ({ contentId: c.contentId, requester, servedAt })));
    for (const [c, requester, servedAt] of rows) audit.push({ validator, contentId: c.contentId, requester, batchId, servedAt });
  };
  await record(v1, 1n, [[contents.all, r25], [contents.all, r26], [contents.explicit, r27]]);
  // The largest uint64 a validator may report: the indexer unpacks it in SQL (unsigned).
  await record(v3, 1n, [[contents.xor, r26, 2n ** 64n - 1n]]);
  await record(v1, 2n, [[contents.xor, r25], [contents.all, r25]]);
  // v3's second batch from v3 as a smart account (EIP-7702): not a direct recordRewraps call; the
  // indexer reads every batch from its event, whoever called the contract.
  const smartAccountRows: [ScenarioContent, Address][] = [[contents.explicit, r26], [contents.xor, r27]];
  const smartAccountBatch = await d.recordRewrapsAsSmartAccount(3, smartAccountRows.map(([c, requester]) => ({ contentId: c.contentId, requester })));
  for (const [c, requester] of smartAccountRows) audit.push({ validator: v3, contentId: c.contentId, requester, batchId: 2n });

  // ---- departures: exit + repair + withdraw, slash, node revocation
  // A member of a stake(k) set leaves, so its slot must be repaired before it may withdraw.
  // v1 stays (it is the initial validator /holders is checked against), v7 is revoked below.
  const drawn = [...(await d.replicaSet(contents.stake.contentId)), ...(await d.replicaSet(contents.stake2.contentId))];
  const exited = drawn.find((m) => m !== v1 && m !== v7 && validators.includes(m))!;
  const exitedOperator = operators[validators.indexOf(exited)]!;
  await d.send(exitedOperator, "ValidatorRegistry", "requestExit", [exited]);
  for (const c of [contents.stake, contents.stake2]) {
    const members = await d.replicaSet(c.contentId);
    if (members.includes(exited)) await d.send(pub2, "ContentRegistry", "repair", [c.contentId, members]);
  }
  const slashed = [v2, v4, v5].find((v) => v !== exited)!;
  await d.send(d.account(0), "ValidatorRegistry", "slash", [slashed, 100n * 10n ** 18n, `0x${"5a".repeat(32)}`]);
  await d.send(operators[6]!, "ValidatorRegistry", "revokeNode", [v7]);

  // Past the unbonding period (60 s on the dev chain), the grant expiry and the closing window.
  await d.increaseTime(61);
  await d.send(exitedOperator, "ValidatorRegistry", "withdraw", [exited]);

  return {
    validators,
    operators,
    exited,
    neverActive: v6,
    slashed,
    revokedNode: v7,
    rotated: { node: v2, oldKid, newKid, newKey },
    networkUpdated: { node: v3, endpoint },
    namespaces: { clearance, dept, cert },
    authority,
    deptAuthority,
    publishers,
    readers,
    policies,
    contents,
    unusable,
    confirmed,
    audit,
    smartAccountBatch: { validator: v3, txHash: smartAccountBatch.transactionHash, records: smartAccountRows.length },
  };
}
