// GET /audit/:validator/:batchId/:index — one audit record with its evidence and Merkle proof
// (docs/accountability.md, docs/indexer.md). The batch's records, evidence root and CID come from
// the chain's events (rewrap_batch); the evidence blob from the validator's HTTP API
// (GET /v1/audit/:batchId at its registered endpoint), checked against that root before anything
// is answered, then kept: a batch's evidence never changes. The answer is what
// RewrapAuditLog.verifyRecord takes, plus the off-chain verdict.
//
// The indexer fetches only the endpoint a validator registered on chain (http or https), with a
// deadline and a size cap, and keeps at most MAX_CACHED_BATCHES verified blobs.
import { db } from "ponder:api";
import { rewrapBatch, validator } from "ponder:schema";
import { sql } from "ponder";
import type { Hono } from "hono";
import type { Address, Hex } from "viem";
import { loadIndexerSettings } from "../../settings.js";
import { ApiError, badRequest } from "../../lib/errors.js";
import { parseAddress, parseUint64 } from "../../lib/params.js";
import { AuditEvidenceError, type AuditEvidence } from "../../../node/protocol/auditEvidence.js";
import { EvidenceFetchError, fetchEvidenceBlob } from "../../../node/protocol/auditEvidenceFetch.js";
import { decodeAuditRecords } from "../../../node/protocol/auditRecords.js";
import { verifyBatchEvidence, type VerifiedRecord } from "../../../node/protocol/auditVerify.js";
import type { QueryGate } from "./gate.js";
import { errorResponse, respond, stringify } from "./http.js";
import { selectWithVersion } from "./version.js";

const FETCH_TIMEOUT_MS = 5_000;
const MAX_CACHED_BATCHES = 256;

/** The EIP-712 domain of rewrap requests: this deployment's chain and audit log. */
function rewrapDomain() {
  const { chainId, deployment } = loadIndexerSettings(process.env);
  return { chainId: BigInt(chainId), verifyingContract: deployment.contracts.RewrapAuditLog.address as Address };
}

interface BatchRow {
  records: Hex;
  evidenceRoot: Hex | null;
  evidenceCid: string | null;
  endpoint: string;
}

function evidenceJson(evidence: AuditEvidence | undefined) {
  if (evidence === undefined) return null;
  const hex = (bytes: Uint8Array) => `0x${Buffer.from(bytes).toString("hex")}`;
  return {
    ...(evidence.bulkContentIds === undefined ? {} : { bulkContentIds: evidence.bulkContentIds }),
    clientPublicKey: hex(evidence.clientPublicKey),
    nonce: evidence.nonce,
    expiry: evidence.expiry,
    signature: hex(evidence.signature),
    ...(evidence.grant === undefined
      ? {}
      : { grant: { ...evidence.grant, sessionPublicKey: hex(evidence.grant.sessionPublicKey), signature: hex(evidence.grant.signature) } }),
  };
}

/** The validator's blob for a batch (EvidenceFetchError as the route's refusals). */
async function fetchBlob(endpoint: string, batchId: bigint): Promise<Uint8Array> {
  try {
    return await fetchEvidenceBlob(endpoint, batchId, { timeoutMs: FETCH_TIMEOUT_MS });
  } catch (error) {
    if (!(error instanceof EvidenceFetchError)) throw error;
    if (error.code === "EVIDENCE_NOT_SERVED") throw new ApiError(404, "evidence_missing", "the validator does not serve this batch's evidence");
    if (error.code === "EVIDENCE_TOO_LARGE") throw new ApiError(422, "evidence_invalid", "the validator's evidence blob is too large");
    throw new ApiError(502, "validator_unreachable", "the validator did not answer for the batch's evidence");
  }
}

export function registerAuditEvidence(app: Hono, gate: QueryGate): void {
  const domain = rewrapDomain();
  const verified = new Map<string, VerifiedRecord[]>();
  app.get("/audit/:validator/:batchId/:index", async (c) => {
    try {
      const node = parseAddress(c.req.param("validator"), "validator").toLowerCase() as Address;
      const batchId = parseUint64(c.req.param("batchId"), "batchId", "invalid_batch_id");
      const rawIndex = c.req.param("index");
      if (!/^(0|[1-9][0-9]{0,3})$/.test(rawIndex)) throw badRequest("invalid_batch_id", "index must be a record index (0, 1, …)");
      const index = Number(rawIndex);
      const { version, row } = await gate.run(() =>
        selectWithVersion<{ batch: BatchRow | null }>(
          db,
          sql`(SELECT json_build_object('records', '0x' || encode(b.records, 'hex'), 'evidenceRoot', b.evidence_root, 'evidenceCid', b.evidence_cid, 'endpoint', v.endpoint)
               FROM ${rewrapBatch} b JOIN ${validator} v ON v.node = b.validator
               WHERE b.validator = ${node} AND b.batch_id = ${batchId}) AS batch`,
        ),
      );
      if (!row.batch) throw new ApiError(404, "batch_not_found", "no audit batch with this validator and id");
      const { records, evidenceRoot, evidenceCid, endpoint } = row.batch;
      if (evidenceRoot === null) throw new ApiError(404, "evidence_missing", "the batch was recorded without evidence");
      const key = `${node}/${batchId}`;
      let batch = verified.get(key);
      if (batch === undefined) {
        const blob = await fetchBlob(endpoint, batchId);
        try {
          batch = verifyBatchEvidence(domain, { batchId, records: decodeAuditRecords(records), evidenceRoot }, blob);
        } catch (error) {
          if (error instanceof AuditEvidenceError) throw new ApiError(422, "evidence_invalid", "the validator's evidence blob does not match the batch on chain");
          throw error;
        }
        if (verified.size >= MAX_CACHED_BATCHES) verified.delete(verified.keys().next().value!);
        verified.set(key, batch);
      }
      const entry = batch[index];
      if (entry === undefined) throw new ApiError(404, "not_found", "the batch has no record with this index");
      return respond(
        c,
        version.head,
        stringify({
          validator: node,
          batchId,
          index,
          evidenceRoot,
          evidenceCid,
          record: entry.record,
          evidence: evidenceJson(entry.evidence),
          proof: entry.proof,
          verdict: entry.verdict,
        }),
      );
    } catch (error) {
      return errorResponse(c, error);
    }
  });
}
