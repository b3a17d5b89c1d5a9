/**
 * `dekmesh audit verify --validator V --batch B [--index I]` (docs/accountability.md#checking-a-record):
 * the batch's records, evidence root and blob CID read from the chain's logs (no indexer trusted
 * for them), the evidence blob from the validator's HTTP API (GET /v1/audit/:batchId; --endpoint,
 * or the endpoint the indexer lists for it), checked against the CID and the root, then every
 * record (or record I) against its evidence with the contract's rules.
 *
 * Exit 0: every record checked is valid. 6: the blob does not match what the chain committed,
 * or a record's evidence does not back it. 3: the evidence cannot be had — no such batch, a
 * batch recorded without evidence, a record stored without it, or a blob the validator does not
 * serve.
 */
import type { Address } from "viem";
import { getAuditBatch } from "../chain/actions/getAuditBatch.js";
import { computeCid } from "../ipfs/index.js";
import { AuditEvidenceError } from "../protocol/auditEvidence.js";
import { EvidenceFetchError, fetchEvidenceBlob } from "../protocol/auditEvidenceFetch.js";
import { verifyBatchEvidence, type RecordVerdict } from "../protocol/auditVerify.js";
import { CliError, EXIT, type ExitCode } from "./exitCodes.js";
import { openChain, openIndexer } from "./network.js";
import type { Settings } from "./settings.js";

const FETCH_TIMEOUT_MS = 15_000;

export interface AuditVerifyParameters {
  validator: Address;
  batchId: bigint;
  index?: number;
  /** The validator's HTTP base URL; looked up in the indexer when absent. */
  endpoint?: string;
}

export interface AuditVerifyReport {
  validator: Address;
  batchId: string;
  status: "valid" | "invalid" | "evidence-missing";
  /** Why the batch as a whole failed, when it did. */
  reason?: string;
  evidenceRoot?: string;
  evidenceCid?: string;
  records: { index: number; contentId: string; requester: string; verdict: RecordVerdict }[];
}

export const AUDIT_VERIFY_EXIT: Record<AuditVerifyReport["status"], ExitCode> = {
  valid: EXIT.OK,
  invalid: EXIT.INTEGRITY,
  "evidence-missing": EXIT.NOT_FOUND,
};

export async function verifyAuditRecords(settings: Settings, parameters: AuditVerifyParameters): Promise<AuditVerifyReport> {
  const { validator, batchId, index } = parameters;
  const base = { validator, batchId: batchId.toString(), records: [] };
  const chain = await openChain(settings);
  const batch = await getAuditBatch(chain, { validator, batchId });
  if (batch === undefined) return { ...base, status: "evidence-missing", reason: "the validator recorded no such batch" };
  if (index !== undefined && index >= batch.records.length) {
    throw new CliError(EXIT.NOT_FOUND, "CLI_AUDIT_NO_RECORD", `batch ${batchId} has ${batch.records.length} records; there is no record ${index}`);
  }
  if (batch.evidence === undefined) return { ...base, status: "evidence-missing", reason: "the batch was recorded without evidence" };
  const committed = { ...base, evidenceRoot: batch.evidence.root, evidenceCid: batch.evidence.cid };
  const endpoint = parameters.endpoint ?? (await endpointOf(settings, validator));
  let blob: Uint8Array;
  try {
    blob = await fetchEvidenceBlob(endpoint, batchId, { timeoutMs: FETCH_TIMEOUT_MS });
  } catch (error) {
    if (!(error instanceof EvidenceFetchError)) throw error;
    if (error.code === "EVIDENCE_NOT_SERVED") return { ...committed, status: "evidence-missing", reason: "the validator does not serve the batch's evidence" };
    if (error.code === "EVIDENCE_TOO_LARGE") return { ...committed, status: "invalid", reason: error.message };
    throw new CliError(EXIT.UNAVAILABLE, "CLI_AUDIT_UNREACHABLE", `cannot get the evidence from the validator at ${endpoint}: ${error.message}`, { cause: error });
  }
  if ((await computeCid([blob])).cid !== batch.evidence.cid) return { ...committed, status: "invalid", reason: "the blob does not have the CID on chain" };
  const { chainId, addresses } = chain.deployment;
  let verified;
  try {
    verified = verifyBatchEvidence({ chainId: BigInt(chainId), verifyingContract: addresses.rewrapAuditLog }, { batchId, records: batch.records, evidenceRoot: batch.evidence.root }, blob);
  } catch (error) {
    if (error instanceof AuditEvidenceError) return { ...committed, status: "invalid", reason: error.message };
    throw error;
  }
  const records = verified
    .filter((v) => index === undefined || v.index === index)
    .map((v) => ({ index: v.index, contentId: v.record.contentId, requester: v.record.requester, verdict: v.verdict }));
  const failed = records.filter((r) => !r.verdict.valid).map((r) => (r.verdict.valid ? "" : r.verdict.code));
  const status = failed.length === 0 ? "valid" : failed.every((code) => code === "EVIDENCE_MISSING") ? "evidence-missing" : "invalid";
  return { ...committed, status, records };
}

async function endpointOf(settings: Settings, validator: Address): Promise<string> {
  const indexer = await openIndexer(settings);
  const { validators } = await indexer.activeValidators();
  const found = validators.find((v) => v.node.toLowerCase() === validator.toLowerCase());
  if (found === undefined) {
    throw new CliError(EXIT.NOT_FOUND, "CLI_AUDIT_NO_ENDPOINT", "the indexer lists no endpoint for this validator (not active?): pass --endpoint");
  }
  return found.endpoint;
}
