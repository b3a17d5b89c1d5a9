// Which SQL statements the public `/sql/*` endpoints run. Pure: it reads the parse tree of
// libpg_query (the parser Ponder's own check uses, `pg-query-emscripten`) and the bound
// parameters, and refuses what it does not know to be a bounded read.
//
// Ponder 0.16.10's own check lets through statements that are not reads (`COMMENT ON …`, which
// its PGlite handle — the read-write instance — executes) and reads of unbounded cost (a
// 13-way cross join ran 7 s on PGlite's single thread, and every REST read waited for it).
// PGlite ignores `statement_timeout`: nothing can interrupt a statement once it runs, so the
// bound has to come from what a statement may say. What is accepted is one SELECT of one table
// or view of the indexer's schema, with
//   - a select list of columns, `*`, casts of columns, and count/sum/avg/min/max of a column;
//   - WHERE / HAVING / FILTER conditions made of comparisons, IN, BETWEEN, LIKE / ILIKE, IS
//     [NOT] NULL / TRUE / DISTINCT FROM and AND / OR / NOT over columns, constants and
//     parameters (no arithmetic, no regular expressions, no function calls but lower/upper/length);
//   - GROUP BY / ORDER BY / DISTINCT ON columns, LIMIT and OFFSET.
// No joins, subqueries, CTEs, set operations, window functions, locking clauses or INTO: each
// statement is one pass over one relation with a bounded amount of work per row, and the
// planner's estimate (EXPLAIN, checked by the caller) then bounds the rows. A view (`rewrap`,
// which unpacks every audit batch it reads) can only be paged — LIMIT and OFFSET, together at
// most `maxViewRows` — since the planner cannot tell how many records the batches hold.
import { ApiError } from "./errors.js";
import type { SqlLimits } from "./publicLimits.js";

/** A libpg_query JSON node: `{ NodeType: { …fields } }`. */
type Wrapped = Record<string, unknown>;
type Fields = Record<string, unknown>;

/** libpg_query's parse result (`parse(text).parse_tree`). */
export interface ParseTree {
  stmts?: { stmt?: Wrapped }[];
}

const refuse = (message: string) => new ApiError(400, "sql_not_allowed", message);

const AGGREGATES = new Set(["count", "sum", "avg", "min", "max"]);
const SCALAR_FUNCTIONS = new Set(["lower", "upper", "length"]);
/**
 * Comparison and pattern (LIKE family: `~~`, `~~*`, `!~~`, `!~~*`) operators. Not array
 * containment: comparing two long arrays costs their product, per row.
 */
const OPERATORS = new Set(["=", "<>", "!=", "<", ">", "<=", ">=", "~~", "~~*", "!~~", "!~~*"]);
const COMPARISONS = new Set(["=", "<>", "!=", "<", ">", "<=", ">="]);
const TYPES = new Set([
  "text", "varchar", "bpchar", "char", "int2", "int4", "int8", "smallint", "integer", "int", "bigint",
  "numeric", "decimal", "bool", "boolean", "bytea", "json", "jsonb",
]);
/** Fields every node may carry that say nothing about what it does. */
const NEUTRAL = new Set(["location"]);

function unwrap(node: unknown): [type: string, fields: Fields] {
  if (typeof node !== "object" || node === null || Array.isArray(node)) throw refuse("the statement has an unexpected shape");
  const keys = Object.keys(node);
  if (keys.length !== 1) throw refuse("the statement has an unexpected shape");
  const fields = (node as Wrapped)[keys[0]!];
  if (typeof fields !== "object" || fields === null) throw refuse("the statement has an unexpected shape");
  return [keys[0]!, fields as Fields];
}

/** Refuses a node that carries a field outside `allowed`: an unknown clause is never waved through. */
function only(fields: Fields, allowed: readonly string[]): void {
  for (const key of Object.keys(fields)) {
    if (!allowed.includes(key) && !NEUTRAL.has(key)) throw refuse("the statement uses a clause that is not allowed");
  }
}

function list(value: unknown): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw refuse("the statement has an unexpected shape");
  return value;
}

function names(value: unknown): string[] {
  return list(value).map((n) => {
    const [type, fields] = unwrap(n);
    if (type !== "String" || typeof fields.sval !== "string") throw refuse("the statement has an unexpected shape");
    return fields.sval;
  });
}

/** The indexer's tables and views a statement may read, each with its column names. */
export type Relations = ReadonlyMap<string, { columns: ReadonlySet<string>; view: boolean }>;

type Limits = Pick<SqlLimits, "maxStringLength" | "maxParams" | "maxViewRows">;

class Checker {
  /** Columns of the relation read, and the names that qualify them (relation name, alias). */
  #columns: ReadonlySet<string> = new Set();
  #qualifiers = new Set<string>();
  /** Select-list names, which ORDER BY and GROUP BY may use. */
  #outputNames = new Set<string>();

  constructor(
    readonly relations: Relations,
    readonly params: readonly unknown[],
    readonly limits: Limits,
  ) {}

  statement(tree: ParseTree): void {
    const stmts = tree.stmts ?? [];
    if (stmts.length !== 1) throw refuse("exactly one statement is allowed");
    const [type, s] = unwrap(stmts[0]!.stmt);
    if (type !== "SelectStmt") throw refuse("only SELECT statements are allowed");
    this.select(s);
  }

  select(s: Fields): void {
    only(s, ["targetList", "fromClause", "whereClause", "groupClause", "havingClause", "sortClause", "limitCount", "limitOffset", "limitOption", "op", "distinctClause"]);
    if (s.op !== "SETOP_NONE") throw refuse("set operations (UNION, INTERSECT, EXCEPT) are not allowed");
    const from = list(s.fromClause);
    if (from.length !== 1) throw refuse("a statement reads exactly one table or view: no joins");
    if (this.relation(from[0])) this.page(s);
    for (const d of list(s.distinctClause)) {
      // Plain DISTINCT is one empty node; DISTINCT ON lists columns.
      if (typeof d === "object" && d !== null && Object.keys(d).length === 0) continue;
      this.column(d);
    }
    const targets = list(s.targetList);
    if (targets.length === 0) throw refuse("the statement selects nothing");
    for (const t of targets) {
      const [type, r] = unwrap(t);
      if (type !== "ResTarget") throw refuse("the statement has an unexpected shape");
      only(r, ["name", "val"]);
      this.output(r.val);
      if (typeof r.name === "string") this.#outputNames.add(r.name);
    }
    if (s.whereClause !== undefined) this.condition(s.whereClause);
    for (const g of list(s.groupClause)) this.columnOrPosition(g);
    if (s.havingClause !== undefined) this.condition(s.havingClause, true);
    for (const o of list(s.sortClause)) {
      const [type, b] = unwrap(o);
      if (type !== "SortBy") throw refuse("the statement has an unexpected shape");
      only(b, ["node", "sortby_dir", "sortby_nulls"]);
      if (b.sortby_dir === "SORTBY_USING") throw refuse("ORDER BY … USING is not allowed");
      this.columnOrPosition(b.node);
    }
    for (const bound of [s.limitCount, s.limitOffset]) if (bound !== undefined) this.limit(bound);
    if (s.limitOption !== "LIMIT_OPTION_DEFAULT" && s.limitOption !== "LIMIT_OPTION_COUNT") {
      throw refuse("the statement uses a clause that is not allowed");
    }
  }

  /** Checks the FROM item; true if it is a view. */
  relation(node: unknown): boolean {
    const [type, r] = unwrap(node);
    if (type !== "RangeVar") throw refuse("a statement reads exactly one table or view: no subqueries or functions in FROM");
    only(r, ["relname", "inh", "relpersistence", "alias"]);
    const relation = typeof r.relname === "string" ? this.relations.get(r.relname) : undefined;
    if (!relation) throw refuse("only the indexer's tables and views can be read");
    this.#columns = relation.columns;
    this.#qualifiers.add(r.relname as string);
    if (r.alias !== undefined) {
      const alias = r.alias as Fields;
      only(alias, ["aliasname"]);
      this.#qualifiers.add(String(alias.aliasname));
    }
    return relation.view;
  }

  /** A view is read in pages only: columns, LIMIT and OFFSET, no filter, order or aggregate. */
  page(s: Fields): void {
    const paged = `a view can only be paged: select columns with LIMIT and OFFSET (together at most ${this.limits.maxViewRows} rows); filter audit records with GET /audit`;
    if (s.whereClause ?? s.groupClause ?? s.havingClause ?? s.sortClause ?? s.distinctClause) throw refuse(paged);
    for (const t of list(s.targetList)) if (unwrap(unwrap(t)[1].val)[0] !== "ColumnRef") throw refuse(paged);
    const limit = this.count(s.limitCount);
    const offset = s.limitOffset === undefined ? 0 : this.count(s.limitOffset);
    if (limit === undefined || offset === undefined || limit + offset > this.limits.maxViewRows) throw refuse(paged);
  }

  /** The value of a LIMIT or OFFSET (a constant or a parameter), if it is a non-negative integer. */
  count(node: unknown): number | undefined {
    if (node === undefined) return undefined;
    const [type, f] = unwrap(node);
    // libpg_query leaves out an integer constant's value when it is 0; LIMIT ALL is a null constant.
    const value =
      type === "A_Const" && !f.isnull ? ((f.ival as Fields | undefined)?.ival ?? 0) : type === "ParamRef" ? this.params[Number(f.number) - 1] : undefined;
    const n = typeof value === "string" && /^\d{1,9}$/.test(value) ? Number(value) : value;
    return typeof n === "number" && Number.isSafeInteger(n) && n >= 0 ? n : typeof n === "bigint" && n >= 0n && n < 1_000_000_000n ? Number(n) : undefined;
  }

  /** A select-list item: a column, `*`, a cast of a column, or an aggregate of a column. */
  output(node: unknown): void {
    const [type, f] = unwrap(node);
    if (type === "ColumnRef") return this.column(node);
    if (type === "TypeCast") {
      only(f, ["arg", "typeName"]);
      this.typeName(f.typeName);
      return this.column(f.arg);
    }
    if (type === "FuncCall") return this.aggregate(f);
    throw refuse("the select list may hold columns, casts of columns and count/sum/avg/min/max of a column");
  }

  aggregate(f: Fields): void {
    only(f, ["funcname", "args", "agg_star", "agg_distinct", "agg_filter", "funcformat"]);
    const name = names(f.funcname);
    if (name.length !== 1 || !AGGREGATES.has(name[0]!)) throw refuse("only count, sum, avg, min and max can aggregate");
    const args = list(f.args);
    if (f.agg_star === true ? args.length !== 0 || name[0] !== "count" : args.length !== 1) {
      throw refuse("an aggregate takes one column");
    }
    for (const a of args) this.column(a);
    if (f.agg_filter !== undefined) this.condition(f.agg_filter);
  }

  /**
   * A column of the relation read (`column`, `relation.column`, `*`, `relation.*`). Only real
   * column names: `t.f` would otherwise call a function f on the whole row.
   */
  column(node: unknown, extra: ReadonlySet<string> = new Set()): void {
    const [type, c] = unwrap(node);
    if (type !== "ColumnRef") throw refuse("only columns are allowed here");
    only(c, ["fields"]);
    const parts = list(c.fields).map((p) => {
      const [t, v] = unwrap(p);
      if (t === "A_Star") return "*";
      if (t !== "String" || typeof v.sval !== "string") throw refuse("the statement has an unexpected shape");
      return v.sval;
    });
    const [first, second] = parts;
    const known = (name: string) => this.#columns.has(name) || extra.has(name);
    if (parts.length === 1 && (first === "*" || known(first!))) return;
    if (parts.length === 2 && this.#qualifiers.has(first!) && (second === "*" || this.#columns.has(second!))) return;
    throw refuse("a statement may name only the columns of the table or view it reads");
  }

  /** GROUP BY / ORDER BY item: a column, a select-list name or a select-list position. */
  columnOrPosition(node: unknown): void {
    const [type, f] = unwrap(node);
    if (type === "A_Const") {
      only(f, ["ival"]);
      return;
    }
    this.column(node, this.#outputNames);
  }

  limit(node: unknown): void {
    const [type, f] = unwrap(node);
    if (type === "ParamRef") return;
    if (type === "A_Const") {
      only(f, ["ival", "isnull"]);
      return;
    }
    throw refuse("LIMIT and OFFSET take a number or a parameter");
  }

  /** A boolean condition (WHERE, HAVING, FILTER); `aggregates` allows them as operands (HAVING). */
  condition(node: unknown, aggregates = false): void {
    const [type, f] = unwrap(node);
    switch (type) {
      case "BoolExpr":
        only(f, ["boolop", "args"]);
        for (const a of list(f.args)) this.condition(a, aggregates);
        return;
      case "NullTest":
        only(f, ["arg", "nulltesttype", "argisrow"]);
        return this.operand(f.arg, aggregates);
      case "BooleanTest":
        only(f, ["arg", "booltesttype"]);
        return this.operand(f.arg, aggregates);
      case "A_Expr":
        return this.comparison(f, aggregates);
      default:
        // A boolean column, constant or parameter.
        return this.operand(node, aggregates);
    }
  }

  comparison(f: Fields, aggregates: boolean): void {
    only(f, ["kind", "name", "lexpr", "rexpr"]);
    const op = names(f.name);
    if (op.length !== 1) throw refuse("operators cannot be schema-qualified");
    const sign = op[0]!;
    switch (f.kind) {
      case "AEXPR_OP":
        if (!OPERATORS.has(sign)) throw refuse("only comparisons and LIKE / ILIKE are allowed: no arithmetic, regular expressions or array operators");
        break;
      case "AEXPR_OP_ANY":
      case "AEXPR_OP_ALL":
      case "AEXPR_DISTINCT":
      case "AEXPR_NOT_DISTINCT":
        if (!COMPARISONS.has(sign)) throw refuse("only comparisons are allowed with ANY, ALL and DISTINCT FROM");
        break;
      case "AEXPR_LIKE":
      case "AEXPR_ILIKE":
        break;
      case "AEXPR_IN": {
        this.operand(f.lexpr, aggregates);
        const [type, l] = unwrap(f.rexpr);
        if (type !== "List") throw refuse("IN takes a list of values");
        const items = list(l.items);
        if (items.length > this.limits.maxParams) throw refuse("the IN list is too long");
        for (const item of items) this.operand(item, false);
        return;
      }
      case "AEXPR_BETWEEN":
      case "AEXPR_NOT_BETWEEN":
      case "AEXPR_BETWEEN_SYM":
      case "AEXPR_NOT_BETWEEN_SYM": {
        this.operand(f.lexpr, aggregates);
        const [type, l] = unwrap(f.rexpr);
        if (type !== "List") throw refuse("the statement has an unexpected shape");
        for (const item of list(l.items)) this.operand(item, false);
        return;
      }
      default:
        throw refuse("only comparisons, IN, BETWEEN and LIKE / ILIKE are allowed: no SIMILAR TO or NULLIF");
    }
    if (f.lexpr === undefined) throw refuse("prefix operators are not allowed");
    this.operand(f.lexpr, aggregates);
    this.operand(f.rexpr, aggregates);
  }

  /** A value compared in a condition. */
  operand(node: unknown, aggregates: boolean): void {
    const [type, f] = unwrap(node);
    switch (type) {
      case "ColumnRef":
        return this.column(node);
      case "ParamRef":
        only(f, ["number"]);
        return;
      case "A_Const":
        return this.constant(f);
      case "TypeCast":
        only(f, ["arg", "typeName"]);
        this.typeName(f.typeName);
        return this.operand(f.arg, aggregates);
      case "A_ArrayExpr": {
        only(f, ["elements"]);
        const elements = list(f.elements);
        if (elements.length > this.limits.maxParams) throw refuse("the array is too long");
        for (const e of elements) this.operand(e, false);
        return;
      }
      case "FuncCall": {
        const name = names(f.funcname);
        if (aggregates && name.length === 1 && AGGREGATES.has(name[0]!)) return this.aggregate(f);
        only(f, ["funcname", "args", "funcformat"]);
        if (name.length !== 1 || !SCALAR_FUNCTIONS.has(name[0]!)) throw refuse("only lower, upper and length can be called in a condition");
        const args = list(f.args);
        if (args.length !== 1) throw refuse("lower, upper and length take one column");
        return this.column(args[0]);
      }
      default:
        throw refuse("a condition compares columns, constants and parameters");
    }
  }

  constant(f: Fields): void {
    only(f, ["ival", "fval", "sval", "bsval", "boolval", "isnull"]);
    const text =
      (f.sval as Fields | undefined)?.sval ?? (f.fval as Fields | undefined)?.fval ?? (f.bsval as Fields | undefined)?.bsval;
    if (typeof text === "string" && text.length > this.limits.maxStringLength) throw refuse("a constant is too long");
    const fval = (f.fval as Fields | undefined)?.fval;
    // A short literal such as 9e131071 is a 131,072-digit numeric.
    if (typeof fval === "string" && (fval.length > 40 || /e[+-]?\d{3,}/i.test(fval))) throw refuse("a numeric constant is too large");
  }

  typeName(node: unknown): void {
    if (typeof node !== "object" || node === null) throw refuse("the statement has an unexpected shape");
    const t = node as Fields;
    only(t, ["names", "typemod", "typmods", "arrayBounds"]);
    const parts = names(t.names);
    const qualified = parts.length === 2 && parts[0] === "pg_catalog";
    if (!(parts.length === 1 || qualified) || !TYPES.has(parts[parts.length - 1]!)) throw refuse("casts are allowed to text, integer, numeric, boolean, bytea and json types only");
    for (const m of list(t.typmods)) {
      const [type, c] = unwrap(m);
      if (type !== "A_Const") throw refuse("the statement has an unexpected shape");
      only(c, ["ival"]);
    }
  }
}

/** Refuses (ApiError 400 `sql_not_allowed`) a statement that is not a bounded read of one of `relations`. */
export function checkReadStatement(tree: ParseTree, params: readonly unknown[], relations: Relations, limits: Limits): void {
  new Checker(relations, params, limits).statement(tree);
}

/**
 * Refuses parameters that are not small scalars (strings up to `maxStringLength`, numbers,
 * bigints, booleans, null, dates) or short arrays of them.
 */
export function checkParameters(params: unknown, limits: Pick<SqlLimits, "maxStringLength" | "maxParams">): unknown[] {
  if (params === undefined) return [];
  if (!Array.isArray(params) || params.length > limits.maxParams) throw refuse("too many parameters");
  const scalar = (v: unknown): boolean =>
    v === null ||
    typeof v === "number" ||
    typeof v === "bigint" ||
    typeof v === "boolean" ||
    v instanceof Date ||
    (typeof v === "string" && v.length <= limits.maxStringLength);
  for (const p of params) {
    if (scalar(p)) continue;
    if (Array.isArray(p) && p.length <= limits.maxParams && p.every(scalar)) continue;
    throw refuse("a parameter is too long or of an unsupported type");
  }
  return params;
}
