/**
 * GET /threshold/:node — one page of a node's threshold work list (docs/threshold.md#at-the-member):
 * the threshold contents whose slots name the node as member, each with its header, dealing and
 * slots. The request's path and the page's parsing; the client reads it (IndexerClient.thresholdWork).
 */
import { Fields, parseBlock, parseThresholdDealing, type Hex, type IndexedBlock, type ThresholdDealing } from "./types.js";

/** A threshold content one of whose slots names the node. */
export interface ThresholdWorkContent extends ThresholdDealing {
  contentId: Hex;
  policyId: bigint;
  dealtBlock: number;
  /** The registered NanoTDF header bytes (its KID must be that of the first commitment). */
  header: Hex;
}

export interface ThresholdWork {
  block: IndexedBlock;
  contents: ThresholdWorkContent[];
  nextCursor: string | null;
}

export interface ThresholdWorkParameters {
  cursor?: string;
  limit?: number;
  /** Only this content (listed if one of its slots names the node). */
  contentId?: Hex;
}

/** The request path for `node` (already normalized). */
export function thresholdWorkPath(node: string, parameters: ThresholdWorkParameters): string {
  const params = new URLSearchParams();
  if (parameters.cursor !== undefined) params.set("cursor", parameters.cursor);
  if (parameters.limit !== undefined) params.set("limit", String(parameters.limit));
  if (parameters.contentId !== undefined) params.set("content", parameters.contentId);
  return `/threshold/${node}${params.size > 0 ? `?${params}` : ""}`;
}

export function parseThresholdWork(body: unknown): ThresholdWork {
  const f = Fields.of(body, "threshold");
  const nextCursor = f.value.nextCursor === null ? null : f.string("nextCursor");
  return {
    block: parseBlock(body, "threshold"),
    contents: f.array("contents").map((item, i) => {
      const c = Fields.of(item, `threshold.contents[${i}]`);
      return {
        contentId: c.bytes32("contentId"),
        policyId: c.uint("policyId"),
        dealtBlock: c.integer("dealtBlock"),
        header: c.hex("header"),
        ...parseThresholdDealing(c),
      };
    }),
    nextCursor,
  };
}
