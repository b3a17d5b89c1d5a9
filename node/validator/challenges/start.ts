import type { Address, Hex } from "viem";
import type { ChainDeployment } from "../../protocol/deployment.js";
import type { Logger } from "../../protocol/logger.js";
import type { MetricsRegistry } from "../metrics/index.js";
import type { TxSubmitter } from "../submitter/index.js";
import type { ChainClients } from "../../chain/index.js";
import type { ShareSource } from "../rewrap/share.js";
import type { DekStore } from "../store/index.js";
import { ChallengeResponder } from "./responder.js";

/** A pass a second: a devnet block is a second and the answer window is 20 of them. */
export const CHALLENGE_POLL_MS = 1_000;

export interface ChallengeParts {
  metrics: MetricsRegistry;
  logger: Logger;
  me: Address;
  deployment: ChainDeployment;
  store: DekStore;
  chain: ChainClients;
  submitter: TxSubmitter;
  shares: ShareSource;
  onMissingDek(contentId: Hex): void;
}

/** Starts answering challenges against this node; the caller stops it with the daemon. */
export function startChallenges(p: ChallengeParts): ChallengeResponder {
  const responder = new ChallengeResponder(
    {
      publicClient: p.chain.publicClient,
      adjudicator: p.deployment.addresses.adjudicator,
      me: p.me,
      store: p.store,
      shares: p.shares,
      onMissingDek: p.onMissingDek,
      send: (write) => p.submitter.sendTransaction(write),
      metrics: p.metrics,
      logger: p.logger,
    },
    { intervalMs: CHALLENGE_POLL_MS },
  );
  responder.start();
  return responder;
}
