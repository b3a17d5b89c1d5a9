/** Withheld-service challenges against this node, answered by the daemon (docs/challenges.md). */
export { ChallengeResponder, type ChallengeResponderParts, type Outcome } from "./responder.js";
export { kasKeyCoordinates, rewrapChallengeAnswer, shareChallengeAnswer, REWRAP_ANSWER_DOMAIN, type ChallengeRequest } from "./answer.js";
export { startChallenges, CHALLENGE_POLL_MS, type ChallengeParts } from "./start.js";
