/**
 * node/protocol/auditEvidence.ts, auditEvidenceBlob.ts and auditVerify.ts against the second
 * implementation of the same hashes in test/contracts/helpers/auditEvidence.ts (ethers), which the
 * contract tests hold to AuditEvidence.sol: equal leaves and roots for account, session and bulk
 * requests; the blob round-trips; the off-chain verdicts are the contract's.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ethers } from "ethers";
import { bytesToHex, type Address, type Hex } from "viem";
import * as reference from "../../contracts/helpers/auditEvidence.js";
import { auditLeaf, canonicalEvidence, evidenceRoot, evidenceTree, type AuditEvidence, type EvidencedRecord } from "../../../node/protocol/auditEvidence.js";
import { encodeEvidenceBlob, parseEvidenceBlob } from "../../../node/protocol/auditEvidenceBlob.js";
import { verifyBatchEvidence, verifyRecordEvidence } from "../../../node/protocol/auditVerify.js";

const domain = { chainId: 31337n, verifyingContract: "0x5FbDB2315678afecb367f032d93F642f64180aa3" as Address };
const now = 1_800_000_000;
const ids = [1, 2, 3].map((i) => ethers.id(`content-${i}`) as Hex);

function fromReference(entry: reference.Entry): EvidencedRecord {
  const e = entry.evidence;
  const evidence: AuditEvidence = {
    clientPublicKey: e.clientPublicKey,
    nonce: e.nonce,
    expiry: e.expiry,
    signature: ethers.getBytes(e.signature),
  };
  if (e.bulkContentIds !== undefined) evidence.bulkContentIds = e.bulkContentIds as Hex[];
  if (e.grant !== undefined) evidence.grant = { ...e.grant, account: e.grant.account.toLowerCase() as Address, signature: ethers.getBytes(e.grant.signature) };
  const r = entry.record;
  return {
    record: { contentId: r.contentId as Hex, requester: r.requester.toLowerCase() as Address, requestDigest: r.requestDigest as Hex, servedAt: BigInt(r.servedAt) },
    evidence,
  };
}

function batch(): { ref: reference.Entry[]; ours: EvidencedRecord[] } {
  const session = reference.sessionReader(domain, now + 3_600);
  const ref = [
    reference.singleRecord(domain, reference.accountReader(), ids[0]!, now),
    reference.singleRecord(domain, session, ids[1]!, now),
    ...reference.bulkRecords(domain, reference.accountReader(), ids, now),
    ...reference.bulkRecords(domain, session, [ids[2]!], now),
  ];
  return { ref, ours: ref.map(fromReference) };
}

describe("audit evidence", () => {
  it("leaves and root: the same as the contract's hashes (ethers implementation)", () => {
    const { ref, ours } = batch();
    ours.forEach((entry, i) => assert.equal(auditLeaf(entry.record, entry.evidence), reference.leaf(ref[i]!)));
    assert.equal(evidenceTree(ours).root, reference.tree(ref).root);
  });

  it("evidenceRoot: SimpleMerkleTree's root for every size from 1 to 300", () => {
    const { ours } = batch();
    const entries = Array.from({ length: 300 }, (_, i) => ({ ...ours[i % ours.length]!, record: { ...ours[i % ours.length]!.record, servedAt: BigInt(i) } }));
    for (let n = 1; n <= entries.length; n++) assert.equal(evidenceRoot(entries.slice(0, n)), evidenceTree(entries.slice(0, n)).root, `${n} leaves`);
  });

  it("verdict: every record of account, session and bulk requests is valid", () => {
    for (const entry of batch().ours) assert.deepEqual(verifyRecordEvidence(domain, entry.record, entry.evidence), { valid: true });
  });

  it("blob: round-trips records, evidence, shared grants and bulk requests; the batch verifies from it", () => {
    const { ours } = batch();
    const blob = encodeEvidenceBlob(7n, [...ours, { record: ours[0]!.record, evidence: undefined }]);
    const parsed = parseEvidenceBlob(blob);
    assert.equal(parsed.batchId, 7n);
    assert.equal(JSON.parse(new TextDecoder().decode(blob)).grants.length, 1, "one session grant, once");
    assert.equal(JSON.parse(new TextDecoder().decode(blob)).bulkRequests.length, 2, "each bulk request once");
    assert.equal(evidenceTree(parsed.records).root, evidenceTree([...ours, { record: ours[0]!.record, evidence: undefined }]).root);
    const records = parsed.records.map((e) => ({ ...e.record, servedAt: BigInt(e.record.servedAt) }));
    const root = evidenceTree(parsed.records).root as Hex;
    const verified = verifyBatchEvidence(domain, { batchId: 7n, records, evidenceRoot: root }, blob);
    assert.deepEqual(
      verified.map((v) => v.verdict),
      [...ours.map(() => ({ valid: true })), { valid: false, code: "EVIDENCE_MISSING" }],
    );
    assert.ok(verified.every((v) => v.proof.length > 0));
  });

  it("error: a blob of another batch, other records or another root is refused as a whole", () => {
    const { ours } = batch();
    const blob = encodeEvidenceBlob(7n, ours);
    const records = ours.map((e) => ({ ...e.record, servedAt: BigInt(e.record.servedAt) }));
    const root = evidenceTree(ours).root as Hex;
    const refused = { name: "AuditEvidenceError", code: "AUDIT_EVIDENCE_ROOT_MISMATCH" };
    assert.throws(() => verifyBatchEvidence(domain, { batchId: 8n, records, evidenceRoot: root }, blob), refused);
    assert.throws(() => verifyBatchEvidence(domain, { batchId: 7n, records: records.slice(1), evidenceRoot: root }, blob), refused);
    assert.throws(() => verifyBatchEvidence(domain, { batchId: 7n, records, evidenceRoot: bytesToHex(new Uint8Array(32)) }, blob), refused);
  });

  it("error: malformed blobs are AUDIT_EVIDENCE_MALFORMED", () => {
    const good = JSON.parse(new TextDecoder().decode(encodeEvidenceBlob(1n, batch().ours)));
    const variants: unknown[] = [
      "not json",
      { ...good, format: "other" },
      { ...good, records: [] },
      { ...good, extra: 1 },
      { ...good, records: [{ ...good.records[0], requester: "0x12" }] },
      { ...good, records: [{ ...good.records[1], evidence: { ...good.records[1].evidence, grant: 5 } }] },
      { ...good, records: [{ ...good.records[0], evidence: { ...good.records[0].evidence, signature: "0x00" } }] },
      { ...good, records: [null] },
      { ...good, grants: [{ ...good.grants[0], nonce: "-1" }] },
    ];
    for (const variant of variants) {
      const bytes = new TextEncoder().encode(typeof variant === "string" ? variant : JSON.stringify(variant));
      assert.throws(() => parseEvidenceBlob(bytes), { name: "AuditEvidenceError", code: "AUDIT_EVIDENCE_MALFORMED" }, JSON.stringify(variant).slice(0, 80));
    }
  });

  it("verdict: tampered evidence gets the contract's reason", () => {
    const [account, session] = batch().ours;
    const cases: [AuditEvidence, string][] = [
      [{ ...account!.evidence!, nonce: account!.evidence!.nonce + 1n }, "REQUEST_MISMATCH"],
      [{ ...account!.evidence!, expiry: now }, "SERVED_AFTER_EXPIRY"],
      [{ ...account!.evidence!, signature: session!.evidence!.grant!.signature }, "SIGNATURE_INVALID"],
      [{ ...session!.evidence!, grant: { ...session!.evidence!.grant!, nonce: 1n } }, "GRANT_INVALID"],
      [{ ...session!.evidence!, signature: new Uint8Array(64) }, "SIGNATURE_INVALID"],
    ];
    for (const [evidence, code] of cases) {
      const record = evidence.grant === undefined ? account!.record : session!.record;
      assert.deepEqual(verifyRecordEvidence(domain, record, evidence), { valid: false, code }, code);
    }
  });

  it("canonicalEvidence: a high-s signature is folded to the low one, and verifies", () => {
    const [account, session] = batch().ours;
    for (const [entry, n] of [
      [session!, reference.P256_N],
      [account!, BigInt("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141")],
    ] as const) {
      const sig = entry.evidence!.signature;
      const high = new Uint8Array(sig);
      high.set(ethers.getBytes(ethers.toBeHex(n - BigInt(bytesToHex(sig.subarray(32, 64))), 32)), 32);
      if (high.length === 65) high[64] = high[64] === 27 ? 28 : 27;
      const evidence = { ...entry.evidence!, signature: high };
      assert.equal(verifyRecordEvidence(domain, entry.record, evidence).valid, false, "a high s is refused, as on chain");
      const canonical = canonicalEvidence(evidence);
      assert.deepEqual(canonical.signature, sig);
      assert.deepEqual(verifyRecordEvidence(domain, entry.record, canonical), { valid: true });
    }
  });
});
