// Adjudicator: challenges against validators (docs/challenges.md), one `challenge` row each,
// opened by ChallengeOpened, completed by the kind's own event in the same transaction, and
// settled by ChallengeAnswered, ChallengeUpheld or ChallengeVoided; bad answers proven on
// chain, one `bad_answer` row each.
import { on } from "./on.js";
import { badAnswer, challenge } from "ponder:schema";

/** IAdjudicator.ChallengeKind and BadAnswerFault by their numbers. */
const KINDS = ["none", "withheld-rewrap", "withheld-share", "fabricated-record"];
const FAULTS = ["none", "wrong-index", "invalid-ephemeral-key"];

on("Adjudicator:ChallengeOpened", async ({ event, context }) => {
  const { id, kind, challenger, accused, deadline } = event.args;
  await context.db.insert(challenge).values({
    id,
    kind: KINDS[kind] ?? String(kind),
    status: "open",
    challenger: challenger.toLowerCase() as `0x${string}`,
    accused: accused.toLowerCase() as `0x${string}`,
    deadline,
    openedBlock: event.block.number,
    openedAt: event.block.timestamp,
  });
});

on("Adjudicator:WithheldServiceRequested", async ({ event, context }) => {
  const { id, contentId, requestDigest, shareIndex } = event.args;
  await context.db.update(challenge, { id }).set({ contentId, requestDigest, shareIndex: Number(shareIndex) });
});

on("Adjudicator:FabricatedRecordNamed", async ({ event, context }) => {
  const { id, batchId, index } = event.args;
  await context.db.update(challenge, { id }).set({ batchId, recordIndex: index });
});

on("Adjudicator:ChallengeAnswered", async ({ event, context }) => {
  await context.db.update(challenge, { id: event.args.id }).set({ status: "answered", settledBlock: event.block.number, answer: event.args.answer });
});

on("Adjudicator:ChallengeUpheld", async ({ event, context }) => {
  const { id, slashed, reward } = event.args;
  await context.db.update(challenge, { id }).set({ status: "slashed", settledBlock: event.block.number, slashed, reward });
});

on("Adjudicator:ChallengeVoided", async ({ event, context }) => {
  await context.db.update(challenge, { id: event.args.id }).set({ status: "void", settledBlock: event.block.number });
});

on("Adjudicator:BadAnswerProven", async ({ event, context }) => {
  const { member, prover, answerHash, fault, slashed, reward } = event.args;
  await context.db.insert(badAnswer).values({
    blockNumber: event.block.number,
    logIndex: event.log.logIndex,
    member: member.toLowerCase() as `0x${string}`,
    prover: prover.toLowerCase() as `0x${string}`,
    answerHash,
    fault: FAULTS[fault] ?? String(fault),
    slashed,
    reward,
  });
});
