import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { addValidator, deployFixture } from "./helpers/fixtures";
import {
  accountReader,
  bulkRecords,
  contractEvidence,
  contractRecord,
  packRecords,
  P256_N,
  sessionReader,
  singleRecord,
  tree as evidenceTree,
  type Domain,
  type Entry,
  type Evidence,
} from "./helpers/auditEvidence";

const CID = "0x01551220" + "ab".repeat(32); // a CIDv1 raw sha2-256, as bytes

async function evidenceFixture() {
  const sys = await deployFixture();
  const [v, other] = sys.nodes;
  await addValidator(sys, v);
  await addValidator(sys, other);
  const domain: Domain = { chainId: 31337n, verifyingContract: await sys.audit.getAddress() };
  const now = await time.latest();
  const ids = Array.from({ length: 4 }, (_, i) => ethers.id(`content-${i}`));
  const session = sessionReader(domain, now + 3_600);
  const records: Entry[] = [
    singleRecord(domain, accountReader(), ids[0]!, now),
    singleRecord(domain, session, ids[1]!, now),
    singleRecord(domain, session, ids[2]!, now),
    ...bulkRecords(domain, accountReader(), [ids[0]!, ids[3]!], now),
    ...bulkRecords(domain, sessionReader(domain, now + 3_600), [ids[1]!, ids[2]!], now),
  ];
  return { ...sys, v, other, domain, now, ids, records };
}

type System = Awaited<ReturnType<typeof evidenceFixture>>;

async function commit(sys: System, batchId: number, records: Entry[]) {
  const tree = evidenceTree(records);
  const packed = packRecords(records.map((r) => r.record));
  await sys.audit.connect(sys.v).recordVerifiableRewraps(batchId, packed, tree.root, CID);
  return { tree, packed };
}

function verifyCall(sys: System, batchId: number, entry: Entry, proof: string[], validator = sys.v.address) {
  return sys.audit.verifyRecord(validator, batchId, contractRecord(entry.record), contractEvidence(entry.evidence), proof);
}

/** A copy of `entry` whose evidence the validator changed before committing (it is in the tree; its check fails). */
function withEvidence(entry: Entry, change: Partial<Evidence>): Entry {
  return { record: entry.record, evidence: { ...entry.evidence, ...change } };
}

describe("RewrapAuditLog evidence", () => {
  it("recordVerifiableRewraps_emitsTheRecordsAndTheCommitment", async () => {
    const sys = await loadFixture(evidenceFixture);
    const tree = evidenceTree(sys.records);
    const packed = packRecords(sys.records.map((r) => r.record));
    const tx = sys.audit.connect(sys.v).recordVerifiableRewraps(1, packed, tree.root, CID);
    await expect(tx).to.emit(sys.audit, "RewrapBatchRecorded").withArgs(sys.v.address, 1, packed);
    await expect(tx).to.emit(sys.audit, "RewrapBatchEvidenceCommitted").withArgs(sys.v.address, 1, tree.root, CID);
    expect(await sys.audit.evidenceRoot(sys.v.address, 1)).to.equal(tree.root);
    expect(await sys.audit.nextBatchId(sys.v.address)).to.equal(2);
  });

  it("verifyRecord_acceptsEveryRecordOfABatch_accountSessionAndBulk", async () => {
    const sys = await loadFixture(evidenceFixture);
    const { tree, packed } = await commit(sys, 1, sys.records);
    for (const [i, entry] of sys.records.entries()) await verifyCall(sys, 1, entry, tree.getProof(i)); // reverts if invalid
    expect(ethers.dataLength(packed)).to.equal(92 * sys.records.length);
  });

  it("verifyRecord_revertsOnTamperedEvidenceWrongProofOrAnotherBatchsEvidence", async () => {
    const sys = await loadFixture(evidenceFixture);
    const first = await commit(sys, 1, sys.records.slice(0, 4));
    const second = await commit(sys, 2, sys.records.slice(4));
    const entry = sys.records[0]!;
    const notInBatch = (p: Promise<unknown>, batchId: number) =>
      expect(p).to.be.revertedWithCustomError(sys.audit, "RewrapAuditLogEvidenceNotInBatch").withArgs(sys.v.address, batchId);
    await notInBatch(verifyCall(sys, 1, withEvidence(entry, { nonce: entry.evidence.nonce + 1n }), first.tree.getProof(0)), 1);
    await notInBatch(verifyCall(sys, 1, { ...entry, record: { ...entry.record, servedAt: 1 } }, first.tree.getProof(0)), 1);
    await notInBatch(verifyCall(sys, 1, entry, first.tree.getProof(1)), 1);
    await notInBatch(verifyCall(sys, 1, entry, []), 1);
    await notInBatch(verifyCall(sys, 1, sys.records[4]!, second.tree.getProof(0)), 1);
    await notInBatch(verifyCall(sys, 2, entry, first.tree.getProof(0)), 2);
    // Another validator's batch 1, and a batch with no evidence.
    await expect(verifyCall(sys, 1, entry, first.tree.getProof(0), sys.other.address))
      .to.be.revertedWithCustomError(sys.audit, "RewrapAuditLogNoEvidence")
      .withArgs(sys.other.address, 1);
    await sys.audit.connect(sys.v).recordRewraps(3, first.packed);
    await expect(verifyCall(sys, 3, entry, first.tree.getProof(0)))
      .to.be.revertedWithCustomError(sys.audit, "RewrapAuditLogNoEvidence")
      .withArgs(sys.v.address, 3);
  });

  it("verifyRecord_revertsOnCommittedEvidenceThatDoesNotBackItsRecord", async () => {
    const sys = await loadFixture(evidenceFixture);
    const [account, session] = [sys.records[0]!, sys.records[1]!];
    const stranger = singleRecord(sys.domain, accountReader(), account.record.contentId, sys.now).evidence;
    const cases: [Entry, string][] = [
      // A fabricated record: another reader's signature over the same fields.
      [withEvidence(account, { signature: stranger.signature }), "RewrapAuditLogSignatureInvalid"],
      [withEvidence(account, { nonce: account.evidence.nonce + 1n }), "RewrapAuditLogRequestMismatch"],
      [withEvidence(account, { expiry: Number(account.record.servedAt) }), "RewrapAuditLogServedAfterExpiry"],
      [withEvidence(account, { clientPublicKey: new Uint8Array(32) }), "RewrapAuditLogMalformedEvidence"],
      [withEvidence(account, { bulkContentIds: [sys.ids[3]!] }), "RewrapAuditLogRequestMismatch"],
      [withEvidence(session, { grant: { ...session.evidence.grant!, nonce: 99n } }), "RewrapAuditLogGrantInvalid"],
      [withEvidence(session, { grant: { ...session.evidence.grant!, expiry: Number(session.record.servedAt) } }), "RewrapAuditLogGrantInvalid"],
      [withEvidence(session, { signature: sys.records[2]!.evidence.signature }), "RewrapAuditLogSignatureInvalid"],
      [{ record: { ...session.record, requester: account.record.requester }, evidence: session.evidence }, "RewrapAuditLogGrantInvalid"],
    ];
    const { tree } = await commit(sys, 1, cases.map(([entry]) => entry));
    for (const [i, [entry, error]] of cases.entries()) {
      await expect(verifyCall(sys, 1, entry, tree.getProof(i)), error).to.be.revertedWithCustomError(sys.audit, error);
    }
  });

  it("verifyRecord_revertsOnAHighSSessionSignature", async () => {
    // The P256 library refuses a high s (malleability), so the validator folds s into the low
    // half before committing (canonicalEvidence); an unfolded one would not verify.
    const sys = await loadFixture(evidenceFixture);
    const session = sys.records[1]!;
    const sig = ethers.getBytes(session.evidence.signature);
    const high = ethers.concat([sig.subarray(0, 32), ethers.toBeHex(P256_N - BigInt(ethers.hexlify(sig.subarray(32))), 32)]);
    const entry = withEvidence(session, { signature: high });
    const { tree } = await commit(sys, 1, [entry, session]);
    await expect(verifyCall(sys, 1, entry, tree.getProof(0))).to.be.revertedWithCustomError(sys.audit, "RewrapAuditLogSignatureInvalid");
    await verifyCall(sys, 1, session, tree.getProof(1));
  });

  it("recordVerifiableRewraps_revertsOnABadCommitmentAnUnauthorizedCallerOrAReplay", async () => {
    const sys = await loadFixture(evidenceFixture);
    const { root } = evidenceTree(sys.records);
    const packed = packRecords(sys.records.map((r) => r.record));
    for (const [r, cid] of [[ethers.ZeroHash, CID], [root, "0x"], [root, "0x" + "00".repeat(65)]]) {
      await expect(sys.audit.connect(sys.v).recordVerifiableRewraps(1, packed, r!, cid!)).to.be.revertedWithCustomError(
        sys.audit,
        "RewrapAuditLogInvalidEvidenceCommitment",
      );
    }
    await expect(sys.audit.connect(sys.stranger).recordVerifiableRewraps(1, packed, root, CID))
      .to.be.revertedWithCustomError(sys.audit, "RewrapAuditLogValidatorNotActive")
      .withArgs(sys.stranger.address);
    await expect(sys.audit.connect(sys.v).recordVerifiableRewraps(1, "0x", root, CID)).to.be.revertedWithCustomError(sys.audit, "RewrapAuditLogInvalidBatch");
    await sys.audit.connect(sys.v).recordVerifiableRewraps(1, packed, root, CID);
    await expect(sys.audit.connect(sys.v).recordVerifiableRewraps(1, packed, root, CID))
      .to.be.revertedWithCustomError(sys.audit, "RewrapAuditLogBatchOutOfOrder")
      .withArgs(sys.v.address, 2, 1);
    expect(await sys.audit.evidenceRoot(sys.v.address, 1)).to.equal(root);
  });

  it("recordAt_returnsARecordOfTheCommittedBatchOnly", async () => {
    const sys = await loadFixture(evidenceFixture);
    const { packed } = await commit(sys, 1, sys.records);
    const third = await sys.audit.recordAt(sys.v.address, 1, packed, 2);
    expect([third.contentId, third.requester.toLowerCase(), third.requestDigest, third.servedAt]).to.deep.equal([
      sys.records[2]!.record.contentId,
      sys.records[2]!.record.requester,
      sys.records[2]!.record.requestDigest,
      BigInt(sys.records[2]!.record.servedAt),
    ]);
    const notTheBatch = (p: Promise<unknown>) =>
      expect(p).to.be.revertedWithCustomError(sys.audit, "RewrapAuditLogNotTheBatch").withArgs(sys.v.address, 1);
    await notTheBatch(sys.audit.recordAt(sys.v.address, 1, packed, sys.records.length));
    await notTheBatch(sys.audit.recordAt(sys.v.address, 1, ethers.dataSlice(packed, 92), 0));
    await expect(sys.audit.recordAt(sys.v.address, 2, packed, 0)).to.be.revertedWithCustomError(sys.audit, "RewrapAuditLogNoEvidence");
  });
});
