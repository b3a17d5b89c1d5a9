// ContentRegistry: registrations, stake-drawn replica sets and their repairs, holder
// confirmations, and initial validators' verdicts on unusable contents.
import type { Context } from "ponder:registry";
import { on } from "./on.js";
import { content, holding, replicaRepair, replicaSet, replicaSlot } from "ponder:schema";
import { zeroAddress, type Hex } from "viem";
import { unusableReasonName } from "../../node/protocol/unusableReasons.js";
import { cidText, replicationModeName } from "../lib/codec.js";

/** Vacant replica slots are address(0) on chain and null here. */
const member = (address: Hex): Hex | null => (address === zeroAddress ? null : address);

on("ContentRegistry:ContentRegistered", async ({ event, context }) => {
  const { contentId, publisher, policyId, initialValidator, mode, cid, header, recoveryEnvelope } = event.args;
  await context.db.insert(content).values({
    contentId,
    cid: cidText(cid),
    cidBytes: cid,
    publisher,
    policyId,
    initialValidator,
    mode: replicationModeName(mode),
    header,
    recoveryEnvelope,
    registeredBlock: event.block.number,
    registeredAt: event.block.timestamp,
    txHash: event.transaction.hash,
  });
});

// Emitted inside `register`, just before ContentRegistered.
on("ContentRegistry:ReplicaSetAssigned", async ({ event, context }) => {
  const { contentId, members, seed } = event.args;
  await context.db.insert(replicaSet).values({
    contentId,
    seed,
    size: members.length,
    assignedBlock: event.block.number,
    assignedAt: event.block.timestamp,
  });
  await context.db.insert(replicaSlot).values(
    members.map((address, slot) => ({
      contentId,
      slot,
      validator: member(address),
      assignedBlock: event.block.number,
      assignedAt: event.block.timestamp,
    })),
  );
});

on("ContentRegistry:ReplicaRepaired", async ({ event, context }) => {
  const { contentId, slot, previous, replacement } = event.args;
  await context.db
    .update(replicaSlot, { contentId, slot: Number(slot) })
    .set({ validator: member(replacement), assignedBlock: event.block.number, assignedAt: event.block.timestamp });
  await context.db.insert(replicaRepair).values({
    blockNumber: event.block.number,
    logIndex: event.log.logIndex,
    contentId,
    slot: Number(slot),
    previous: member(previous),
    replacement: member(replacement),
    blockTimestamp: event.block.timestamp,
    txHash: event.transaction.hash,
  });
});

/** One more confirmation that `validator` holds what a content needs of it (its DEK, or its threshold share). */
export async function recordHolding(
  db: Context<"ContentRegistry:HoldingConfirmed">["db"],
  contentId: Hex,
  validator: Hex,
  block: { number: bigint; timestamp: bigint },
): Promise<void> {
  await db
    .insert(holding)
    .values({
      contentId,
      validator,
      firstConfirmedBlock: block.number,
      firstConfirmedAt: block.timestamp,
      lastConfirmedBlock: block.number,
      confirmations: 1,
    })
    .onConflictDoUpdate((row) => ({ lastConfirmedBlock: block.number, confirmations: row.confirmations + 1 }));
}

on("ContentRegistry:HoldingConfirmed", async ({ event, context }) => {
  await recordHolding(context.db, event.args.contentId, event.args.validator, event.block);
});

// The initial validator found that nobody can derive the DEK from the header. The chain released
// a stake content's slots (assignedReplicas) without ReplicaRepaired events; its replica_slot
// rows stay as they were, and the content's unusable columns tell readers to ignore them.
on("ContentRegistry:ContentReportedUnusable", async ({ event, context }) => {
  const { contentId, reason } = event.args;
  await context.db.update(content, { contentId }).set({
    unusableReason: unusableReasonName(reason) ?? String(reason),
    unusableBlock: event.block.number,
    unusableAt: event.block.timestamp,
  });
});
