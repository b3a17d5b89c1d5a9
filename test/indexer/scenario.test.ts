// Every event of the contracts, indexed by a real Ponder from a real Hardhat node, checked
// through the REST, GraphQL and SQL APIs against the chain's own views.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createClient } from "@ponder/client";
import { eq } from "ponder";
import { hexToBigInt, keccak256, parseEventLogs, zeroAddress, type Hex } from "viem";
import * as schema from "../../indexer/ponder.schema.js";
import { decodeAuditRecords } from "../../node/protocol/auditRecords.js";
import { startStack, type Stack } from "../../node/devnet/index.js";
import { get, post, synced } from "./helpers/api.js";
import { ABIS, Driver } from "./helpers/driver.js";
import { runScenario, type Scenario, type ScenarioContent } from "./helpers/scenario.js";

let stack: Stack;
let d: Driver;
let s: Scenario;
let url: string;
let head: number;

const lower = (a: string) => a.toLowerCase();
const VALIDATOR_STATUS = ["none", "registered", "active", "exiting", "exited", "jailed"];

before(async () => {
  stack = await startStack({ chain: { blockIntervalMs: 1000 } });
  url = stack.indexer!.url;
  d = await Driver.connect(stack);
  s = await runScenario(d);
  head = await synced(d);
});

after(async () => {
  await stack?.stop();
});

describe("validators", () => {
  test("GET /validators/active equals the chain's active set, stakes and weights", async () => {
    const { status, body } = await get(url, "/validators/active");
    assert.equal(status, 200);
    assert.ok(body.block.number >= head);
    const onChain = [];
    for (const node of s.validators) {
      const v = await d.read<{ status: number; stake: bigint }>("ValidatorRegistry", "validator", [node], BigInt(body.block.number));
      if (v.status === 2) onChain.push({ node: lower(node), stake: v.stake });
    }
    assert.deepEqual(
      body.validators.map((v: any) => ({ node: v.node, stake: BigInt(v.stake) })),
      onChain.sort((a, b) => (a.node < b.node ? -1 : 1)),
    );
    const [totalWeight, count] = await d.read<[bigint, bigint]>("ValidatorRegistry", "activeSet", [], BigInt(body.block.number));
    assert.equal(BigInt(body.totalWeight), totalWeight);
    assert.equal(body.count, Number(count));
    for (const gone of [s.exited, s.slashed, s.revokedNode, s.neverActive]) {
      assert.ok(!body.validators.some((v: any) => v.node === lower(gone)), `${gone} must not be active`);
    }
    const v1 = body.validators.find((v: any) => v.node === lower(s.validators[0]!));
    assert.equal(v1.weight, "1500", "top-up changed the weight");
  });

  test("rotated and revoked KAS keys, updated network addresses", async () => {
    const { body } = await get(url, "/validators/active");
    // The updated validator may be the one the scenario made exit, so read it by id.
    const { validator: v3 } = await graphql(
      `{ validator(node: "${lower(s.networkUpdated.node)}") { endpoint multiaddrs peerId } }`,
    );
    assert.equal(v3.endpoint, s.networkUpdated.endpoint);
    assert.deepEqual(v3.multiaddrs, ["/ip4/127.0.0.1/tcp/9003", "/ip4/127.0.0.1/tcp/9004/ws"]);
    assert.match(v3.peerId, /^16Uiu2[1-9A-HJ-NP-Za-km-z]{47}$/, "secp256k1 (identity multihash) peer ids print as 16Uiu2…");
    const rotated = s.rotated;
    const gql = await graphql(`{ kasKeys(where: { node: "${lower(rotated.node)}" }) { items { kid status publicKey } } }`);
    const keys = gql.kasKeys.items;
    assert.deepEqual(
      keys.map((k: any) => [k.kid, k.status]).sort(),
      [[rotated.oldKid, "revoked"], [rotated.newKid, "current"]].sort(),
    );
    const v2 = body.validators.find((v: any) => v.node === lower(rotated.node));
    if (v2) {
      assert.equal(v2.kid, rotated.newKid);
      assert.equal(v2.kasPublicKey, rotated.newKey);
      assert.deepEqual(v2.kasKeys.map((k: any) => k.kid), [rotated.newKid], "revoked keys are not offered");
    }
  });

  test("lifecycle history: status per validator equals the chain, slashes and withdrawals recorded", async () => {
    const gql = await graphql(`{ validators(limit: 100) { items { node status revoked stake slashedTotal } } }`);
    for (const v of gql.validators.items) {
      const chain = await d.read<{ status: number; revoked: boolean; stake: bigint }>("ValidatorRegistry", "validator", [v.node], BigInt(head));
      assert.equal(v.status, VALIDATOR_STATUS[chain.status], `status of ${v.node}`);
      assert.equal(v.revoked, chain.revoked);
      assert.equal(BigInt(v.stake), chain.stake);
    }
    const slashed = gql.validators.items.find((v: any) => v.node === lower(s.slashed));
    assert.equal(slashed.status, "jailed");
    assert.equal(BigInt(slashed.slashedTotal), 100n * 10n ** 18n);

    const sql = createClient(`${url}/sql`, { schema });
    const history = await sql.db
      .select()
      .from(schema.validatorStatusChange)
      .where(eq(schema.validatorStatusChange.node, lower(s.neverActive) as Hex));
    assert.deepEqual(history.map((h) => h.cause), ["registered", "exit_requested", "withdrawn"]);
    const stakes = await sql.db.select().from(schema.stakeChange).where(eq(schema.stakeChange.node, lower(s.exited) as Hex));
    assert.deepEqual(stakes.map((c) => c.kind), ["deposit", "withdrawal"]);
    const revoked = await sql.db.select().from(schema.validatorStatusChange).where(eq(schema.validatorStatusChange.cause, "node_revoked"));
    assert.deepEqual(revoked.map((r) => [r.node, r.fromStatus, r.toStatus]), [[lower(s.revokedNode), "active", "exiting"]]);

    // Weight history: its last entry is the chain's weight, for every validator; leaving the
    // active set (exit, slash, revocation) ends it at 0; a never-active validator has none.
    const weights = await sql.db.select().from(schema.weightChange);
    for (const v of gql.validators.items) {
      const mine = weights.filter((w) => w.node === v.node).sort((a, b) => Number(a.blockNumber - b.blockNumber) || a.logIndex - b.logIndex);
      const onChain = await d.read<bigint>("ValidatorRegistry", "weightOf", [v.node], BigInt(head));
      assert.equal(mine.at(-1)?.weight ?? 0n, onChain, `weight of ${v.node}`);
    }
    for (const left of [s.exited, s.slashed, s.revokedNode]) {
      const mine = weights.filter((w) => w.node === lower(left)).map((w) => w.weight);
      assert.ok(mine.length >= 2 && mine[0]! > 0n && mine.at(-1) === 0n, `${left}: ${mine.join(",")}`);
    }
    assert.equal(weights.filter((w) => w.node === lower(s.neverActive)).length, 0);
  });
});

describe("holders", () => {
  const holdersOf = async (c: ScenarioContent, ref: "cid" | "contentId" = "cid") => {
    const { status, body } = await get(url, `/holders/${ref === "cid" ? c.cid.toString() : c.contentId}`);
    assert.equal(status, 200);
    return body;
  };
  const activeNodes = async () => ((await get(url, "/validators/active")).body.validators as any[]).map((v) => v.node as string);
  const stateOf = (body: any) => Object.fromEntries(body.holders.map((h: any) => [h.node, h.state]));

  test("all: every active validator, the initial one and confirmed ones marked", async () => {
    const body = await holdersOf(s.contents.all);
    const active = await activeNodes();
    assert.equal(body.replication.mode, "all");
    assert.deepEqual(body.holders.map((h: any) => h.node).sort(), [...active].sort());
    const states = stateOf(body);
    assert.equal(states[lower(s.validators[0]!)], "initial");
    if (active.includes(lower(s.validators[1]!))) assert.equal(states[lower(s.validators[1]!)], "confirmed");
    for (const [node, state] of Object.entries(states)) {
      if (node !== lower(s.validators[0]!) && node !== lower(s.validators[1]!)) assert.equal(state, "computed");
    }
    const h = body.holders[0];
    for (const field of ["endpoint", "peerId", "multiaddrs", "kid", "kasPublicKey"]) assert.ok(field in h, field);
  });

  test("stake: the repaired on-chain replica set; departed members dropped, new ones assigned", async () => {
    const body = await holdersOf(s.contents.stake, "contentId");
    const members = (await d.replicaSet(s.contents.stake.contentId)).map((m) => (m === zeroAddress ? null : lower(m)));
    assert.deepEqual(body.replication.replicaSet, members);
    const active = new Set(await activeNodes());
    const confirmed = new Set((s.confirmed.get(s.contents.stake.contentId) ?? []).map(lower));
    const expected: Record<string, string> = {};
    for (const m of members) if (m && active.has(m)) expected[m] = confirmed.has(m) ? "confirmed" : "assigned";
    const initial = lower(s.contents.stake.initialValidator);
    if (active.has(initial) && !expected[initial]) expected[initial] = "initial";
    for (const c of confirmed) if (active.has(c)) expected[c] = "confirmed";
    assert.deepEqual(stateOf(body), expected);
    assert.ok(!(lower(s.exited) in stateOf(body)), "the exited member is gone");

    const repairs = await graphql(`{ replicaRepairs { items { contentId slot previous replacement } } }`);
    assert.ok(repairs.replicaRepairs.items.some((r: any) => r.previous === lower(s.exited)), "repair indexed");
  });

  test("xor: the k active validators closest to the content id", async () => {
    const body = await holdersOf(s.contents.xor);
    const target = hexToBigInt(s.contents.xor.contentId);
    const active = await activeNodes();
    const closest = [...active]
      .sort((a, b) => {
        const da = hexToBigInt(keccak256(a as Hex)) ^ target;
        const db = hexToBigInt(keccak256(b as Hex)) ^ target;
        return da < db ? -1 : 1;
      })
      .slice(0, 2);
    assert.deepEqual(body.replication.replicaSet, closest);
    for (const node of closest) {
      const holder = body.holders.find((h: any) => h.node === node);
      assert.ok(holder.inReplicaSet);
    }
  });

  test("unusable: the initial validator's verdict is recorded; /holders lists nobody; no work list has the content", async () => {
    const { content } = await graphql(`{ content(contentId: "${s.unusable.contentId}") { unusableReason unusableBlock } }`);
    assert.equal(content.unusableReason, "PolicyMismatch");
    const body = await holdersOf(s.unusable, "contentId");
    assert.deepEqual(body.content.unusable, { reason: "PolicyMismatch", block: Number(content.unusableBlock) });
    assert.deepEqual(body.holders, []);
    assert.deepEqual(body.replication.replicaSet, []);
    assert.equal(await d.read<boolean>("ContentRegistry", "isUnusable", [s.unusable.contentId]), true);
    for (const node of [...s.validators, s.unusable.initialValidator]) {
      const work = (await get(url, `/replication/${node}`)).body;
      assert.ok(!work.contents.some((c: any) => c.contentId === s.unusable.contentId), `${node} lists it`);
    }
    assert.equal((await holdersOf(s.contents.stake2, "contentId")).content.unusable, null);
  });

  test("explicit: the updated member list; a former member that confirmed still serves", async () => {
    const body = await holdersOf(s.contents.explicit);
    const [v1, , v3, v4] = s.validators.map(lower);
    assert.deepEqual(body.replication.replicaSet, [v3, v4]);
    const states = stateOf(body);
    const active = new Set(await activeNodes());
    if (active.has(v3!)) assert.equal(states[v3!], "confirmed");
    if (active.has(v4!)) assert.equal(states[v4!], "assigned");
    assert.equal(states[v1!], "confirmed");
    assert.equal(body.holders.find((h: any) => h.node === v1).inReplicaSet, false);
  });
});

describe("policies and access", () => {
  test("GET /policies/:id resolves names, shows versions, windows and revocation", async () => {
    const explicit = (await get(url, `/policies/${s.policies.explicit}`)).body.policy;
    assert.equal(explicit.version, 2);
    assert.deepEqual(explicit.replication, { mode: "explicit", k: 0, explicitMembers: [s.validators[2], s.validators[3]].map((a) => lower(a!)) });
    assert.deepEqual(
      explicit.requirements.map((r: any) => `${r.namespaceName}/${r.valueName}:${r.rule}`),
      ["cert/a:allOf", "cert/b:allOf"],
    );
    const all = (await get(url, `/policies/${s.policies.all}`)).body.policy;
    assert.deepEqual(all.requirements.map((r: any) => [r.namespaceName, r.valueName, r.rule]), [["clearance", "secret", "hierarchy"]]);
    assert.equal((await get(url, `/policies/${s.policies.revoked}`)).body.policy.revoked, true);
    const xor = (await get(url, `/policies/${s.policies.xor}`)).body.policy;
    assert.deepEqual(xor.allowlist, [s.readers[0], s.readers[1]].map((a) => lower(a!)));
    assert.deepEqual(xor.replication, { mode: "xor", k: 2, explicitMembers: [] });
    assert.notEqual((await get(url, `/policies/${s.policies.future}`)).body.policy.notBefore, "0");
    const versions = await graphql(`{ policyVersions(where: { policyId: "${s.policies.explicit}" }, orderBy: "version") { items { version explicitMembers } } }`);
    assert.deepEqual(versions.policyVersions.items.map((v: any) => v.version), [1, 2]);
  });

  test("GET /access equals canAccessContent for every content × account at the indexed block", async () => {
    const accounts = [...s.publishers, ...s.readers, s.authority];
    const seen = new Set<string>();
    for (const c of Object.values(s.contents)) {
      for (const account of accounts) {
        const { status, body } = await get(url, `/access/${c.cid}/${account}`);
        assert.equal(status, 200);
        const [allowed, reason] = await d.read<[boolean, number]>(
          "ContentRegistry",
          "canAccessContent",
          [c.contentId, account],
          BigInt(body.block.number),
        );
        assert.deepEqual([body.allowed, body.reasonCode], [allowed, reason], `${c.cid} for ${account}: ${body.reason}`);
        seen.add(body.reason);
      }
    }
    // The scenario reaches every reason a registered content can have.
    for (const reason of ["Granted", "Publisher", "PolicyRevoked", "NotYetValid", "Expired", "NotOnAllowlist", "MissingAttribute"]) {
      assert.ok(seen.has(reason), `scenario covers ${reason}`);
    }
  });

  test("an expired grant no longer counts; ?at= before the expiry still grants", async () => {
    const r26 = s.readers[1]!;
    const now = await get(url, `/access/${s.contents.all.cid}/${r26}`);
    assert.equal(now.body.reason, "MissingAttribute");
    const grant = await graphql(`{ attributeGrants(where: { account: "${lower(r26)}" }) { items { expiresAt active } } }`);
    const expiresAt = BigInt(grant.attributeGrants.items[0].expiresAt);
    const before = await get(url, `/access/${s.contents.all.contentId}/${r26}?at=${expiresAt - 1n}`);
    assert.equal(before.body.reason, "Granted");
    assert.equal(before.body.at, String(expiresAt - 1n));
  });
});

describe("POST /contents/policies", () => {
  test("the policies of the named contents; unknown ids left out, repeats and case folded", async () => {
    const named = Object.values(s.contents);
    const unknown = `0x${"ab".repeat(32)}`;
    const ids = [...named.map((c) => c.contentId), named[0]!.contentId.toUpperCase().replace("0X", "0x"), unknown];
    const r = await post(url, "/contents/policies", { contentIds: ids });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.ok(r.body.block.number >= head);
    const got = new Map(r.body.contents.map((c: { contentId: string; policyId: string }) => [c.contentId, c.policyId]));
    assert.deepEqual(got, new Map(named.map((c) => [c.contentId, String(c.policyId)])));
  });

  test("refusals: typed, and nothing read", async () => {
    const id = s.contents.all.contentId;
    const cases: [unknown, number, string][] = [
      ["not json", 400, "invalid_body"],
      [[id], 400, "invalid_body"],
      [{}, 400, "invalid_body"],
      [{ contentIds: [] }, 400, "invalid_body"],
      [{ contentIds: [id], more: 1 }, 400, "invalid_body"],
      [{ contentIds: ["0x1234"] }, 400, "invalid_body"],
      [{ contentIds: [42] }, 400, "invalid_body"],
      [{ contentIds: Array.from({ length: 1_001 }, (_, i) => `0x${i.toString(16).padStart(64, "0")}`) }, 400, "invalid_body"],
      [{ contentIds: [id], pad: "x".repeat(200_000) }, 413, "body_too_large"],
    ];
    for (const [body, status, code] of cases) {
      const r = await post(url, "/contents/policies", body);
      assert.equal(r.status, status, JSON.stringify(r.body).slice(0, 200));
      assert.equal(r.body.error.code, code);
      assert.ok(!JSON.stringify(r.body).includes("0x1234"), "a refusal does not repeat the input");
    }
    assert.equal((await post(url, "/contents/policies?x=1", { contentIds: [id] })).body.error.code, "unknown_parameter");
  });
});

describe("audit", () => {
  test("newest first, paged with stable cursors, batch ids per validator", async () => {
    const all = (await get(url, "/audit?limit=500")).body.records;
    assert.equal(all.length, s.audit.length);
    assert.deepEqual(
      all.map((r: any) => [r.validator, r.contentId, r.requester, r.batchId]),
      [...s.audit].reverse().map((a) => [lower(a.validator), a.contentId, lower(a.requester), String(a.batchId)]),
    );
    const pages: any[] = [];
    let cursor: string | null = null;
    do {
      const page: any = (await get(url, `/audit?limit=2${cursor ? `&cursor=${cursor}` : ""}`)).body;
      assert.ok(page.records.length <= 2);
      pages.push(...page.records);
      cursor = page.nextCursor;
    } while (cursor);
    assert.deepEqual(pages, all);
  });

  test("a batch a validator sent as a smart account (EIP-7702) is indexed from its event like any other", async () => {
    const { validator, txHash, records } = s.smartAccountBatch;
    const tx = await d.public.getTransaction({ hash: txHash });
    assert.equal(lower(tx.to!), lower(validator), "a transaction to itself, not a direct recordRewraps call");
    const receipt = await d.public.getTransactionReceipt({ hash: txHash });
    const [batch, ...others] = parseEventLogs({ abi: ABIS.RewrapAuditLog, eventName: "RewrapBatchRecorded", logs: receipt.logs });
    assert.equal(others.length, 0);
    const decoded = decodeAuditRecords(batch!.args.records);
    assert.equal(decoded.length, records);
    const indexed = ((await get(url, `/audit?validator=${validator}&limit=500`)).body.records as any[]).filter((r) => r.txHash === txHash);
    assert.deepEqual(
      indexed.map((r) => [r.contentId, r.requester, r.requestDigest, r.logIndex, r.recordIndex, r.batchId]).reverse(),
      decoded.map((r, i) => [r.contentId, r.requester, r.requestDigest, batch!.logIndex, i, "2"]),
    );
  });

  test("the audit domain counts every event the audit log emitted: one per batch", async () => {
    const batches = new Set(s.audit.map((a) => `${lower(a.validator)}/${a.batchId}`)).size;
    const { indexerStates } = await graphql(`{ indexerStates(where: { domain: "audit" }) { items { events } } }`);
    assert.equal(indexerStates.items[0].events, String(batches));
  });

  test("the rewrap view: GraphQL and SQL over HTTP give the records /audit gives, servedAt up to 2^64 − 1", async () => {
    const fields = ["blockNumber", "logIndex", "recordIndex", "contentId", "requester", "validator", "requestDigest", "servedAt", "batchId", "blockTimestamp", "txHash"];
    const normal = (rows: any[]) =>
      rows
        .map((r) => fields.map((f) => String(r[f])))
        .sort((a, b) => Number(BigInt(b[0]!) - BigInt(a[0]!)) || Number(b[1]) - Number(a[1]) || Number(b[2]) - Number(a[2]));
    const rest = (await get(url, "/audit?limit=500")).body.records;
    assert.equal(rest.length, s.audit.length);
    const { rewraps } = await graphql(`{ rewraps(limit: 500) { items { ${fields.join(" ")} } } }`);
    assert.deepEqual(normal(rewraps.items), normal(rest));
    const client = createClient(`${url}/sql`, { schema });
    const r26 = lower(s.readers[1]!) as Hex;
    // The view can only be paged over SQL (a filter on it unpacks every batch): all of it, filtered here.
    const rows = (await client.db.select().from(schema.rewrap).limit(1000)).filter((r) => r.requester === r26);
    assert.deepEqual(normal(rows), normal(rest.filter((r: any) => r.requester === r26)));
    const max = s.audit.find((a) => a.servedAt === 2n ** 64n - 1n)!;
    const stored = rest.filter((r: any) => r.validator === lower(max.validator) && r.batchId === String(max.batchId));
    assert.deepEqual(stored.map((r: any) => r.servedAt), ["18446744073709551615"]);
  });

  test("filters: cid (text or id), requester, validator, from/to on the recording block's time", async () => {
    const byCid = (await get(url, `/audit?cid=${s.contents.all.cid}`)).body.records;
    assert.equal(byCid.length, s.audit.filter((a) => a.contentId === s.contents.all.contentId).length);
    assert.ok(byCid.every((r: any) => r.cid === s.contents.all.cid.toString()));
    assert.deepEqual((await get(url, `/audit?cid=${s.contents.all.contentId}`)).body.records, byCid);
    const r25 = s.readers[0]!;
    const byRequester = (await get(url, `/audit?requester=${r25}`)).body.records;
    assert.equal(byRequester.length, s.audit.filter((a) => a.requester === r25).length);
    const v3 = s.validators[2]!;
    const byValidator = (await get(url, `/audit?validator=${v3}&requester=${s.readers[1]}`)).body.records;
    assert.deepEqual(
      byValidator.map((r: any) => r.contentId),
      s.audit.filter((a) => a.validator === v3 && a.requester === s.readers[1]).map((a) => a.contentId).reverse(),
    );
    assert.ok(byValidator.length >= 2);
    const all = (await get(url, "/audit")).body.records;
    const t = all[all.length - 1].blockTimestamp; // the first batch's block time
    const first = (await get(url, `/audit?from=${t}&to=${t}`)).body.records;
    assert.deepEqual(first, all.filter((r: any) => r.blockTimestamp === t));
    assert.deepEqual((await get(url, `/audit?from=${Number(t) + 1}`)).body.records, all.filter((r: any) => r.blockTimestamp > t));
  });
});

async function graphql(query: string): Promise<any> {
  const response = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query }),
  });
  const body = (await response.json()) as { data?: unknown; errors?: unknown };
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  return body.data;
}



describe("refusals: 400 for bad parameters, 404 for unknown ids, capped limits", () => {
  const unknownCid = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku";
  const cases: [string, number, string][] = [
    ["/holders/not-a-cid", 400, "invalid_cid"],
    ["/holders/0x1234", 400, "invalid_cid"],
    [`/holders/b${"a".repeat(300)}`, 400, "invalid_cid"],
    [`/holders/${unknownCid}`, 404, "content_not_found"],
    [`/holders/0x${"00".repeat(32)}`, 404, "content_not_found"],
    [`/holders/${unknownCid}?verbose=1`, 400, "unknown_parameter"],
    ["/validators/active?status=jailed", 400, "unknown_parameter"],
    ["/policies/abc", 400, "invalid_policy_id"],
    ["/policies/-1", 400, "invalid_policy_id"],
    ["/policies/1.5", 400, "invalid_policy_id"],
    ["/policies/18446744073709551616", 400, "invalid_policy_id"],
    ["/policies/18446744073709551615", 404, "policy_not_found"],
    ["/policies/0", 404, "policy_not_found"],
    [`/access/${unknownCid}/0x${"11".repeat(20)}`, 404, "content_not_found"],
    [`/access/not-a-cid/0x${"11".repeat(20)}`, 400, "invalid_cid"],
    ["/audit?limit=0", 400, "invalid_limit"],
    ["/audit?limit=-3", 400, "invalid_limit"],
    ["/audit?limit=ten", 400, "invalid_limit"],
    ["/audit?cursor=garbage!", 400, "invalid_cursor"],
    [`/audit?cursor=${Buffer.from("a2.5.1").toString("base64url")}`, 400, "invalid_cursor"],
    [`/audit?cursor=${"A".repeat(100)}`, 400, "invalid_cursor"],
    ["/audit?requester=0x12", 400, "invalid_address"],
    ["/audit?validator=alice", 400, "invalid_address"],
    ["/audit?cid=xyz", 400, "invalid_cid"],
    ["/audit?from=yesterday", 400, "invalid_time"],
    ["/audit?to=1e9", 400, "invalid_time"],
    ["/audit?from=20&to=10", 400, "invalid_range"],
    ["/audit?page=2", 400, "unknown_parameter"],
  ];
  for (const [path, status, code] of cases) {
    test(`GET ${path.length > 70 ? `${path.slice(0, 70)}…` : path} → ${status} ${code}`, async () => {
      const response = await get(url, path);
      assert.equal(response.status, status, JSON.stringify(response.body));
      assert.equal(response.body.error.code, code);
      assert.equal(typeof response.body.error.message, "string");
      assert.ok(response.body.block.number > 0, "refusals carry the indexed head too");
    });
  }

  test("addresses: a wrong EIP-55 checksum is refused, any all-lower/upper form accepted", async () => {
    const reader = s.readers[0]!;
    const checksummed = reader.slice(0, 2) + [...reader.slice(2)].map((ch, i) => (i % 2 ? ch.toUpperCase() : ch)).join("");
    const bad = await get(url, `/access/${s.contents.all.cid}/${checksummed}`);
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, "invalid_address");
    const upper = await get(url, `/access/${s.contents.all.cid}/0x${reader.slice(2).toUpperCase()}`);
    assert.equal(upper.status, 200);
    assert.equal(upper.body.account, reader);
    for (const at of ["abc", "-5", "18446744073709551616"]) {
      const r = await get(url, `/access/${s.contents.all.cid}/${reader}?at=${at}`);
      assert.equal(r.status, 400);
      assert.equal(r.body.error.code, "invalid_time");
    }
  });

  test("limits above 500 are capped, not refused", async () => {
    for (const limit of ["501", "100000", "9".repeat(40)]) {
      const r = await get(url, `/audit?limit=${limit}`);
      assert.equal(r.status, 200);
      assert.equal(r.body.limit, 500);
    }
    assert.equal((await get(url, "/audit")).body.limit, 50);
  });
});
