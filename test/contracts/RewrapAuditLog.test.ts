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

type AuditRecord = ReturnType<typeof record>;

/** IRewrapAuditLog's packed form: 92 bytes per record. */
function pack(records: AuditRecord[]): string {
  return ethers.concat(
    records.map((r) => ethers.solidityPacked(["bytes32", "address", "bytes32", "uint64"], [r.contentId, r.requester, r.requestDigest, r.servedAt])),
  );
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
    const records = pack([record(1, sys.reader.address), record(2, sys.stranger.address)]);
    expect(ethers.dataLength(records)).to.equal(2 * 92);
    const tx = sys.audit.connect(sys.v).recordRewraps(1, records);
    await expect(tx).to.emit(sys.audit, "RewrapBatchRecorded").withArgs(sys.v.address, 1, records);
    const receipt = await (await tx).wait();
    expect(receipt!.logs).to.have.length(1, "one log per batch, none per record");
    expect(await sys.audit.RECORD_SIZE()).to.equal(92);
    expect(await sys.audit.nextBatchId(sys.v.address)).to.equal(2);
  });

  it("recordRewraps_revertsOnReplayedOrSkippedBatch", async () => {
    const sys = await loadFixture(auditFixture);
    const records = pack([record(1, sys.reader.address)]);
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

  it("recordRewraps_revertsOnEmptyOversizedOrPartialBatch", async () => {
    const sys = await loadFixture(auditFixture);
    const records = (n: number) => pack(Array.from({ length: n }, (_, i) => record(i, sys.reader.address)));
    const two = records(2);
    // Empty, more than 1,000 records, and lengths that are not whole records (one byte short or over).
    for (const bad of ["0x", records(1001), ethers.dataSlice(two, 0, 91), ethers.dataSlice(two, 0, 93), ethers.dataSlice(two, 0, 183)]) {
      await expect(sys.audit.connect(sys.v).recordRewraps(1, bad))
        .to.be.revertedWithCustomError(sys.audit, "RewrapAuditLogInvalidBatch")
        .withArgs(ethers.dataLength(bad));
    }
    expect(await sys.audit.nextBatchId(sys.v.address)).to.equal(1, "a refused batch uses no id");
    await expect(sys.audit.connect(sys.v).recordRewraps(1, records(1000))).to.emit(sys.audit, "RewrapBatchRecorded");
  });

  it("recordRewraps_revertsForEveryNonActiveValidatorButAnExitingOne", async () => {
    const sys = await loadFixture(auditFixture);
    await sys.validators.connect(sys.operator).requestExit(sys.exiting.address);
    await sys.validators.connect(sys.adjudicator).slash(sys.jailed.address, TOKEN, ethers.ZeroHash);
    await sys.validators.connect(sys.operator).revokeNode(sys.revoked.address);
    for (const who of [sys.jailed, sys.revoked, sys.registeredOnly, sys.stranger]) {
      expect(await sys.validators.leftActiveSetAt(who.address)).to.equal(0);
      await expect(sys.audit.connect(who).recordRewraps(1, pack([record(1, sys.reader.address)])))
        .to.be.revertedWithCustomError(sys.audit, "RewrapAuditLogValidatorNotActive")
        .withArgs(who.address);
      expect(await sys.audit.nextBatchId(who.address)).to.equal(1);
    }
  });

  describe("an exiting validator", () => {
    async function exitingFixture() {
      const sys = await auditFixture();
      const tx = await sys.validators.connect(sys.operator).requestExit(sys.exiting.address);
      const leftAt = (await ethers.provider.getBlock((await tx.wait())!.blockNumber))!.timestamp;
      const at = (servedAt: number, i = 1) => ({ ...record(i, sys.reader.address), servedAt });
      return { ...sys, leftAt, at };
    }

    it("recordRewraps_acceptsRewrapsServedBeforeItsExitAndWithinTheGrace", async () => {
      const sys = await loadFixture(exitingFixture);
      expect(await sys.validators.leftActiveSetAt(sys.exiting.address)).to.equal(sys.leftAt);
      const grace = Number(await sys.audit.EXIT_GRACE());
      const records = pack([sys.at(sys.leftAt - 60, 1), sys.at(sys.leftAt, 2), sys.at(sys.leftAt + grace, 3)]);
      await expect(sys.audit.connect(sys.exiting).recordRewraps(1, records)).to.emit(sys.audit, "RewrapBatchRecorded").withArgs(sys.exiting.address, 1, records);
      // Batch ids stay in order: a replayed batch is refused as from an active validator.
      await expect(sys.audit.connect(sys.exiting).recordRewraps(1, records)).to.be.revertedWithCustomError(sys.audit, "RewrapAuditLogBatchOutOfOrder");
    });

    it("recordRewraps_revertsOnAnyRecordServedAfterTheGrace_andRecordsNothing", async () => {
      const sys = await loadFixture(exitingFixture);
      const late = sys.leftAt + Number(await sys.audit.EXIT_GRACE()) + 1;
      // The late record last, so every record before it was read.
      const records = pack([sys.at(sys.leftAt - 1, 1), sys.at(sys.leftAt, 2), sys.at(late, 3)]);
      await expect(sys.audit.connect(sys.exiting).recordRewraps(1, records))
        .to.be.revertedWithCustomError(sys.audit, "RewrapAuditLogServedAfterExit")
        .withArgs(sys.exiting.address, late, sys.leftAt);
      expect(await sys.audit.nextBatchId(sys.exiting.address)).to.equal(1);
      // A malformed batch is refused as such, before its records are read.
      await expect(sys.audit.connect(sys.exiting).recordRewraps(1, ethers.dataSlice(records, 0, 100)))
        .to.be.revertedWithCustomError(sys.audit, "RewrapAuditLogInvalidBatch");
    });

    it("recordRewraps_revertsOnceRevokedJailedOrExited", async () => {
      const revoked = await loadFixture(exitingFixture);
      await revoked.validators.connect(revoked.operator).revokeNode(revoked.exiting.address);
      const slashed = await loadFixture(exitingFixture);
      await slashed.validators.connect(slashed.adjudicator).slash(slashed.exiting.address, TOKEN, ethers.ZeroHash);
      const exited = await loadFixture(exitingFixture);
      await ethers.provider.send("evm_increaseTime", [Number(await exited.validators.unbondingPeriod()) + 1]);
      await exited.validators.connect(exited.operator).withdraw(exited.exiting.address);
      for (const sys of [revoked, slashed, exited]) {
        await expect(sys.audit.connect(sys.exiting).recordRewraps(1, pack([sys.at(sys.leftAt - 1)])))
          .to.be.revertedWithCustomError(sys.audit, "RewrapAuditLogValidatorNotActive")
          .withArgs(sys.exiting.address);
      }
    });
  });
});
