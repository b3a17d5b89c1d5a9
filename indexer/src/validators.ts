// ValidatorRegistry: registration, staking, lifecycle and keys. Status transitions mirror
// the contract exactly (see contracts/ValidatorRegistry.sol), so `status` here equals
// `validator(node).status` on chain at the same block.
import type { Context, Event } from "ponder:registry";
import { on } from "./on.js";
import { kasKey, stakeChange, validator, validatorStatusChange, weightChange } from "ponder:schema";
import { keccak256, type Hex } from "viem";
import { peerIdText, type ValidatorStatusName } from "../lib/codec.js";

type AnyEvent = Event<"ValidatorRegistry:ValidatorRegistered">;
type Db = Context<"ValidatorRegistry:ValidatorRegistered">["db"];

const at = (event: Pick<AnyEvent, "block">) => ({
  updatedBlock: event.block.number,
  updatedAt: event.block.timestamp,
});

async function recordStatus(
  db: Db,
  event: Pick<AnyEvent, "block" | "log" | "transaction">,
  node: Hex,
  cause: string,
  fromStatus: ValidatorStatusName | null,
  toStatus: ValidatorStatusName,
  unbondingEndsAt: bigint | null = null,
) {
  await db.insert(validatorStatusChange).values({
    blockNumber: event.block.number,
    logIndex: event.log.logIndex,
    node,
    cause,
    fromStatus,
    toStatus,
    unbondingEndsAt,
    blockTimestamp: event.block.timestamp,
    txHash: event.transaction.hash,
  });
}

/** A row of the weight history, when the event changed the weight. */
async function recordWeight(db: Db, event: Pick<AnyEvent, "block" | "log">, node: Hex, before: bigint, weight: bigint) {
  if (weight === before) return;
  await db.insert(weightChange).values({ blockNumber: event.block.number, logIndex: event.log.logIndex, node, weight, blockTimestamp: event.block.timestamp });
}

/**
 * The validator's row as it is before this event, copied: Ponder's indexing cache hands out
 * the cached object itself, which a later `update` of the same row mutates in place.
 */
async function requireValidator(db: Db, node: Hex) {
  const row = await db.find(validator, { node });
  // The contract emits nothing for an unknown node, so a miss means the indexer is broken.
  if (!row) throw new Error(`indexer invariant: event for unregistered validator ${node}`);
  return { ...row, status: row.status as ValidatorStatusName };
}

on("ValidatorRegistry:ValidatorRegistered", async ({ event, context }) => {
  const { node, operator, kasPublicKey, kid, peerId, multiaddrs, endpoint } = event.args;
  await context.db.insert(validator).values({
    node,
    operator,
    status: "registered",
    revoked: false,
    stake: 0n,
    weight: 0n,
    currentKid: kid,
    kasPublicKey,
    peerId: peerIdText(peerId),
    peerIdBytes: peerId,
    multiaddrs: [...multiaddrs],
    endpoint,
    xorId: keccak256(node),
    unbondingEndsAt: 0n,
    slashedTotal: 0n,
    auditBatches: 0n,
    registeredBlock: event.block.number,
    registeredAt: event.block.timestamp,
    activatedAt: null,
    ...at(event),
  });
  await context.db.insert(kasKey).values({
    node,
    kid,
    publicKey: kasPublicKey,
    status: "current",
    addedBlock: event.block.number,
    addedAt: event.block.timestamp,
  });
  await recordStatus(context.db, event, node, "registered", null, "registered");
});

on("ValidatorRegistry:ValidatorNetworkUpdated", async ({ event, context }) => {
  const { node, peerId, multiaddrs, endpoint } = event.args;
  await context.db
    .update(validator, { node })
    .set({ peerId: peerIdText(peerId), peerIdBytes: peerId, multiaddrs: [...multiaddrs], endpoint, ...at(event) });
});

on("ValidatorRegistry:StakeDeposited", async ({ event, context }) => {
  const { node, amount, totalStake } = event.args;
  await context.db.update(validator, { node }).set({ stake: totalStake, ...at(event) });
  await context.db.insert(stakeChange).values({
    blockNumber: event.block.number,
    logIndex: event.log.logIndex,
    node,
    kind: "deposit",
    amount,
    stakeAfter: totalStake,
    blockTimestamp: event.block.timestamp,
    txHash: event.transaction.hash,
  });
});

on("ValidatorRegistry:ValidatorActivated", async ({ event, context }) => {
  const { node, stake, weight } = event.args;
  const row = await requireValidator(context.db, node);
  await context.db
    .update(validator, { node })
    .set({ status: "active", stake, weight, activatedAt: event.block.timestamp, ...at(event) });
  await recordStatus(context.db, event, node, "activated", row.status, "active");
  await recordWeight(context.db, event, node, row.weight, weight);
});

on("ValidatorRegistry:ValidatorWeightChanged", async ({ event, context }) => {
  const { node, stake, weight } = event.args;
  const row = await requireValidator(context.db, node);
  await context.db.update(validator, { node }).set({ stake, weight, ...at(event) });
  await recordWeight(context.db, event, node, row.weight, weight);
});

on("ValidatorRegistry:ValidatorExitRequested", async ({ event, context }) => {
  const { node, unbondingEndsAt } = event.args;
  const row = await requireValidator(context.db, node);
  // A never-active validator is refunded in the same call (StakeWithdrawn follows and makes it
  // exited); an active one unbonds.
  await context.db.update(validator, { node }).set({ status: "exiting", weight: 0n, unbondingEndsAt, ...at(event) });
  await recordStatus(context.db, event, node, "exit_requested", row.status, "exiting", unbondingEndsAt);
  await recordWeight(context.db, event, node, row.weight, 0n);
});

on("ValidatorRegistry:StakeWithdrawn", async ({ event, context }) => {
  const { node, amount } = event.args;
  const row = await requireValidator(context.db, node);
  await context.db.update(validator, { node }).set({ status: "exited", stake: 0n, weight: 0n, ...at(event) });
  await context.db.insert(stakeChange).values({
    blockNumber: event.block.number,
    logIndex: event.log.logIndex,
    node,
    kind: "withdrawal",
    amount,
    stakeAfter: 0n,
    blockTimestamp: event.block.timestamp,
    txHash: event.transaction.hash,
  });
  await recordStatus(context.db, event, node, "withdrawn", row.status, "exited");
  await recordWeight(context.db, event, node, row.weight, 0n);
});

on("ValidatorRegistry:ValidatorSlashed", async ({ event, context }) => {
  const { node, amount, reason, unbondingEndsAt } = event.args;
  const row = await requireValidator(context.db, node);
  const stakeAfter = row.stake - amount;
  await context.db.update(validator, { node }).set({
    status: "jailed",
    stake: stakeAfter,
    weight: 0n,
    unbondingEndsAt,
    slashedTotal: row.slashedTotal + amount,
    ...at(event),
  });
  await context.db.insert(stakeChange).values({
    blockNumber: event.block.number,
    logIndex: event.log.logIndex,
    node,
    kind: "slash",
    amount,
    stakeAfter,
    reason,
    blockTimestamp: event.block.timestamp,
    txHash: event.transaction.hash,
  });
  await recordStatus(context.db, event, node, "slashed", row.status, "jailed", unbondingEndsAt);
  await recordWeight(context.db, event, node, row.weight, 0n);
});

on("ValidatorRegistry:KasKeyRotated", async ({ event, context }) => {
  const { node, kid, kasPublicKey, previousKid } = event.args;
  await context.db.update(kasKey, { node, kid: previousKid }).set({ status: "rotated", rotatedAt: event.block.timestamp });
  await context.db.insert(kasKey).values({
    node,
    kid,
    publicKey: kasPublicKey,
    status: "current",
    addedBlock: event.block.number,
    addedAt: event.block.timestamp,
  });
  await context.db.update(validator, { node }).set({ currentKid: kid, kasPublicKey, ...at(event) });
});

on("ValidatorRegistry:KasKeyRevoked", async ({ event, context }) => {
  const { node, kid } = event.args;
  await context.db.update(kasKey, { node, kid }).set({ status: "revoked", revokedAt: event.block.timestamp });
});

on("ValidatorRegistry:NodeRevoked", async ({ event, context }) => {
  const { node, unbondingEndsAt } = event.args;
  const row = await requireValidator(context.db, node);
  // Only an active node changes status here (it starts unbonding); a registered one was
  // refunded just before (StakeWithdrawn), and exiting/jailed ones keep unbonding.
  const leaving = row.status === "active";
  await context.db.update(validator, { node }).set({
    revoked: true,
    ...(leaving ? { status: "exiting", weight: 0n, unbondingEndsAt } : {}),
    ...at(event),
  });
  await recordStatus(
    context.db,
    event,
    node,
    "node_revoked",
    row.status,
    leaving ? "exiting" : row.status,
    unbondingEndsAt,
  );
  if (leaving) await recordWeight(context.db, event, node, row.weight, 0n);
});
