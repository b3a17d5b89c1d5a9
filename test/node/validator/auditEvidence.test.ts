/**
 * Verifiable audit batches on the running network (issue #25): real daemons, chain and Ponder
 * indexer. Readers' account-signed, session and bulk requests are served; every record of every
 * batch the validator sent verifies with `dekmesh audit verify` (a real CLI process) and with
 * RewrapAuditLog.verifyRecord; a tampered blob, another batch's blob, a wrong proof and another
 * batch's evidence are refused with their typed reasons; a batch without its blob is "evidence
 * missing". The indexer answers a record with its evidence and proof.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { BaseError, ContractFunctionRevertedError, type Address, type Hex } from "viem";
import { CONTRACT_ABIS } from "../../../node/chain/abis.js";
import { contractEvidence, contractRecord } from "../../../node/protocol/auditEvidence.js";
import { verifyBatchEvidence, type VerifiedRecord } from "../../../node/protocol/auditVerify.js";
import { encodeBulkRequest, encodeRewrapRequest, type SignedRewrapBulkRequest, type SignedRewrapRequest } from "../../../node/protocol/rewrap/index.js";
import type { Validator } from "../../../node/validator/index.js";
import { Net, devAccount, eventually, removeTempDirs } from "./helpers.js";
import { Reader } from "./rewrap/helpers.js";

const CLI = fileURLToPath(new URL("../../../node/cli/main.ts", import.meta.url));

let net: Net;
let validator: Validator;
const contents: Hex[] = [];
let blobServer: Server;
let served: Map<string, Uint8Array | undefined>;

function dekmesh(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("DEKMESH_"))) };
  const network = ["--rpc-url", net.stack.chain.url, "--deployment", net.stack.deployment.file, "--indexer-url", net.indexerUrl];
  return new Promise((resolve) => {
    execFile(process.execPath, ["--import", "tsx", CLI, ...args, ...network, "--json"], { env, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

before(async () => {
  net = await Net.start();
  validator = await net.startValidator(0);
  const publisher = devAccount(5);
  const policyId = await net.createPolicy(publisher, "all");
  for (let i = 0; i < 3; i++) contents.push((await net.registerContent(publisher, policyId, validator)).contentId);
  await net.synced();
  // A stand-in endpoint serving whatever blob a case puts in `served` (404 for none).
  served = new Map();
  blobServer = createServer((request, response) => {
    const blob = served.get(request.url ?? "");
    if (blob === undefined) return void response.writeHead(404).end();
    response.writeHead(200, { "content-type": "application/json" }).end(blob);
  });
  await new Promise<void>((resolve) => blobServer.listen(0, "127.0.0.1", resolve));
});

after(async () => {
  blobServer?.close();
  await validator?.stop().catch(() => {});
  await net?.stop();
  removeTempDirs();
});

async function post(path: string, body: string): Promise<void> {
  const response = await fetch(`${validator.httpUrl}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body, signal: AbortSignal.timeout(10_000) });
  assert.equal(response.status, 200, await response.text());
}

/** The batches the validator has on chain with their evidence, once its outbox is drained. */
async function recordedBatches(): Promise<{ batchId: bigint; verified: VerifiedRecord[]; blob: Uint8Array }[]> {
  await eventually(async () => validator.store.stats().unbatchedAuditRecords === 0 && (await validator.store.pendingBatches()).length === 0, 30_000, "the outbox drained");
  const { getAuditBatch } = await import("../../../node/chain/actions/getAuditBatch.js");
  const chain = await chainOf();
  const out = [];
  const domain = { chainId: BigInt(net.stack.chain.chainId), verifyingContract: net.addresses.RewrapAuditLog };
  for (let batchId = 1n; ; batchId++) {
    const batch = await getAuditBatch(chain, { validator: validator.address, batchId });
    if (batch === undefined) break;
    assert.ok(batch.evidence, `batch ${batchId} committed to its evidence`);
    const response = await fetch(`${validator.httpUrl}/v1/audit/${batchId}`);
    assert.equal(response.status, 200);
    const blob = new Uint8Array(await response.arrayBuffer());
    out.push({ batchId, blob, verified: verifyBatchEvidence(domain, { batchId, records: batch.records, evidenceRoot: batch.evidence.root }, blob) });
  }
  return out;
}

async function chainOf() {
  const { createChainClients, loadDeployment } = await import("../../../node/chain/index.js");
  return createChainClients({ rpcUrl: net.stack.chain.url, deployment: loadDeployment(net.stack.deployment.file), pollingIntervalMs: 50 });
}

function verifyOnChain(batchId: bigint, entry: Pick<VerifiedRecord, "record" | "evidence" | "proof">) {
  return net.public.readContract({
    address: net.addresses.RewrapAuditLog,
    abi: CONTRACT_ABIS.RewrapAuditLog,
    functionName: "verifyRecord",
    args: [validator.address, batchId, contractRecord(entry.record), contractEvidence(entry.evidence!), entry.proof],
  } as never);
}

async function revertName(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (error) {
    const revert = error instanceof BaseError ? error.walk((e) => e instanceof ContractFunctionRevertedError) : undefined;
    if (revert instanceof ContractFunctionRevertedError) return revert.data?.errorName ?? "unknown";
    throw error;
  }
  return "none";
}

describe("verifiable audit batches", () => {
  it("every record of every batch verifies: CLI exit 0 and the contract view; refusals are typed", async () => {
    const domain = { chainId: BigInt(net.stack.chain.chainId), verifyingContract: net.addresses.RewrapAuditLog as Address };
    const reader = new Reader(devAccount(6), domain);
    await reader.startSession();
    const requests: SignedRewrapRequest[] = [];
    for (const contentId of contents) requests.push(await reader.request(contentId), reader.sessionRequest(contentId));
    const bulks: SignedRewrapBulkRequest[] = [await reader.bulk(contents), await reader.bulk(contents, { session: true })];
    await Promise.all([
      ...requests.map((signed) => post("/v1/rewrap", encodeRewrapRequest(signed))),
      ...bulks.map((signed) => post("/v1/rewrap/bulk", encodeBulkRequest(signed))),
    ]);

    const batches = await recordedBatches();
    const records = batches.flatMap((b) => b.verified);
    assert.equal(records.length, requests.length + bulks.length * contents.length);
    for (const { batchId, verified } of batches) {
      for (const entry of verified) {
        assert.deepEqual(entry.verdict, { valid: true });
        await verifyOnChain(batchId, entry);
      }
    }
    // The CLI (each run is a process of its own: two batches at most, to keep the file short).
    const runs = await Promise.all([
      ...batches.slice(0, 2).map(({ batchId }) => dekmesh(["audit", "verify", "--validator", validator.address, "--batch", String(batchId)])),
      dekmesh(["audit", "verify", "--validator", validator.address, "--batch", "1", "--index", "0"]),
    ]);
    runs.forEach((run, i) => {
      assert.equal(run.code, 0, run.stderr + run.stdout);
      const report = JSON.parse(run.stdout) as { status: string; records: unknown[] };
      assert.equal(report.status, "valid");
      assert.equal(report.records.length, i < runs.length - 1 ? batches[i]!.verified.length : 1);
    });

    // The indexer answers a record with its evidence and proof (the blob from the validator's API).
    await net.synced();
    const last = batches[batches.length - 1]!;
    const index = last.verified.length - 1;
    const answered = await eventually(async () => {
      const response = await fetch(`${net.indexerUrl}/audit/${validator.address}/${last.batchId}/${index}`);
      return response.status === 200 ? response : undefined;
    }, 20_000, "the indexer has the batch's evidence commitment");
    const answer = (await answered.json()) as {
      record: { requestDigest: string };
      proof: Hex[];
      verdict: unknown;
      evidenceCid: string;
    };
    assert.deepEqual(answer.verdict, { valid: true });
    assert.deepEqual(answer.proof, last.verified[index]!.proof);
    assert.equal(answer.record.requestDigest, last.verified[index]!.record.requestDigest);
    await verifyOnChain(last.batchId, { ...last.verified[index]!, proof: answer.proof });
    const unknown = await fetch(`${net.indexerUrl}/audit/${validator.address}/999/0`);
    assert.equal(unknown.status, 404);
    assert.equal(((await unknown.json()) as { error: { code: string } }).error.code, "batch_not_found");

    // The contract refuses a tampered record, a wrong proof and another batch's evidence.
    const [first] = batches;
    const entry = first!.verified[0]!;
    assert.equal(await revertName(verifyOnChain(first!.batchId, { ...entry, evidence: { ...entry.evidence!, nonce: entry.evidence!.nonce + 1n } })), "RewrapAuditLogEvidenceNotInBatch");
    assert.equal(await revertName(verifyOnChain(first!.batchId, { ...entry, proof: [] })), "RewrapAuditLogEvidenceNotInBatch");
    assert.equal(await revertName(verifyOnChain(first!.batchId + 100n, entry)), "RewrapAuditLogNoEvidence");

    // The CLI against a stand-in endpoint: a tampered blob and another batch's blob are invalid
    // (exit 6), no blob is evidence missing (exit 3).
    const endpoint = `http://127.0.0.1:${(blobServer.address() as AddressInfo).port}`;
    const path = `/v1/audit/${first!.batchId}`;
    const text = new TextDecoder().decode(first!.blob);
    const nonce = (JSON.parse(text) as { records: { evidence: { nonce: string } }[] }).records[0]!.evidence.nonce;
    served.set(path, new TextEncoder().encode(text.replace(`"nonce":"${nonce}"`, `"nonce":"${BigInt(nonce) + 1n}"`)));
    // Each case under a path of its own, so the runs go together: batch 1's blob altered, batch
    // 1 served with another batch's blob, and no blob at all.
    const other = batches[1]?.blob ?? new TextEncoder().encode(text.replace(`"batchId":"${first!.batchId}"`, `"batchId":"${first!.batchId + 1n}"`));
    const cases: [string, Uint8Array | undefined, number][] = [
      [`${endpoint}/tampered/`, served.get(path), 6],
      [`${endpoint}/other/`, other, 6],
      [`${endpoint}/none/`, undefined, 3],
    ];
    for (const [base, blob] of cases) served.set(`${new URL(base).pathname}v1/audit/${first!.batchId}`, blob);
    const verdicts = await Promise.all([
      ...cases.map(([base]) => dekmesh(["audit", "verify", "--validator", validator.address, "--batch", String(first!.batchId), "--endpoint", base])),
      dekmesh(["audit", "verify", "--validator", validator.address, "--batch", "999"]),
    ]);
    assert.deepEqual(verdicts.map((run) => run.code), [...cases.map(([, , code]) => code), 3], verdicts.map((r) => r.stderr + r.stdout).join("\n"));
  });
});
