// PolicyRegistry: every version of every policy in full, and the current one per policy.
import type { Context, Event } from "ponder:registry";
import { on } from "./on.js";
import { policy, policyVersion } from "ponder:schema";
import { replicationModeName } from "../lib/codec.js";
import { decodeConditions, formatCondition } from "../../node/protocol/conditions.js";

type PolicyEvent = Event<"PolicyRegistry:PolicyCreated"> | Event<"PolicyRegistry:PolicyUpdated">;

function termsOf(args: PolicyEvent["args"]) {
  return {
    requirements: args.requirements.map((r) => ({ namespace: r.namespace, value: r.value })),
    allowlist: [...args.allowlist],
    notBefore: args.notBefore,
    notAfter: args.notAfter,
    mode: replicationModeName(args.mode),
    modeCode: args.mode,
    k: args.k,
    explicitMembers: [...args.explicitMembers],
    // A version's conditions come in the PolicyConditionsSet that follows it, if any.
    conditions: null,
  };
}

async function recordVersion(db: Context<"PolicyRegistry:PolicyCreated">["db"], event: PolicyEvent) {
  await db.insert(policyVersion).values({
    policyId: event.args.policyId,
    version: event.args.version,
    ...termsOf(event.args),
    blockNumber: event.block.number,
    blockTimestamp: event.block.timestamp,
    txHash: event.transaction.hash,
  });
}

on("PolicyRegistry:PolicyCreated", async ({ event, context }) => {
  await context.db.insert(policy).values({
    id: event.args.policyId,
    publisher: event.args.publisher,
    version: event.args.version,
    revoked: false,
    ...termsOf(event.args),
    createdBlock: event.block.number,
    createdAt: event.block.timestamp,
    updatedBlock: event.block.number,
    updatedAt: event.block.timestamp,
  });
  await recordVersion(context.db, event);
});

on("PolicyRegistry:PolicyUpdated", async ({ event, context }) => {
  await context.db.update(policy, { id: event.args.policyId }).set({
    version: event.args.version,
    ...termsOf(event.args),
    updatedBlock: event.block.number,
    updatedAt: event.block.timestamp,
  });
  await recordVersion(context.db, event);
});

// Emitted right after the PolicyCreated/PolicyUpdated of `version`, in the same transaction: the
// version is the policy's current one. Stored as grammar text, the one form the API serves and
// the access decision parses.
on("PolicyRegistry:PolicyConditionsSet", async ({ event, context }) => {
  const tree = decodeConditions(event.args.conditions);
  const conditions = tree === undefined ? null : formatCondition(tree);
  const { policyId, version } = event.args;
  await context.db.update(policy, { id: policyId }).set({ conditions });
  await context.db.update(policyVersion, { policyId, version }).set({ conditions });
});

on("PolicyRegistry:PolicyRevoked", async ({ event, context }) => {
  await context.db
    .update(policy, { id: event.args.policyId })
    .set({ revoked: true, revokedBlock: event.block.number, revokedAt: event.block.timestamp });
});
