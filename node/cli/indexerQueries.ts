/**
 * Lists the indexer serves through its GraphQL endpoint (Ponder's, over the tables of
 * indexer/ponder.schema.ts) for `attr list|show`, `policy list` and the attribute names in
 * `policy show`: namespaces, their values, grants and policies. Each answer says the block it
 * is as of.
 */
import type { PolicyRequirement } from "../indexer-client/index.js";
import { CliError, EXIT } from "./exitCodes.js";

export interface NamespaceRow {
  id: string;
  name: string;
  authority: string;
  rule: string;
  /** Value names in order (for a hierarchy, the highest rank first). */
  values: string[];
}

export interface GrantRow {
  account: string;
  value: string;
  /** Unix seconds; "0" = never. */
  expiresAt: string;
}

export interface PolicyRow {
  id: string;
  publisher: string;
  version: number;
  revoked: boolean;
  requirements: PolicyRequirement[];
  allowlist: string[];
  notBefore: string;
  notAfter: string;
  mode: string;
  k: number;
  explicitMembers: string[];
  /** The condition tree in the grammar of docs/conditions.md, or null. */
  conditions: string | null;
}

const MAX_ROWS = 1000;

/** One GraphQL query; the block the indexer is at comes with the data. */
async function query<T>(indexerUrl: string, fields: string): Promise<{ data: T; block: number }> {
  const url = `${indexerUrl.replace(/\/+$/, "")}/graphql`;
  let body: { data?: T & { _meta?: { status?: Record<string, { block?: { number?: number } }> } }; errors?: { message?: string }[] };
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: `{ _meta { status } ${fields} }` }),
      signal: AbortSignal.timeout(10_000),
    });
    body = (await response.json()) as typeof body;
  } catch (cause) {
    throw new CliError(EXIT.UNAVAILABLE, "CLI_INDEXER_UNREACHABLE", `cannot reach the indexer at ${indexerUrl}: is it running (npm start), or is --indexer-url wrong?`, { cause, details: { indexerUrl } });
  }
  if (body.data === undefined || (body.errors?.length ?? 0) > 0) {
    throw new CliError(EXIT.UNAVAILABLE, "CLI_INDEXER_QUERY", `the indexer at ${indexerUrl} refused a query: ${body.errors?.[0]?.message ?? "no data"}`, { details: { indexerUrl } });
  }
  const status = Object.values(body.data._meta?.status ?? {})[0];
  return { data: body.data, block: status?.block?.number ?? 0 };
}

/** AttributeRegistry.MAX_VALUES: the most values a namespace has. */
const MAX_VALUES = 64;
/**
 * Namespaces per page: with their values nested, a page runs one statement per namespace and
 * reads up to 64 rows for each, within the indexer's public GraphQL limits (60 statements,
 * 5,000 rows; indexer/lib/publicLimits.ts).
 */
const NAMESPACE_PAGE = 50;

const NAMESPACE_FIELDS = `id name authority rule values(limit: ${MAX_VALUES}, orderBy: "value", orderDirection: "asc") { items { name } }`;

type NamespaceItem = Omit<NamespaceRow, "values"> & { values: { items: { name: string }[] } };

const withValues = (ns: NamespaceItem): NamespaceRow => ({ ...ns, values: ns.values.items.map((v) => v.name) });

export async function listNamespaces(indexerUrl: string): Promise<{ namespaces: NamespaceRow[]; block: number }> {
  type Page = { namespaces: { items: NamespaceItem[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } };
  const namespaces: NamespaceRow[] = [];
  let after: string | null = null;
  let block = 0;
  do {
    const cursor: string = after === null ? "" : `, after: ${JSON.stringify(after)}`;
    const page: { data: Page; block: number } = await query<Page>(
      indexerUrl,
      `namespaces(limit: ${NAMESPACE_PAGE}, orderBy: "name", orderDirection: "asc"${cursor}) { items { ${NAMESPACE_FIELDS} } pageInfo { hasNextPage endCursor } }`,
    );
    namespaces.push(...page.data.namespaces.items.map(withValues));
    block = page.block;
    after = page.data.namespaces.pageInfo.hasNextPage ? page.data.namespaces.pageInfo.endCursor : null;
  } while (after !== null);
  return { namespaces, block };
}

/** A namespace by name with its live grants (active, not expired), or undefined. */
export async function showNamespace(indexerUrl: string, name: string): Promise<{ namespace: NamespaceRow | undefined; grants: GrantRow[]; block: number }> {
  type Item = NamespaceItem & { grants: { items: { account: string; value: number; expiresAt: string }[] } };
  const { data, block } = await query<{ namespaces: { items: Item[] } }>(
    indexerUrl,
    `namespaces(limit: 1, where: { name: ${JSON.stringify(name)} }) { items { ${NAMESPACE_FIELDS}
      grants(limit: ${MAX_ROWS}, where: { active: true }) { items { account value expiresAt } } } }`,
  );
  const item = data.namespaces.items[0];
  if (item === undefined) return { namespace: undefined, grants: [], block };
  const namespace = withValues(item);
  const now = BigInt(Math.floor(Date.now() / 1000));
  const grants = item.grants.items
    .filter((g) => g.expiresAt === "0" || BigInt(g.expiresAt) >= now)
    .map((g) => ({ account: g.account, value: namespace.values[g.value] ?? `#${g.value}`, expiresAt: g.expiresAt }));
  return { namespace, grants, block };
}

/** The policies of `publisher` (all when undefined), newest first. */
export async function listPolicies(indexerUrl: string, publisher: string | undefined, limit: number): Promise<{ policies: PolicyRow[]; block: number }> {
  const where = publisher === undefined ? "" : `, where: { publisher: ${JSON.stringify(publisher.toLowerCase())} }`;
  const { data, block } = await query<{ policys: { items: PolicyRow[] } }>(
    indexerUrl,
    `policys(limit: ${limit}, orderBy: "id", orderDirection: "desc"${where}) { items { id publisher version revoked requirements allowlist notBefore notAfter mode k explicitMembers conditions } }`,
  );
  return { policies: data.policys.items, block };
}

/** `clearance/secret` for each requirement (namespace id + value index), as far as the indexer knows the names. */
export async function attributeNames(indexerUrl: string, requirements: readonly PolicyRequirement[]): Promise<string[]> {
  if (requirements.length === 0) return [];
  const { namespaces } = await listNamespaces(indexerUrl);
  return requirements.map((r) => {
    const ns = namespaces.find((n) => n.id.toLowerCase() === r.namespace.toLowerCase());
    return ns === undefined ? `${r.namespace}#${r.value}` : `${ns.name}/${ns.values[r.value] ?? `#${r.value}`}`;
  });
}
