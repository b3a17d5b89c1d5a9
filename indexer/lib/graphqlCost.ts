// What a GraphQL query may cost the indexer, read from its text before it runs. Pure.
//
// Ponder's GraphQL answers a list field (`contents`, `policy.contents`, …: a page with `items`)
// with one SQL statement per parent object, so lists nested in lists multiply: the legal query
// `policy → contents → policy → contents`, four levels deep over 12 contents, ran 5.8 s on
// PGlite's single thread and stalled every REST read meanwhile. Ponder caps only each list's
// limit (1,000) and the depth (100). Here every list field counts `limit + offset` rows (limit
// 50 when not given) for each parent object it is asked for, and one statement per parent; a
// single-object field (`content(…)`, `content.policy`) counts one statement and one row per
// parent. The schema is not needed: in Ponder's schema only the page types have `items`,
// `pageInfo` and `totalCount`.
// A view's list (`rewraps`) can only be paged (limit and offset, together at most `maxViewRows`):
// a filter, an order or a count on the rewrap view unpacks every audit batch.
import {
  Kind,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from "graphql";
import type { GraphqlLimits } from "./publicLimits.js";

/** The fields of Ponder's page types, and of no other type of its schema. */
const PAGE_FIELDS = new Set(["items", "pageInfo", "totalCount"]);

/** Ponder's defaults (ponder/src/graphql/index.ts). */
export const PONDER_DEFAULT_LIMIT = 50;
export const PONDER_MAX_LIMIT = 1_000;

export type GraphqlRefusalCode =
  | "QUERY_TOO_DEEP"
  | "QUERY_TOO_COMPLEX"
  | "LIMIT_TOO_LARGE"
  | "INVALID_OFFSET"
  | "VIEW_PAGED_ONLY"
  | "OPERATION_NOT_ALLOWED";

/** A query refused before it runs; `message` is fixed per code. */
export class GraphqlRefusal extends Error {
  override readonly name = "GraphqlRefusal";
  constructor(readonly code: GraphqlRefusalCode) {
    super(REFUSAL_MESSAGES[code]);
  }
}

export const REFUSAL_MESSAGES: Record<GraphqlRefusalCode, string> = {
  QUERY_TOO_DEEP: "the query nests fields too deeply",
  QUERY_TOO_COMPLEX: "the query may read too many rows or run too many statements; ask for fewer, smaller or less nested lists",
  LIMIT_TOO_LARGE: "a list's limit is larger than 1000",
  INVALID_OFFSET: "a list's offset is negative or too large",
  VIEW_PAGED_ONLY: "a view's list takes only limit and offset (together at most 5000) and has no totalCount; filter audit records with GET /audit",
  OPERATION_NOT_ALLOWED: "only query operations are allowed",
};

export interface GraphqlCost {
  depth: number;
  rows: number;
  statements: number;
}

type Limits = Pick<GraphqlLimits, "maxDepth" | "maxRows" | "maxStatements" | "maxOffset" | "maxViewRows">;

/**
 * The cost of every query operation of `document` (all of them, whichever is run), or a
 * GraphqlRefusal. `views` are the root fields that list a view. Fragments are expanded where
 * they are spread; a fragment that spreads itself is left for GraphQL validation to refuse.
 */
export function graphqlCost(
  document: DocumentNode,
  variables: Record<string, unknown>,
  views: ReadonlySet<string>,
  limits: Limits,
): GraphqlCost {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const total: GraphqlCost = { depth: 0, rows: 0, statements: 0 };

  /** The operation's variables, with the defaults its definitions declare. */
  let values: Record<string, unknown> = variables;
  const intArgument = (field: FieldNode, name: string): number | undefined => {
    const arg = field.arguments?.find((a) => a.name.value === name);
    if (!arg) return undefined;
    const value = valueOf(arg.value, values);
    // Not an integer: GraphQL's own validation refuses it (BAD_USER_INPUT) before anything runs.
    return typeof value === "number" && Number.isInteger(value) ? value : undefined;
  };

  /** The fields of a selection set with fragments expanded (one level). */
  const fieldsOf = (set: SelectionSetNode | undefined, expanding: ReadonlySet<string>): { field: FieldNode; expanding: ReadonlySet<string> }[] => {
    const out: { field: FieldNode; expanding: ReadonlySet<string> }[] = [];
    for (const s of set?.selections ?? []) {
      if (s.kind === Kind.FIELD) out.push({ field: s, expanding });
      else if (s.kind === Kind.INLINE_FRAGMENT) out.push(...fieldsOf(s.selectionSet, expanding));
      else {
        const name = s.name.value;
        const fragment = fragments.get(name);
        if (!fragment || expanding.has(name)) continue;
        out.push(...fieldsOf(fragment.selectionSet, new Set([...expanding, name])));
      }
    }
    return out;
  };

  const walk = (set: SelectionSetNode | undefined, parents: number, depth: number, expanding: ReadonlySet<string>): void => {
    for (const { field, expanding: inner } of fieldsOf(set, expanding)) {
      if (depth > limits.maxDepth) throw new GraphqlRefusal("QUERY_TOO_DEEP");
      total.depth = Math.max(total.depth, depth);
      if (!field.selectionSet) continue;
      const children = fieldsOf(field.selectionSet, inner);
      const isPage = children.some((c) => PAGE_FIELDS.has(c.field.name.value));
      if (isPage) {
        const limit = intArgument(field, "limit") ?? PONDER_DEFAULT_LIMIT;
        const offset = intArgument(field, "offset") ?? 0;
        if (!(limit >= 0 && limit <= PONDER_MAX_LIMIT)) throw new GraphqlRefusal("LIMIT_TOO_LARGE");
        if (!(offset >= 0 && offset <= limits.maxOffset)) throw new GraphqlRefusal("INVALID_OFFSET");
        if (depth === 1 && views.has(field.name.value)) {
          const paged = (field.arguments ?? []).every((a) => a.name.value === "limit" || a.name.value === "offset");
          const counted = children.some((c) => c.field.name.value === "totalCount");
          if (!paged || counted || limit + offset > limits.maxViewRows) throw new GraphqlRefusal("VIEW_PAGED_ONLY");
        }
        // The page's statement (and its count when totalCount is asked) for every parent.
        const counted = children.some((c) => c.field.name.value === "totalCount") ? 2 : 1;
        total.statements += parents * counted;
        total.rows += parents * (limit + offset);
        for (const child of children) {
          if (child.field.name.value === "items") walk(child.field.selectionSet, parents * limit, depth + 2, child.expanding);
          else if (child.field.selectionSet) walk(child.field.selectionSet, parents, depth + 2, child.expanding);
        }
      } else {
        total.statements += 1;
        total.rows += parents;
        walk(field.selectionSet, parents, depth + 1, inner);
      }
      if (total.rows > limits.maxRows || total.statements > limits.maxStatements) throw new GraphqlRefusal("QUERY_TOO_COMPLEX");
    }
  };

  for (const d of document.definitions) {
    if (d.kind !== Kind.OPERATION_DEFINITION) continue;
    if (d.operation !== "query") throw new GraphqlRefusal("OPERATION_NOT_ALLOWED");
    values = { ...variables };
    for (const v of d.variableDefinitions ?? []) {
      if (values[v.variable.name.value] === undefined && v.defaultValue) values[v.variable.name.value] = valueOf(v.defaultValue, {});
    }
    walk(d.selectionSet, 1, 1, new Set());
  }
  return total;
}

function valueOf(node: ValueNode, variables: Record<string, unknown>): unknown {
  switch (node.kind) {
    case Kind.INT:
      return Number(node.value);
    case Kind.VARIABLE:
      return variables[node.name.value];
    default:
      return undefined;
  }
}
