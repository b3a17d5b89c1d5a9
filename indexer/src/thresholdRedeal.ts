// ContentRegistry, a publisher's re-deal of a threshold(m, n) content (docs/threshold.md#re-dealing):
// the dealing's commitments, draw block and seed are the new ones, and every slot names its new
// member with its fresh share index and sealed share, as the contract now commits to them.
import { thresholdDealing, thresholdSlot } from "ponder:schema";
import { sliceHex } from "viem";
import { on } from "./on.js";
import { SEALED_SHARE_LENGTH } from "../../node/protocol/threshold.js";

on("ContentRegistry:ThresholdSharesRedealt", async ({ event, context }) => {
  const { contentId, members, firstIndex, drawBlock, seed, commitments, sealedShares } = event.args;
  await context.db
    .update(thresholdDealing, { contentId })
    .set({ commitments, drawBlock, seed, dealtBlock: event.block.number, dealtAt: event.block.timestamp });
  for (const [slot, member] of members.entries()) {
    await context.db.update(thresholdSlot, { contentId, slot }).set({
      member,
      shareIndex: firstIndex + slot,
      previous: null,
      sealedShare: sliceHex(sealedShares, slot * SEALED_SHARE_LENGTH, (slot + 1) * SEALED_SHARE_LENGTH),
      assignedBlock: event.block.number,
      assignedAt: event.block.timestamp,
      enrolledBlock: null,
    });
  }
});
