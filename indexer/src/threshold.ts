// ContentRegistry, threshold(m, n) contents: the dealing, slot repairs and enrollments
// (docs/threshold.md). The slots here are exactly what the contract commits to, so a node reads
// them to call repairThreshold and confirmEnrollment. Repairs also go into replica_repair, the
// history every mode's repairs share, and enrollments into holding, as confirmations.
import { replicaRepair, thresholdDealing, thresholdSlot } from "ponder:schema";
import { sliceHex } from "viem";
import { recordHolding } from "./contents.js";
import { on } from "./on.js";
import { SEALED_SHARE_LENGTH } from "../../node/protocol/threshold.js";

on("ContentRegistry:ThresholdSharesDealt", async ({ event, context }) => {
  const { contentId, m, members, drawBlock, seed, commitments, sealedShares } = event.args;
  const at = { assignedBlock: event.block.number, assignedAt: event.block.timestamp };
  await context.db.insert(thresholdDealing).values({
    contentId,
    m,
    n: members.length,
    commitments,
    drawBlock,
    seed,
    dealtBlock: event.block.number,
    dealtAt: event.block.timestamp,
  });
  await context.db.insert(thresholdSlot).values(
    members.map((member, slot) => ({
      contentId,
      slot,
      member: member,
      shareIndex: slot + 1,
      previous: null,
      sealedShare: sliceHex(sealedShares, slot * SEALED_SHARE_LENGTH, (slot + 1) * SEALED_SHARE_LENGTH),
      ...at,
    })),
  );
});

on("ContentRegistry:ThresholdSlotRepaired", async ({ event, context }) => {
  const { contentId, slot, previous, replacement, index } = event.args;
  const key = { contentId, slot: Number(slot) };
  const current = await context.db.find(thresholdSlot, key);
  // As the contract does: the member to release stays the one that held a dealt or enrolled share.
  await context.db.update(thresholdSlot, key).set({
    member: replacement,
    shareIndex: index,
    previous: current?.previous ?? previous,
    sealedShare: null,
    assignedBlock: event.block.number,
    assignedAt: event.block.timestamp,
    enrolledBlock: null,
  });
  await context.db.insert(replicaRepair).values({
    blockNumber: event.block.number,
    logIndex: event.log.logIndex,
    contentId,
    slot: Number(slot),
    previous,
    replacement,
    blockTimestamp: event.block.timestamp,
    txHash: event.transaction.hash,
  });
});

// The enrolled member holds its share: a confirmation like HoldingConfirmed, for /holders.
on("ContentRegistry:ThresholdEnrollmentConfirmed", async ({ event, context }) => {
  const { contentId, slot, member } = event.args;
  await context.db.update(thresholdSlot, { contentId, slot: Number(slot) }).set({ previous: null, enrolledBlock: event.block.number });
  await recordHolding(context.db, contentId, member, event.block);
});
