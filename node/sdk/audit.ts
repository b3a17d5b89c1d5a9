/** Audit queries: the indexer's GET /audit (docs/indexer.md), newest first, paginated. */
import type { Address, Hex } from "viem";
import { DekmeshClientError } from "./errors.js";

export interface AuditQuery {
  /** CID text or 0x contentId. */
  cid?: string;
  requester?: Address;
  validator?: Address;
  /** Unix seconds, inclusive (chain time of the recording block). */
  from?: number;
  to?: number;
  cursor?: string;
  /** 1–500, default 50. */
  limit?: number;
}

export interface AuditRecord {
  contentId: Hex;
  cid: string | null;
  requester: Address;
  validator: Address;
  requestDigest: Hex;
  servedAt: bigint;
  batchId: bigint;
  blockNumber: number;
  blockTimestamp: number;
  txHash: Hex;
}

export interface AuditPage {
  records: AuditRecord[];
  nextCursor: string | null;
  block: { number: number; timestamp: number };
}

export async function queryAudit(indexerUrl: string, query: AuditQuery, timeoutMs: number): Promise<AuditPage> {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== null) params.set(key, String(value));
  let response: Response;
  let body: Record<string, unknown>;
  try {
    response = await fetch(`${indexerUrl.replace(/\/+$/, "")}/audit?${params}`, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: "application/json" } });
    body = (await response.json()) as Record<string, unknown>;
  } catch (cause) {
    throw new DekmeshClientError("CLIENT_INDEXER", "the indexer did not answer the audit query", { cause, retryable: true });
  }
  if (response.status !== 200) {
    const error = body.error as { code?: string; message?: string } | undefined;
    throw new DekmeshClientError(response.status === 400 ? "CLIENT_INVALID_ARGUMENT" : "CLIENT_INDEXER", error?.message ?? `indexer answered HTTP ${response.status}`, {
      details: { status: response.status, code: error?.code },
    });
  }
  const records = (body.records as Record<string, unknown>[]).map((r) => ({
    contentId: r.contentId as Hex,
    cid: (r.cid as string | null) ?? null,
    requester: r.requester as Address,
    validator: r.validator as Address,
    requestDigest: r.requestDigest as Hex,
    servedAt: BigInt(r.servedAt as string),
    batchId: BigInt(r.batchId as string),
    blockNumber: r.blockNumber as number,
    blockTimestamp: r.blockTimestamp as number,
    txHash: r.txHash as Hex,
  }));
  return { records, nextCursor: (body.nextCursor as string | null) ?? null, block: body.block as AuditPage["block"] };
}
