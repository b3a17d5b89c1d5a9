import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { addValidator, deployFixture, TOKEN } from "./helpers/fixtures";

function record(i: number, requester: string) {
  return {
    contentId: ethers.id(`content-${i}`),
    requester,
    requestDigest: ethers.id(`request-${i}`),
    servedAt: 1_700_000_000 + i,
  };
}

async function auditFixture() {
  const sys = await deployFixture();
  const [v, exiting, jailed, revoked, registeredOnly] = sys.nodes;
  for (const n of [v, exiting, jailed, revoked]) await addValidator(sys, n);
  await addValidator(sys, registeredOnly, 0n);
  return { ...sys, v, exiting, jailed, revoked, registeredOnly };
}

describe("RewrapAuditLog", () => {
  it("recordRewraps_emitsTheBatchWithEveryRecordInOrder", async () => {
    const sys = await loadFixture(auditFixture);
    const records = [record(1, sys.reader.address), record(2, sys.stranger.address)];
    const tx = sys.audit.connect(sys.v).recordRewraps(1, records);
    await expect(tx)
      .to.emit(sys.audit, "RewrapBatchRecorded")
      .withArgs(sys.v.address, 1, records.map((r) => [r.contentId, r.requester, r.requestDigest, r.servedAt]));
    const receipt = await (await tx).wait();
    expect(receipt!.logs).to.have.length(1, "one log per batch, none per record");
    expect(await sys.audit.nextBatchId(sys.v.address)).to.equal(2);
  });

  it("recordRewraps_revertsOnReplayedOrSkippedBatch", async () => {
    const sys = await loadFixture(auditFixture);
    const records = [record(1, sys.reader.address)];
    await sys.audit.connect(sys.v).recordRewraps(1, records);
    await expect(sys.audit.connect(sys.v).recordRewraps(1, records))
      .to.be.revertedWithCustomError(sys.audit, "RewrapAuditLogBatchOutOfOrder")
      .withArgs(sys.v.address, 2, 1);
    await expect(sys.audit.connect(sys.v).recordRewraps(3, records))
      .to.be.revertedWithCustomError(sys.audit, "RewrapAuditLogBatchOutOfOrder")
      .withArgs(sys.v.address, 2, 3);
    // Batch ids are per validator.
    await expect(sys.audit.connect(sys.exiting).recordRewraps(1, records)).to.emit(sys.audit, "RewrapBatchRecorded");
  });

  it("recordRewraps_revertsOnEmptyOrOversizedBatch", async () => {
    const sys = await loadFixture(auditFixture);
    await expect(sys.audit.connect(sys.v).recordRewraps(1, []))
      .to.be.revertedWithCustomError(sys.audit, "RewrapAuditLogInvalidBatch")
      .withArgs(0);
    const many = Array.from({ length: 501 }, (_, i) => record(i, sys.reader.address));
    await expect(sys.audit.connect(sys.v).recordRewraps(1, many))
      .to.be.revertedWithCustomError(sys.audit, "RewrapAuditLogInvalidBatch")
      .withArgs(501);
  });

  it("recordRewraps_revertsForEveryNonActiveValidator", async () => {
    const sys = await loadFixture(auditFixture);
    await sys.validators.connect(sys.operator).requestExit(sys.exiting.address);
    await sys.validators.connect(sys.adjudicator).slash(sys.jailed.address, TOKEN, ethers.ZeroHash);
    await sys.validators.connect(sys.operator).revokeNode(sys.revoked.address);
    for (const who of [sys.exiting, sys.jailed, sys.revoked, sys.registeredOnly, sys.stranger]) {
      await expect(sys.audit.connect(who).recordRewraps(1, [record(1, sys.reader.address)]))
        .to.be.revertedWithCustomError(sys.audit, "RewrapAuditLogValidatorNotActive")
        .withArgs(who.address);
      expect(await sys.audit.nextBatchId(who.address)).to.equal(1);
    }
  });
});
