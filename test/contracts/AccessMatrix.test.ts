import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import {
  AccessReason,
  MemoryAttributeState,
  evaluateAccess,
  type PolicyState,
  type Requirement,
} from "./helpers/accessModel";
import {
  createPolicy,
  deployAccessControl,
  policyInput,
  randomAddresses,
  sortRequirements,
} from "./helpers/accessControlFixture";

/**
 * The access decision over every combination of attribute rule × grant state × allowlist ×
 * window × revocation, plus the publisher, checked against the reference model in
 * helpers/accessModel.ts. All state is written once in the fixture; each case is a view call.
 */

const TOP = 0;
const SECRET = 1;
const CONFIDENTIAL = 2;
const APOLLO = 0;
const GEMINI = 1;
const EU = 0;
const US = 1;
const APAC = 2;

type Namespaces = { clearance: string; project: string; region: string };
type Pick = (ns: Namespaces) => Requirement[];
const req = (key: keyof Namespaces, value: number) => (ns: Namespaces) => ({ namespace: ns[key], value });

/** Requirement sets; each gets one policy per allowlist × window × revocation combination. */
const REQUIREMENT_SETS = {
  allOf: (ns) => [req("project", APOLLO)(ns), req("project", GEMINI)(ns)],
  anyOf: (ns) => [req("region", EU)(ns), req("region", US)(ns)],
  hierarchy: (ns) => [req("clearance", SECRET)(ns)],
  mixed: (ns) => [req("clearance", SECRET)(ns), req("project", APOLLO)(ns)],
} satisfies Record<string, Pick>;
type RequirementSet = keyof typeof REQUIREMENT_SETS;

/** What a reader holds, and whether that satisfies the set while the grants are live. */
const RULE_CASES: { name: string; set: RequirementSet; held: Pick; satisfied: boolean }[] = [
  {
    name: "AllOf holding every value",
    set: "allOf",
    held: (ns) => [req("project", APOLLO)(ns), req("project", GEMINI)(ns)],
    satisfied: true,
  },
  { name: "AllOf holding one of two", set: "allOf", held: (ns) => [req("project", GEMINI)(ns)], satisfied: false },
  { name: "AnyOf holding one", set: "anyOf", held: (ns) => [req("region", US)(ns)], satisfied: true },
  { name: "AnyOf holding another value", set: "anyOf", held: (ns) => [req("region", APAC)(ns)], satisfied: false },
  { name: "Hierarchy higher rank", set: "hierarchy", held: (ns) => [req("clearance", TOP)(ns)], satisfied: true },
  { name: "Hierarchy equal rank", set: "hierarchy", held: (ns) => [req("clearance", SECRET)(ns)], satisfied: true },
  {
    name: "Hierarchy lower rank",
    set: "hierarchy",
    held: (ns) => [req("clearance", CONFIDENTIAL)(ns)],
    satisfied: false,
  },
  {
    name: "two namespaces",
    set: "mixed",
    held: (ns) => [req("clearance", TOP)(ns), req("project", APOLLO)(ns)],
    satisfied: true,
  },
];

/** Applies to every grant the reader holds. */
const GRANT_STATES = ["present", "presentUntilLater", "absent", "expired", "revoked"] as const;
type GrantState = (typeof GRANT_STATES)[number];
const ALLOWLISTS = ["none", "on", "off"] as const;
const WINDOWS = ["open", "openBounded", "notYet", "closed"] as const;
const REVOKED = [false, true] as const;

/** Setup happens before T0 + LAPSE; the decisions are taken at T0 + 2 × LAPSE. */
const LAPSE = 1_000;
const FAR = 1_000_000;

describe("AccessMatrix", () => {
  async function fixture() {
    const sys = await deployAccessControl();
    const { attributes, policies, authority, publisher } = sys;
    const ns: Namespaces = { clearance: sys.clearance, project: sys.project, region: sys.region };
    const model = new MemoryAttributeState();
    for (const [id, rule] of [
      [ns.clearance, 2],
      [ns.project, 0],
      [ns.region, 1],
    ] as const) {
      model.createNamespace(id, rule);
    }
    const t0 = BigInt(await time.latest());
    const expiryOf: Record<GrantState, bigint> = {
      present: 0n,
      presentUntilLater: t0 + BigInt(FAR),
      absent: 0n,
      expired: t0 + BigInt(LAPSE),
      revoked: 0n,
    };

    // One reader per (rule case, grant state): grants per namespace in one batch, then revocations.
    const readerAddresses = randomAddresses(RULE_CASES.length * GRANT_STATES.length);
    const readers = new Map<string, string>();
    const batches = new Map<string, { account: string; value: number; expiresAt: bigint }[]>();
    const revocations: { account: string; grant: Requirement }[] = [];
    RULE_CASES.forEach((ruleCase, i) =>
      GRANT_STATES.forEach((state, j) => {
        const account = readerAddresses[i * GRANT_STATES.length + j];
        readers.set(`${i}/${state}`, account);
        if (state === "absent") return;
        for (const grant of ruleCase.held(ns)) {
          const batch = batches.get(grant.namespace) ?? [];
          batch.push({ account, value: grant.value, expiresAt: expiryOf[state] });
          batches.set(grant.namespace, batch);
          model.grant(grant.namespace, account, grant.value, expiryOf[state]);
          if (state === "revoked") revocations.push({ account, grant });
        }
      }),
    );
    for (const [namespace, grants] of batches) await attributes.connect(authority).grantMany(namespace, grants);
    for (const { account, grant } of revocations) {
      await attributes.connect(authority).revokeGrant(grant.namespace, account, grant.value);
      model.revoke(grant.namespace, account, grant.value);
    }

    // One policy per (requirement set, allowlist, window, revocation).
    const windowOf = {
      open: [0n, 0n],
      openBounded: [t0, t0 + BigInt(FAR)],
      notYet: [t0 + BigInt(FAR), 0n],
      closed: [0n, t0 + BigInt(LAPSE)],
    } as const;
    const policyIds = new Map<string, bigint>();
    const policyStates = new Map<bigint, PolicyState>();
    for (const set of Object.keys(REQUIREMENT_SETS) as RequirementSet[]) {
      const setReaders = RULE_CASES.flatMap((c, i) =>
        c.set === set ? GRANT_STATES.map((s) => readers.get(`${i}/${s}`)!) : [],
      );
      const allowlistOf = { none: [], on: setReaders, off: randomAddresses(1) };
      for (const allowlist of ALLOWLISTS) {
        for (const window of WINDOWS) {
          for (const revoked of REVOKED) {
            const input = policyInput({
              requirements: sortRequirements(REQUIREMENT_SETS[set](ns)),
              allowlist: allowlistOf[allowlist],
              notBefore: windowOf[window][0],
              notAfter: windowOf[window][1],
            });
            const id = await createPolicy(policies, publisher, input);
            if (revoked) await policies.connect(publisher).revokePolicy(id);
            policyIds.set(`${set}/${allowlist}/${window}/${revoked}`, id);
            policyStates.set(id, { publisher: publisher.address, revoked, ...input });
          }
        }
      }
    }

    await time.increaseTo(t0 + BigInt(2 * LAPSE));
    return { policies, publisher, readers, policyIds, policyStates, model, now: BigInt(await time.latest()) };
  }

  const seen = new Set<AccessReason>();

  RULE_CASES.forEach((ruleCase, caseIndex) => {
    GRANT_STATES.forEach((state) => {
      it(`canAccess_matrix: ${ruleCase.name}, grant ${state}`, async () => {
        const { policies, readers, policyIds, policyStates, model, now } = await loadFixture(fixture);
        const reader = readers.get(`${caseIndex}/${state}`)!;
        const live = state === "present" || state === "presentUntilLater";
        const rows = ALLOWLISTS.flatMap((allowlist) =>
          WINDOWS.flatMap((window) => REVOKED.map((revoked) => ({ allowlist, window, revoked }))),
        );
        const results = await Promise.all(
          rows.map(({ allowlist, window, revoked }) =>
            policies.canAccess(policyIds.get(`${ruleCase.set}/${allowlist}/${window}/${revoked}`)!, reader),
          ),
        );
        rows.forEach(({ allowlist, window, revoked }, i) => {
          const id = policyIds.get(`${ruleCase.set}/${allowlist}/${window}/${revoked}`)!;
          const expected = evaluateAccess(policyStates.get(id), reader, now, model);
          const label = `allowlist ${allowlist}, window ${window}, revoked ${revoked}`;
          expect([results[i][0], Number(results[i][1])], label).to.deep.equal([expected.allowed, expected.reason]);
          seen.add(expected.reason);
          // The model itself must agree with the case table where nothing else refuses.
          if (!revoked && allowlist !== "off" && window.startsWith("open")) {
            const granted = live && ruleCase.satisfied;
            expect(expected.reason, label).to.equal(granted ? AccessReason.Granted : AccessReason.MissingAttribute);
          }
        });
      });
    });
  });

  it("canAccess_matrix: publisher is always allowed", async () => {
    const { policies, publisher, policyIds, policyStates, model, now } = await loadFixture(fixture);
    const ids = [...policyIds.values()];
    const results = await Promise.all(ids.map((id) => policies.canAccess(id, publisher.address)));
    ids.forEach((id, i) => {
      expect(evaluateAccess(policyStates.get(id), publisher.address, now, model).reason).to.equal(
        AccessReason.Publisher,
      );
      expect([results[i][0], Number(results[i][1])], `policy ${id}`).to.deep.equal([true, AccessReason.Publisher]);
    });
    seen.add(AccessReason.Publisher);
  });

  it("canAccess_matrix: unknown policy is not found", async () => {
    const { policies, publisher, readers, policyIds, model, now } = await loadFixture(fixture);
    const unknown = BigInt(policyIds.size) + 1n;
    for (const account of [publisher.address, readers.get("0/present")!]) {
      expect(evaluateAccess(undefined, account, now, model)).to.deep.equal({
        allowed: false,
        reason: AccessReason.PolicyNotFound,
      });
      const [allowed, reason] = await policies.canAccess(unknown, account);
      expect([allowed, Number(reason)]).to.deep.equal([false, AccessReason.PolicyNotFound]);
    }
    seen.add(AccessReason.PolicyNotFound);
  });

  it("canAccess_matrix: covers every access reason", () => {
    const all = Object.values(AccessReason).filter((v): v is AccessReason => typeof v === "number");
    expect([...seen].sort()).to.deep.equal(all.sort());
  });
});
