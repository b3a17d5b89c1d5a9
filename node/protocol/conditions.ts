/**
 * Policy conditions (docs/conditions.md): the tree as code handles it, its text grammar, and
 * its on-chain form — IPolicyRegistry.Condition nodes in prefix order. One home for the
 * grammar, the limits and the encoding, shared by the SDK and CLI (which write conditions),
 * the indexer (which reads them from events and decides what it can) and the tests.
 *
 * Grammar (whitespace between tokens is ignored):
 *
 *   condition  = ("and" | "or") "(" condition ("," condition)+ ")" | "not(" condition ")" | leaf
 *   leaf       = "erc20:" ADDRESS CMP AMOUNT
 *              | "erc721:" ADDRESS ":" ("any" | "#" UINT)
 *              | "erc1155:" ADDRESS ":" UINT CMP AMOUNT
 *              | "native" CMP AMOUNT
 *              | "time" CMP UINT                              (unix seconds, block time)
 *              | "call:" ADDRESS ":" (NAME | SELECTOR) "(" [arg ("," arg)*] ")" "->" returned
 *   arg        = ":reader" | ADDRESS | UINT | "true" | "false"   (each one 32-byte word)
 *   returned   = "uint256" CMP AMOUNT | "bool" ("==" | "!=") ("true" | "false")
 *              | "address" ("==" | "!=") ADDRESS
 *   CMP        = "==" | "!=" | ">=" | "<=" | ">" | "<"
 *   AMOUNT     = digits ["." digits] ["e" digits] (a whole number below 2^256) | 0x-hex
 *
 * A NAME is hashed with the argument types its arguments imply (`:reader` and addresses are
 * `address`, numbers `uint256`, true/false `bool`) into the selector; the chain keeps only the
 * selector, so `formatCondition` prints the selector form. Printing then parsing gives the same
 * tree back (test/node/protocol/conditions.test.ts checks it on random trees).
 */
import { keccak_256 } from "@noble/hashes/sha3.js";
import type { Address, Hex } from "viem";
import { checksumAddress, hasBadChecksum, isAddress } from "./ids.js";
import { DekmeshError } from "./errors.js";

/** IPolicyRegistry limits (PolicyRegistry.MAX_CONDITION_*), checked here before a transaction is sent. */
export const MAX_CONDITION_OPERANDS = 5;
export const MAX_CONDITION_DEPTH = 2;
export const MAX_CALL_ARGS = 8;

/** IPolicyRegistry.ConditionKind, by numeric value. */
export const CONDITION_KINDS = ["and", "or", "not", "erc20", "erc721", "erc721any", "erc1155", "native", "time", "call"] as const;
/** IPolicyRegistry.Comparator, by numeric value, as the grammar writes them. */
export const COMPARATORS = ["==", "!=", ">", ">=", "<", "<="] as const;
/** IPolicyRegistry.ReturnKind, by numeric value. */
export const RETURN_KINDS = ["uint256", "bool", "address"] as const;

export type Comparator = (typeof COMPARATORS)[number];
export type ReturnKind = (typeof RETURN_KINDS)[number];
/** A call argument word: the reader, or a constant. */
export type CallArg = "reader" | bigint;

export type Condition =
  | { kind: "and" | "or"; operands: Condition[] }
  | { kind: "not"; operand: Condition }
  | { kind: "erc20"; token: Address; comparator: Comparator; value: bigint }
  | { kind: "erc721"; token: Address; id: bigint | "any" }
  | { kind: "erc1155"; token: Address; id: bigint; comparator: Comparator; value: bigint }
  | { kind: "native"; comparator: Comparator; value: bigint }
  | { kind: "time"; comparator: Comparator; value: bigint }
  | { kind: "call"; target: Address; selector: Hex; args: CallArg[]; returns: ReturnKind; comparator: Comparator; value: bigint };

/** IPolicyRegistry.Condition as viem encodes and decodes it. */
export interface ConditionNode {
  kind: number;
  operands: number;
  comparator: number;
  returnKind: number;
  target: Address;
  readerArgs: number;
  id: bigint;
  value: bigint;
  data: Hex;
}

export type ConditionErrorCode =
  /** The text does not follow the grammar; `details.position` is the 0-based offset. */
  | "CONDITION_SYNTAX"
  /** A number does not fit (2^256 and up, a time past 2^64 − 1, a fraction of a unit). */
  | "CONDITION_VALUE_OUT_OF_RANGE"
  /** Combinators nested deeper than MAX_CONDITION_DEPTH. */
  | "CONDITION_TOO_DEEP"
  /** A combinator with more than MAX_CONDITION_OPERANDS operands, or a call with more than MAX_CALL_ARGS arguments. */
  | "CONDITION_TOO_WIDE"
  /** Nodes read from the chain that do not form a valid tree. */
  | "CONDITION_MALFORMED";

export class ConditionError extends DekmeshError<ConditionErrorCode> {
  override name = "ConditionError";
}

const UINT256_MAX = (1n << 256n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;
const UINT160_MAX = (1n << 160n) - 1n;
const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000" as Address;

// ---------------------------------------------------------------- parsing

class Parser {
  pos = 0;
  constructor(readonly text: string) {}

  fail(code: ConditionErrorCode, message: string, position = this.pos): never {
    throw new ConditionError(code, `${message} at position ${position}`, { details: { position } });
  }

  skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos]!)) this.pos++;
  }

  /** Consumes `literal` if it comes next. */
  accept(literal: string): boolean {
    this.skipSpace();
    if (!this.text.startsWith(literal, this.pos)) return false;
    this.pos += literal.length;
    return true;
  }

  expect(literal: string): void {
    if (!this.accept(literal)) this.fail("CONDITION_SYNTAX", `expected "${literal}"`);
  }

  /** The longest run of characters matching `pattern` (a character class), or a syntax error naming `what`. */
  word(pattern: RegExp, what: string): { text: string; start: number } {
    this.skipSpace();
    const start = this.pos;
    while (this.pos < this.text.length && pattern.test(this.text[this.pos]!)) this.pos++;
    if (this.pos === start) this.fail("CONDITION_SYNTAX", `expected ${what}`);
    return { text: this.text.slice(start, this.pos), start };
  }

  address(): Address {
    const { text, start } = this.word(/[0-9a-zA-Zx]/, "an address");
    if (!isAddress(text)) this.fail("CONDITION_SYNTAX", `"${text.slice(0, 50)}" is not an address`, start);
    // A mixed-case address must carry a valid checksum: a typo is refused, not silently accepted.
    if (hasBadChecksum(text as Address)) {
      this.fail("CONDITION_SYNTAX", `"${text}" has a bad checksum`, start);
    }
    return checksumAddress(text as Address);
  }

  comparator(only?: readonly Comparator[]): Comparator {
    this.skipSpace();
    const start = this.pos;
    // Two-character comparators first, so ">=" is not read as ">".
    const found = [">=", "<=", "==", "!=", ">", "<"].find((c) => this.text.startsWith(c, this.pos)) as Comparator | undefined;
    if (found === undefined || (only !== undefined && !only.includes(found))) {
      this.fail("CONDITION_SYNTAX", `expected ${only === undefined ? "a comparison (== != > >= < <=)" : only.join(" or ")}`, start);
    }
    this.pos += found.length;
    return found;
  }

  /** A whole number: decimal with optional fraction and exponent (1.5e18), or 0x-hex. */
  amount(max = UINT256_MAX): bigint {
    const { text, start } = this.word(/[0-9a-fA-FxX.eE_]/, "a number");
    let value: bigint;
    const hex = /^0x[0-9a-fA-F]{1,64}$/.exec(text);
    const decimal = /^(\d+)(?:\.(\d+))?(?:[eE](\d{1,3}))?$/.exec(text.replaceAll("_", ""));
    if (hex) value = BigInt(text);
    else if (decimal) {
      const [, whole, fraction = "", exponent = "0"] = decimal;
      const shift = Number(exponent) - fraction.length;
      const digits = BigInt(whole! + fraction);
      if (shift < 0) {
        const unit = 10n ** BigInt(-shift);
        if (digits % unit !== 0n) this.fail("CONDITION_VALUE_OUT_OF_RANGE", `${text} is not a whole number`, start);
        value = digits / unit;
      } else if (shift > 78) this.fail("CONDITION_VALUE_OUT_OF_RANGE", `${text} is past ${max}`, start);
      else value = digits * 10n ** BigInt(shift);
    } else this.fail("CONDITION_SYNTAX", `"${text.slice(0, 50)}" is not a number`, start);
    if (value > max) this.fail("CONDITION_VALUE_OUT_OF_RANGE", `${text} is past ${max}`, start);
    return value;
  }

  bool(): bigint {
    if (this.accept("true")) return 1n;
    if (this.accept("false")) return 0n;
    return this.fail("CONDITION_SYNTAX", "expected true or false");
  }

  condition(level: number): Condition {
    this.skipSpace();
    const start = this.pos;
    for (const kind of ["and", "or", "not"] as const) {
      if (!this.accept(`${kind}(`)) continue;
      if (level >= MAX_CONDITION_DEPTH) this.fail("CONDITION_TOO_DEEP", `combinators nest at most ${MAX_CONDITION_DEPTH} deep`, start);
      const operands = [this.condition(level + 1)];
      while (this.accept(",")) {
        if (operands.length === MAX_CONDITION_OPERANDS) this.fail("CONDITION_TOO_WIDE", `${kind} takes at most ${MAX_CONDITION_OPERANDS} operands`);
        operands.push(this.condition(level + 1));
      }
      this.expect(")");
      if (kind === "not") {
        if (operands.length !== 1) this.fail("CONDITION_SYNTAX", "not takes one operand", start);
        return { kind, operand: operands[0]! };
      }
      if (operands.length < 2) this.fail("CONDITION_SYNTAX", `${kind} takes at least 2 operands`, start);
      return { kind, operands };
    }
    return this.leaf();
  }

  leaf(): Condition {
    this.skipSpace();
    if (this.accept("erc20:")) {
      const token = this.address();
      return { kind: "erc20", token, comparator: this.comparator(), value: this.amount() };
    }
    if (this.accept("erc721:")) {
      const token = this.address();
      this.expect(":");
      if (this.accept("any")) return { kind: "erc721", token, id: "any" };
      this.expect("#");
      return { kind: "erc721", token, id: this.amount() };
    }
    if (this.accept("erc1155:")) {
      const token = this.address();
      this.expect(":");
      const id = this.amount();
      return { kind: "erc1155", token, id, comparator: this.comparator(), value: this.amount() };
    }
    if (this.accept("native")) return { kind: "native", comparator: this.comparator(), value: this.amount() };
    if (this.accept("time")) return { kind: "time", comparator: this.comparator(), value: this.amount(UINT64_MAX) };
    if (this.accept("call:")) return this.call();
    return this.fail("CONDITION_SYNTAX", "expected and(, or(, not(, erc20:, erc721:, erc1155:, native, time or call:");
  }

  call(): Condition {
    const target = this.address();
    this.expect(":");
    const { text: name, start } = this.word(/[0-9a-zA-Z_$]/, "a function name or selector");
    this.expect("(");
    const args: CallArg[] = [];
    const types: string[] = [];
    if (!this.accept(")")) {
      do {
        if (args.length === MAX_CALL_ARGS) this.fail("CONDITION_TOO_WIDE", `a call takes at most ${MAX_CALL_ARGS} arguments`);
        this.skipSpace();
        if (this.accept(":reader")) {
          args.push("reader");
          types.push("address");
        } else if (/^0x[0-9a-fA-F]{40}(?![0-9a-fA-F])/.test(this.text.slice(this.pos))) {
          args.push(BigInt(this.address()));
          types.push("address");
        } else if (this.text.startsWith("true", this.pos) || this.text.startsWith("false", this.pos)) {
          args.push(this.bool());
          types.push("bool");
        } else {
          args.push(this.amount());
          types.push("uint256");
        }
      } while (this.accept(","));
      this.expect(")");
    }
    let selector: Hex;
    if (/^0x[0-9a-fA-F]{8}$/.test(name)) selector = name.toLowerCase() as Hex;
    else if (/^[a-zA-Z_$][0-9a-zA-Z_$]*$/.test(name)) selector = `0x${Buffer.from(keccak_256(new TextEncoder().encode(`${name}(${types.join(",")})`)).subarray(0, 4)).toString("hex")}` as Hex;
    else return this.fail("CONDITION_SYNTAX", `"${name.slice(0, 50)}" is neither a function name nor a 4-byte selector`, start);
    this.expect("->");
    const returns = (["uint256", "bool", "address"] as const).find((r) => this.accept(r));
    if (returns === undefined) this.fail("CONDITION_SYNTAX", "expected the returned type: uint256, bool or address");
    if (returns === "uint256") return { kind: "call", target, selector, args, returns, comparator: this.comparator(), value: this.amount() };
    const comparator = this.comparator(["==", "!="]);
    const value = returns === "bool" ? this.bool() : BigInt(this.address());
    return { kind: "call", target, selector, args, returns, comparator, value };
  }
}

/** The condition `text` describes (grammar above). Throws ConditionError with a position. */
export function parseCondition(text: string): Condition {
  const parser = new Parser(text);
  const condition = parser.condition(0);
  parser.skipSpace();
  if (parser.pos !== text.length) parser.fail("CONDITION_SYNTAX", "unexpected text after the condition");
  return condition;
}

// ---------------------------------------------------------------- printing

/** A word as the grammar writes it: an address if it looks like one, else decimal. */
function formatWord(word: bigint): string {
  return word >= 1n << 64n && word <= UINT160_MAX ? checksumAddress(`0x${word.toString(16).padStart(40, "0")}`) : word.toString();
}

function formatAddressValue(word: bigint): string {
  return checksumAddress(`0x${word.toString(16).padStart(40, "0")}`);
}

/** `condition` in the grammar; `parseCondition` of it gives the same tree. */
export function formatCondition(condition: Condition): string {
  switch (condition.kind) {
    case "and":
    case "or":
      return `${condition.kind}(${condition.operands.map(formatCondition).join(", ")})`;
    case "not":
      return `not(${formatCondition(condition.operand)})`;
    case "erc20":
      return `erc20:${condition.token}${condition.comparator}${condition.value}`;
    case "erc721":
      return `erc721:${condition.token}:${condition.id === "any" ? "any" : `#${condition.id}`}`;
    case "erc1155":
      return `erc1155:${condition.token}:${condition.id}${condition.comparator}${condition.value}`;
    case "native":
    case "time":
      return `${condition.kind}${condition.comparator}${condition.value}`;
    case "call": {
      const args = condition.args.map((a) => (a === "reader" ? ":reader" : formatWord(a))).join(",");
      const value =
        condition.returns === "bool" ? String(condition.value === 1n) : condition.returns === "address" ? formatAddressValue(condition.value) : String(condition.value);
      return `call:${condition.target}:${condition.selector}(${args})->${condition.returns}${condition.comparator}${value}`;
    }
  }
}

// ---------------------------------------------------------------- the chain's form

const kindCode = (kind: (typeof CONDITION_KINDS)[number]) => CONDITION_KINDS.indexOf(kind);

function leafNode(fields: Partial<ConditionNode> & { kind: number }): ConditionNode {
  return { operands: 0, comparator: 0, returnKind: 0, target: ZERO_ADDRESS, readerArgs: 0, id: 0n, value: 0n, data: "0x", ...fields };
}

/** IPolicyRegistry.Condition nodes of `condition`, in prefix order (what createPolicyWithConditions takes). */
export function encodeConditions(condition: Condition): ConditionNode[] {
  const cmp = (c: Comparator) => COMPARATORS.indexOf(c);
  switch (condition.kind) {
    case "and":
    case "or":
      return [leafNode({ kind: kindCode(condition.kind), operands: condition.operands.length }), ...condition.operands.flatMap(encodeConditions)];
    case "not":
      return [leafNode({ kind: kindCode("not"), operands: 1 }), ...encodeConditions(condition.operand)];
    case "erc20":
      return [leafNode({ kind: kindCode("erc20"), target: condition.token, comparator: cmp(condition.comparator), value: condition.value })];
    case "erc721":
      return [
        condition.id === "any"
          ? leafNode({ kind: kindCode("erc721any"), target: condition.token })
          : leafNode({ kind: kindCode("erc721"), target: condition.token, id: condition.id }),
      ];
    case "erc1155":
      return [leafNode({ kind: kindCode("erc1155"), target: condition.token, id: condition.id, comparator: cmp(condition.comparator), value: condition.value })];
    case "native":
    case "time":
      return [leafNode({ kind: kindCode(condition.kind), comparator: cmp(condition.comparator), value: condition.value })];
    case "call": {
      let readerArgs = 0;
      const words = condition.args.map((arg, i) => {
        if (arg === "reader") readerArgs |= 1 << i;
        return (arg === "reader" ? 0n : arg).toString(16).padStart(64, "0");
      });
      return [
        leafNode({
          kind: kindCode("call"),
          target: condition.target,
          returnKind: RETURN_KINDS.indexOf(condition.returns),
          comparator: cmp(condition.comparator),
          readerArgs,
          value: condition.value,
          data: `${condition.selector}${words.join("")}` as Hex,
        }),
      ];
    }
  }
}

/** The tree `nodes` (prefix order, as PolicyConditionsSet carries them) encode; undefined for none. */
export function decodeConditions(nodes: readonly ConditionNode[]): Condition | undefined {
  if (nodes.length === 0) return undefined;
  let next = 0;
  const malformed = (what: string): never => {
    throw new ConditionError("CONDITION_MALFORMED", `condition node ${next}: ${what}`, { details: { index: next } });
  };
  const read = (): Condition => {
    const node = nodes[next] ?? malformed("an operand is missing");
    next++;
    const kind = CONDITION_KINDS[node.kind] ?? malformed("unknown kind");
    const comparator = COMPARATORS[node.comparator] ?? malformed("unknown comparator");
    const target = checksumAddress(node.target as Address);
    switch (kind) {
      case "and":
      case "or":
        return { kind, operands: Array.from({ length: node.operands }, read) };
      case "not":
        return { kind, operand: read() };
      case "erc20":
        return { kind, token: target, comparator, value: node.value };
      case "erc721":
        return { kind, token: target, id: node.id };
      case "erc721any":
        return { kind: "erc721", token: target, id: "any" };
      case "erc1155":
        return { kind, token: target, id: node.id, comparator, value: node.value };
      case "native":
      case "time":
        return { kind, comparator, value: node.value };
      case "call": {
        const data = node.data.slice(2);
        const args: CallArg[] = [];
        for (let i = 0; 8 + 64 * i < data.length; i++) {
          args.push((node.readerArgs >> i) & 1 ? "reader" : BigInt(`0x${data.slice(8 + 64 * i, 8 + 64 * (i + 1))}`));
        }
        const returns = RETURN_KINDS[node.returnKind] ?? malformed("unknown return kind");
        return { kind, target, selector: `0x${data.slice(0, 8)}` as Hex, args, returns, comparator, value: node.value };
      }
    }
  };
  const tree = read();
  if (next !== nodes.length) malformed("nodes left over after the tree");
  return tree;
}

// ---------------------------------------------------------------- deciding without the chain

/**
 * What can be decided from the tree and the time alone, in PolicyRegistry._evaluate's order:
 * `true`/`false` (with the decisive node's prefix index when false) while only `time` leaves
 * are reached; `"chain"` as soon as a leaf whose outcome needs chain state (a balance, an owner,
 * a call) would be evaluated — the contract would read it there, and it may fail or decide.
 */
export type KnownOutcome = { outcome: boolean; decisive: number } | { outcome: "chain"; decisive: number };

export function evaluateWithoutChain(condition: Condition, now: bigint): KnownOutcome {
  let index = 0;
  /** Evaluates the node at `index`, then leaves `index` past its subtree. */
  const evaluate = (node: Condition): KnownOutcome => {
    const at = index++;
    switch (node.kind) {
      case "time":
        return { outcome: compare(now, node.comparator, node.value), decisive: at };
      case "not": {
        const inner = evaluate(node.operand);
        return inner.outcome === "chain" ? inner : { outcome: !inner.outcome, decisive: at };
      }
      case "and":
      case "or": {
        const goOn = node.kind === "and";
        for (let j = 0; j < node.operands.length; j++) {
          const result = evaluate(node.operands[j]!);
          if (result.outcome !== goOn) {
            for (const rest of node.operands.slice(j + 1)) index += encodeConditions(rest).length;
            return result;
          }
        }
        return { outcome: goOn, decisive: at };
      }
      default:
        return { outcome: "chain", decisive: at };
    }
  };
  return evaluate(condition);
}

export function compare(quantity: bigint, comparator: Comparator, value: bigint): boolean {
  switch (comparator) {
    case "==":
      return quantity === value;
    case "!=":
      return quantity !== value;
    case ">":
      return quantity > value;
    case ">=":
      return quantity >= value;
    case "<":
      return quantity < value;
    case "<=":
      return quantity <= value;
  }
}
