/**
 * Content ids → policy ids over the indexer's REST API, many at once (a bulk rewrap asks about
 * up to 1,000 contents): POST /contents/policies. A content's policy never changes
 * (ContentRegistry has no way to move it), so what this returns is a fact callers may keep.
 *
 * The answer's block is the head its rows were read at: if it is fresh, the ids it does not
 * return are unregistered as of a fresh block (INDEXER_NOT_FOUND, like a 404 from /access),
 * and need no read of their own. If it is stale, they are STATE_STALE — no point asking the
 * same stale indexer about each of them.
 *
 * REST rather than GraphQL: GraphQL is a public query surface that waits behind the indexer's
 * public query gate (indexer/src/api/gate.ts), where anyone's expensive queries would delay a
 * validator's rewraps.
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

/** What the lookup needs of the client: one POST, and the staleness check. */
export interface PolicyReader {
  post(path: string, json: unknown, signal: AbortSignal | undefined): Promise<HttpResponse>;
  assertFresh(block: IndexedBlock, options: { signal?: AbortSignal }): Promise<void>;
}

const PATH = "/contents/policies";
/** The endpoint's limit per request (indexer/lib/params.ts MAX_POLICY_LOOKUP_IDS). */
const PAGE = 1_000;

/** Looks up the policies of `ids` (normalized); throws if the indexer fails or answers out of shape. */
export async function lookupPolicies(reader: PolicyReader, ids: readonly Hex[], signal: AbortSignal | undefined): Promise<PolicyLookup> {
  const policies = new Map<Hex, bigint>();
  let stale: IndexerClientError | undefined;
  for (let start = 0; start < ids.length; start += PAGE) {
    const page = ids.slice(start, start + PAGE);
    const { status, body } = await reader.post(PATH, { contentIds: page }, signal);
    if (status !== 200) throw unexpectedStatus(PATH, status, body);
    stale ??= await staleness(reader, parseBlock(body, "contents"), signal);
    const wanted = new Set(page);
    const rows = Fields.of(body, "contents").array("contents");
    for (const [i, item] of rows.entries()) {
      const row = Fields.of(item, `contents[${i}]`);
      const contentId = row.bytes32("contentId");
      if (!wanted.has(contentId)) throw new IndexerClientError("INDEXER_BAD_RESPONSE", "the indexer returned an unrequested content");
      policies.set(contentId, row.uint("policyId"));
    }
  }
  const unresolved = new Map<Hex, IndexerClientError>();
  for (const id of ids) {
    if (policies.has(id)) continue;
    unresolved.set(
      id,
      stale ?? new IndexerClientError("INDEXER_NOT_FOUND", "the indexer does not know it", { details: { path: PATH, code: "content_not_found" } }),
    );
  }
  return { policies, unresolved };
}

/** The STATE_STALE error if the answer's head is too far behind, else undefined. */
async function staleness(reader: PolicyReader, head: IndexedBlock, signal: AbortSignal | undefined): Promise<IndexerClientError | undefined> {
  try {
    await reader.assertFresh(head, { signal });
    return undefined;
  } catch (error) {
    if (!(error instanceof IndexerClientError) || error.code !== "STATE_STALE") throw error;
    return error;
  }
}
