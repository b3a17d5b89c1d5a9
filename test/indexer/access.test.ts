// Differential test: GET /access (evaluated by the indexer over its tables) against an
// eth_call of ContentRegistry.canAccessContent at the block the API says it answered for,
// after every step of a random history of grants, revocations, expiries, policy creations,
// updates, revocations and time jumps. Seeded: DEKMESH_TEST_SEED=<n> replays a run.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Address, Hex } from "viem";
import { startStack, type Stack } from "../../node/devnet/index.js";
import { get, synced } from "./helpers/api.js";
import { Driver, type PolicyInput } from "./helpers/driver.js";

const SEED = Number(process.env.DEKMESH_TEST_SEED ?? 20_260_101);
const STEPS = Number(process.env.DEKMESH_ACCESS_STEPS ?? 30);

/** mulberry32: small, fast, good enough to pick test actions reproducibly. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    int: (n: number) => Math.floor(next() * n),
    chance: (p: number) => next() < p,
    pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!,
    subset: <T>(xs: readonly T[], p = 0.4) => xs.filter(() => next() < p),
  };
}

let stack: Stack;
let d: Driver;

before(async () => {
  stack = await startStack({ chain: { blockIntervalMs: 1000 } });
  d = await Driver.connect(stack);
});

after(async () => {
  await stack?.stop();
});

test(`/access equals canAccessContent after every step (seed ${SEED}, ${STEPS} steps)`, async () => {
  const rnd = prng(SEED);
  const authority = d.account(20);
  const publisher = d.account(21);
  const readers = [25, 26, 27, 28, 29].map((i) => d.account(i));
  const validator = d.account(1);
  await d.activeValidator(validator, d.account(11));
  const namespaces: { id: Hex; values: number }[] = [
    { id: await d.createNamespace(authority, "team", "allOf", ["red", "blue", "green"]), values: 3 },
    { id: await d.createNamespace(authority, "region", "anyOf", ["eu", "us", "apac"]), values: 3 },
    { id: await d.createNamespace(authority, "level", "hierarchy", ["l0", "l1", "l2", "l3"]), values: 4 },
  ];
  const now = async () => (await d.public.getBlock({ blockTag: "latest" })).timestamp;

  const randomTerms = async (): Promise<PolicyInput> => {
    const t = await now();
    const requirements = namespaces.flatMap((ns) =>
      rnd.subset([...Array(ns.values).keys()], 0.25).map((value) => ({ namespace: ns.id, value })),
    );
    let notBefore = rnd.chance(0.3) ? t + BigInt(rnd.int(60)) - 20n : 0n;
    let notAfter = rnd.chance(0.3) ? t + BigInt(rnd.int(90)) + 1n : 0n;
    if (notBefore < 0n) notBefore = 0n;
    if (notBefore !== 0n && notAfter !== 0n && notBefore >= notAfter) notAfter = notBefore + 1n;
    return { mode: "all", requirements, allowlist: rnd.chance(0.3) ? rnd.subset(readers, 0.5) : [], notBefore, notAfter };
  };

  const contents: { contentId: Hex; cid: string; policyId: bigint }[] = [];
  const policies: { id: bigint; revoked: boolean }[] = [];
  const createPolicy = async (input?: PolicyInput) => {
    const id = await d.createPolicy(publisher, input ?? (await randomTerms()));
    policies.push({ id, revoked: false });
    const c = await d.registerContent(publisher, id, validator);
    contents.push({ contentId: c.contentId, cid: c.cid.toString(), policyId: id });
  };
  const live = new Map<string, { ns: Hex; account: Address; value: number }>();

  // A start that reaches every reason; the random steps then mix them up.
  const t0 = await now();
  await createPolicy({ mode: "all", requirements: [{ namespace: namespaces[2]!.id, value: 2 }] });
  await createPolicy({ mode: "all", allowlist: [readers[0]!] });
  await createPolicy({ mode: "all", notBefore: t0 + 100_000n });
  await createPolicy({ mode: "all", notAfter: t0 + 5n });
  await createPolicy({ mode: "all" });
  await d.send(publisher, "PolicyRegistry", "revokePolicy", [policies[4]!.id]);
  policies[4]!.revoked = true;
  await d.grant(authority, namespaces[2]!.id, readers[1]!, 1);
  live.set(`2/${readers[1]}/1`, { ns: namespaces[2]!.id, account: readers[1]!, value: 1 });

  const seen = new Map<string, number>();
  const compare = async (step: string) => {
    await synced(d);
    // Every content, for the publisher and three of the readers (a different three each step).
    const accounts = [publisher, ...[...readers].sort(() => rnd.int(3) - 1).slice(0, 3)];
    const pairs = contents.flatMap((c) => accounts.map((account) => ({ c, account })));
    await Promise.all(
      pairs.map(async ({ c, account }) => {
        const { status, body } = await get(stack.indexer!.url, `/access/${rnd.chance(0.5) ? c.cid : c.contentId}/${account}`);
        assert.equal(status, 200, JSON.stringify(body));
        const [allowed, reason] = await d.read<[boolean, number]>(
          "ContentRegistry",
          "canAccessContent",
          [c.contentId, account],
          BigInt(body.block.number),
        );
        assert.deepEqual(
          [body.allowed, body.reasonCode],
          [allowed, reason],
          `after ${step}: policy ${c.policyId}, ${account} at block ${body.block.number} (seed ${SEED})`,
        );
        seen.set(body.reason, (seen.get(body.reason) ?? 0) + 1);
      }),
    );
  };

  await compare("setup");
  for (let step = 0; step < STEPS; step++) {
    const action = rnd.pick(["grant", "grant", "revoke", "create", "update", "revokePolicy", "time", "time"] as const);
    let description: string = action;
    if (action === "grant") {
      const ns = rnd.int(namespaces.length);
      const account = rnd.pick(readers);
      const value = rnd.int(namespaces[ns]!.values);
      const expiresAt = rnd.chance(0.5) ? 0n : (await now()) + BigInt(2 + rnd.int(60));
      await d.grant(authority, namespaces[ns]!.id, account, value, expiresAt);
      live.set(`${ns}/${account}/${value}`, { ns: namespaces[ns]!.id, account, value });
      description = `grant ${ns}/${value} to ${account} until ${expiresAt}`;
    } else if (action === "revoke" && live.size > 0) {
      const [key, g] = rnd.pick([...live.entries()]);
      live.delete(key);
      // Expired grants cannot be revoked; the chain refuses, the state stays the same.
      await d.revokeGrant(authority, g.ns, g.account, g.value).catch(() => undefined);
      description = `revoke ${key}`;
    } else if (action === "create" && contents.length < 10) {
      await createPolicy();
    } else if (action === "update" || action === "revokePolicy") {
      const open = policies.filter((p) => !p.revoked);
      if (open.length > 0) {
        const p = rnd.pick(open);
        if (action === "update") {
          await d.updatePolicy(publisher, p.id, await randomTerms());
        } else {
          await d.send(publisher, "PolicyRegistry", "revokePolicy", [p.id]);
          p.revoked = true;
        }
        description = `${action} ${p.id}`;
      }
    } else {
      const seconds = 1 + rnd.int(40);
      await d.increaseTime(seconds);
      description = `time +${seconds}s`;
    }
    await compare(`step ${step}: ${description}`);
  }
  for (const reason of ["Granted", "Publisher", "PolicyRevoked", "NotYetValid", "Expired", "NotOnAllowlist", "MissingAttribute"]) {
    assert.ok(seen.has(reason), `the run compared at least one ${reason} decision: ${JSON.stringify([...seen])}`);
  }
});
