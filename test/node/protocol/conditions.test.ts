/**
 * The condition grammar and encoding (node/protocol/conditions.ts): printing then parsing any
 * valid tree gives it back, the chain's node list decodes to the same tree, the examples of
 * docs/conditions.md parse as documented, and bad text fails with a typed code and position.
 * The contract's own checks are in test/contracts/PolicyConditions.test.ts.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import path from "node:path";
import { getAddress, keccak256, toBytes, type Address, type Hex } from "viem";
import { REPO_ROOT } from "../../../node/devnet/paths.js";
import { codeBlocks } from "../helpers/docs.js";
import {
  COMPARATORS,
  ConditionError,
  decodeConditions,
  encodeConditions,
  evaluateWithoutChain,
  formatCondition,
  parseCondition,
  type Condition,
} from "../../../node/protocol/conditions.js";

const TOKEN = getAddress("0x5fbdb2315678afecb367f032d93f642f64180aa3");
const UINT256 = (1n << 256n) - 1n;

const address = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => getAddress(`0x${Buffer.from(b).toString("hex")}`) as Address);
const comparator = fc.constantFrom(...COMPARATORS);
const uint = fc.bigInt({ min: 0n, max: UINT256 });
const leaf: fc.Arbitrary<Condition> = fc.oneof(
  fc.record({ kind: fc.constant("erc20" as const), token: address, comparator, value: uint }),
  fc.record({ kind: fc.constant("erc721" as const), token: address, id: fc.oneof(fc.constant("any" as const), uint) }),
  fc.record({ kind: fc.constant("erc1155" as const), token: address, id: uint, comparator, value: uint }),
  fc.record({ kind: fc.constant("native" as const), comparator, value: uint }),
  fc.record({ kind: fc.constant("time" as const), comparator, value: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }) }),
  fc
    .record({
      target: address,
      selector: fc.uint8Array({ minLength: 4, maxLength: 4 }).map((b) => `0x${Buffer.from(b).toString("hex")}` as Hex),
      args: fc.array(fc.oneof(fc.constant("reader" as const), uint), { maxLength: 8 }),
      returns: fc.constantFrom("uint256" as const, "bool" as const, "address" as const),
      comparator,
      value: uint,
    })
    .map(({ returns, comparator: c, value, ...rest }) => ({
      kind: "call" as const,
      ...rest,
      returns,
      // bool and address compare with == or != only, within their range.
      comparator: returns === "uint256" ? c : c === "!=" ? ("!=" as const) : ("==" as const),
      value: returns === "bool" ? value & 1n : returns === "address" ? value >> 96n : value,
    })),
);
const combine = (operand: fc.Arbitrary<Condition>): fc.Arbitrary<Condition> =>
  fc.oneof(
    fc.record({ kind: fc.constantFrom("and" as const, "or" as const), operands: fc.array(operand, { minLength: 2, maxLength: 5 }) }),
    operand.map((o) => ({ kind: "not" as const, operand: o })),
  );
/** Any tree the limits allow: a leaf, or combinators at most two deep. */
export const arbitraryCondition: fc.Arbitrary<Condition> = fc.oneof(leaf, combine(leaf), combine(fc.oneof(leaf, combine(leaf))));

describe("condition grammar", () => {
  it("printing then parsing any tree gives it back, and so does its chain encoding", () => {
    fc.assert(
      fc.property(arbitraryCondition, (condition) => {
        const text = formatCondition(condition);
        assert.deepEqual(parseCondition(text), structuredClone(condition), text);
        assert.deepEqual(decodeConditions(encodeConditions(condition)), structuredClone(condition));
        assert.equal(formatCondition(parseCondition(text)), text);
      }),
      { numRuns: 500 },
    );
  });

  it("parses the documented examples", () => {
    const selector = (sig: string) => keccak256(toBytes(sig)).slice(0, 10);
    assert.deepEqual(parseCondition(`erc20:${TOKEN}>=100`), { kind: "erc20", token: TOKEN, comparator: ">=", value: 100n });
    assert.deepEqual(parseCondition(`erc721:${TOKEN.toLowerCase()}:any`), { kind: "erc721", token: TOKEN, id: "any" });
    assert.deepEqual(parseCondition(`erc721:${TOKEN}:#7`), { kind: "erc721", token: TOKEN, id: 7n });
    assert.deepEqual(parseCondition(`erc1155:${TOKEN}:3>=2`), { kind: "erc1155", token: TOKEN, id: 3n, comparator: ">=", value: 2n });
    assert.deepEqual(parseCondition("native>=1e18"), { kind: "native", comparator: ">=", value: 10n ** 18n });
    assert.deepEqual(parseCondition("native > 1.5e18"), { kind: "native", comparator: ">", value: 15n * 10n ** 17n });
    assert.deepEqual(parseCondition("time<=1800000000"), { kind: "time", comparator: "<=", value: 1_800_000_000n });
    assert.deepEqual(parseCondition(`call:${TOKEN}:balanceOf(:reader)->uint256>=5`), {
      kind: "call",
      target: TOKEN,
      selector: selector("balanceOf(address)"),
      args: ["reader"],
      returns: "uint256",
      comparator: ">=",
      value: 5n,
    });
    assert.deepEqual(parseCondition(`call:${TOKEN}:hasRole(7, :reader, true)->bool==true`), {
      kind: "call",
      target: TOKEN,
      selector: selector("hasRole(uint256,address,bool)"),
      args: [7n, "reader", 1n],
      returns: "bool",
      comparator: "==",
      value: 1n,
    });
    assert.deepEqual(parseCondition(`call:${TOKEN}:0x6352211e(7)->address!=${TOKEN}`).kind, "call");
    const tree = parseCondition(`and(or(erc20:${TOKEN}>=100, erc721:${TOKEN}:any), not(time<1700000000))`);
    assert.equal(formatCondition(tree), `and(or(erc20:${TOKEN}>=100, erc721:${TOKEN}:any), not(time<1700000000))`);
    assert.equal(encodeConditions(tree).length, 6);
  });

  it("parses the examples of docs/conditions.md as written", () => {
    const [block] = codeBlocks(path.join(REPO_ROOT, "docs/conditions.md"), "Grammar", "");
    const examples = block!.split(/\n\s*\n/).map((example) => example.split("\n").filter((line) => !line.startsWith("#")).join("\n"));
    assert.equal(examples.length, 3);
    // Each is an and(…) of two operands; a typo anywhere in it would throw.
    for (const example of examples) assert.deepEqual(encodeConditions(parseCondition(example)).slice(0, 1).map((n) => [n.kind, n.operands]), [[0, 2]], example);
  });

  it("refuses bad text with a code and the position of the fault", () => {
    const fails = (text: string, code: string, position: number) => {
      assert.throws(
        () => parseCondition(text),
        (e: unknown) => e instanceof ConditionError && e.code === code && e.details.position === position,
        `${text} → ${code} at ${position}`,
      );
    };
    fails("erc20:0x12>=1", "CONDITION_SYNTAX", 6);
    fails(`erc20:${TOKEN}=>1`, "CONDITION_SYNTAX", 48);
    fails(`erc20:${TOKEN}>=1 trailing`, "CONDITION_SYNTAX", 52);
    fails(`erc20:${TOKEN.replace("F", "f")}>=1`, "CONDITION_SYNTAX", 6); // bad checksum
    fails("native>=1e300", "CONDITION_VALUE_OUT_OF_RANGE", 8);
    fails(`native>=${UINT256 + 1n}`, "CONDITION_VALUE_OUT_OF_RANGE", 8);
    fails("native>=1.5", "CONDITION_VALUE_OUT_OF_RANGE", 8);
    fails(`time>=${1n << 64n}`, "CONDITION_VALUE_OUT_OF_RANGE", 6);
    fails("and(time>1)", "CONDITION_SYNTAX", 0);
    fails("not(time>1, time>2)", "CONDITION_SYNTAX", 0);
    fails("and(or(not(time>1), time>1), time>1)", "CONDITION_TOO_DEEP", 7);
    fails("or(time>1,time>1,time>1,time>1,time>1,time>1)", "CONDITION_TOO_WIDE", 38);
    fails(`call:${TOKEN}:f(1,2,3,4,5,6,7,8,9)->uint256>1`, "CONDITION_TOO_WIDE", 66);
    fails(`call:${TOKEN}:f()->bool>=true`, "CONDITION_SYNTAX", 57);
    fails(`call:${TOKEN}:f()`, "CONDITION_SYNTAX", 51);
    fails("balance>=1", "CONDITION_SYNTAX", 0);
  });

  it("decides time-only trees without the chain, and stops where the chain would be read", () => {
    const rich = `erc20:${TOKEN}>=1`;
    const decide = (text: string, now: bigint) => evaluateWithoutChain(parseCondition(text), now);
    assert.deepEqual(decide("and(time>=10, time<=20)", 15n), { outcome: true, decisive: 0 });
    assert.deepEqual(decide("and(time>=10, time<=20)", 21n), { outcome: false, decisive: 2 });
    assert.deepEqual(decide("or(time<10, time>20)", 15n), { outcome: false, decisive: 0 });
    assert.deepEqual(decide("not(time>20)", 21n), { outcome: false, decisive: 0 });
    // The contract stops at the first false operand of an and: the balance is never read.
    assert.deepEqual(decide(`and(time<10, ${rich})`, 15n), { outcome: false, decisive: 1 });
    assert.deepEqual(decide(`and(time>10, ${rich})`, 15n), { outcome: "chain", decisive: 2 });
    assert.deepEqual(decide(`or(${rich}, time>10)`, 15n), { outcome: "chain", decisive: 1 });
    // Skipped subtrees still count toward the decisive node's index.
    assert.deepEqual(decide(`or(time>10, and(${rich}, ${rich}))`, 15n).outcome, true);
    assert.deepEqual(decide(`and(or(time>10, ${rich}, ${rich}), time>20)`, 15n), { outcome: false, decisive: 5 });
  });
});
