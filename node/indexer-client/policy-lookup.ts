/**
 * Content ids → policy ids over the indexer's GraphQL API, many at once (a bulk rewrap asks
 * about up to 1,000 contents). A content's policy never changes (ContentRegistry has no way to
 * move it), so what this returns is a fact callers may keep.
 *
 * The indexer's head is read first, so the contents read afterwards reflect at least that
 * block: if it is fresh, the ids GraphQL does not return are unregistered as of a fresh block
 * (INDEXER_NOT_FOUND, like a 404 from /access), and need no read of their own. If it is stale,
 * they are STATE_STALE — no point asking the same stale indexer about each of them.
 */
import { IndexerClientError } from "./errors.js";
import { unexpectedStatus, type HttpResponse } from "./http.js";
import { Fields, parseBlock, type Hex, type IndexedBlock } from "./types.js";

export interface PolicyLookup {
  /** contentId → policyId for every id the indexer knows. */
  policies: Map<Hex, bigint>;
  /** The other ids: INDEXER_NOT_FOUND (unregistered as of a fresh block) or STATE_STALE (too far behind to say). */
  unresolved: Map<Hex, IndexerClientError>;
}

/** What the lookup needs of the client: one GraphQL request, and the staleness check. */
export interface GraphqlReader {
  graphql(query: string, variables: Record<string, unknown>, signal: AbortSignal | undefined): Promise<HttpResponse>;
  assertFresh(block: IndexedBlock, options: { signal?: AbortSignal }): Promise<void>;
}

/** Ponder's GraphQL caps a page at 1,000 rows. */
const GRAPHQL_PAGE = 1_000;
const META_QUERY = "query { _meta { status } }";
const POLICY_LOOKUP_QUERY =
  "query($ids: [String!]) { contents(where: { contentId_in: $ids }, limit: 1000) { items { contentId policyId } } }";

/** Looks up the policies of `ids` (normalized); throws if GraphQL fails or answers out of shape. */
export async function lookupPolicies(reader: GraphqlReader, ids: readonly Hex[], signal: AbortSignal | undefined): Promise<PolicyLookup> {
  const stale = await indexedHeadStaleness(reader, signal);
  const policies = new Map<Hex, bigint>();
  for (let start = 0; start < ids.length; start += GRAPHQL_PAGE) {
    const page = ids.slice(start, start + GRAPHQL_PAGE);
    const { status, body } = await reader.graphql(POLICY_LOOKUP_QUERY, { ids: page }, signal);
    if (status !== 200) throw unexpectedStatus("/graphql", status, body);
    const wanted = new Set(page);
    const items = Fields.of(body, "graphql").object("data").object("contents").array("items");
    for (const [i, item] of items.entries()) {
      const row = Fields.of(item, `graphql.items[${i}]`);
      const contentId = row.bytes32("contentId");
      if (!wanted.has(contentId)) throw new IndexerClientError("INDEXER_BAD_RESPONSE", "GraphQL returned an unrequested content");
      policies.set(contentId, row.uint("policyId"));
    }
  }
  const unresolved = new Map<Hex, IndexerClientError>();
  for (const id of ids) {
    if (policies.has(id)) continue;
    unresolved.set(
      id,
      stale ?? new IndexerClientError("INDEXER_NOT_FOUND", "the indexer does not know it", { details: { path: "/graphql", code: "content_not_found" } }),
    );
  }
  return { policies, unresolved };
}

/** The STATE_STALE error if the indexer's head (the lowest over its chains) is too far behind, else undefined. */
async function indexedHeadStaleness(reader: GraphqlReader, signal: AbortSignal | undefined): Promise<IndexerClientError | undefined> {
  const { status, body } = await reader.graphql(META_QUERY, {}, signal);
  if (status !== 200) throw unexpectedStatus("/graphql", status, body);
  const chains = Object.values(Fields.of(body, "graphql").object("data").object("_meta").object("status").value);
  if (chains.length === 0) throw new IndexerClientError("INDEXER_UNAVAILABLE", "the indexer has not indexed a block yet");
  const blocks = chains.map((chain, i) => parseBlock(chain, `graphql._meta.status[${i}]`));
  const head = blocks.reduce((a, b) => (b.number < a.number ? b : a));
  try {
    await reader.assertFresh(head, { signal });
    return undefined;
  } catch (error) {
    if (!(error instanceof IndexerClientError) || error.code !== "STATE_STALE") throw error;
    return error;
  }
}
