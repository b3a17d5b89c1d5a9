/**
 * Choosing validators: the initial validator of an upload (stake-weighted, like the chain's
 * own draws, so uploads spread in proportion to stake) and the order in which a reader tries
 * a content's holders (those that hold the DEK first, shuffled so readers spread their load).
 */
import { randomBytes, randomInt } from "node:crypto";
import type { ActiveValidator, Holder } from "../indexer-client/index.js";
import { shuffle } from "../protocol/shuffle.js";

export { shuffle };

/** One validator drawn with probability proportional to its stake. */
export function drawByStake<V extends Pick<ActiveValidator, "stake">>(validators: readonly V[]): V | undefined {
  const total = validators.reduce((sum, v) => sum + v.stake, 0n);
  if (validators.length === 0) return undefined;
  if (total === 0n) return validators[randomInt(validators.length)];
  // 256 random bits mod total: the bias is below 2^-190 for any realistic total stake.
  let point = BigInt(`0x${randomBytes(32).toString("hex")}`) % total;
  for (const validator of validators) {
    if (point < validator.stake) return validator;
    point -= validator.stake;
  }
  return validators[validators.length - 1];
}

/**
 * Holders in the order to ask them: a preferred validator first if it is listed, then those
 * that hold the DEK (confirmed, initial) in random order, then those that should hold it
 * (assigned, computed — they forward or pull when they lack it), in random order.
 */
export function holderOrder(holders: readonly Holder[], prefer?: string): Holder[] {
  const preferred = prefer?.toLowerCase();
  const first = holders.filter((h) => h.node.toLowerCase() === preferred);
  const rest = holders.filter((h) => h.node.toLowerCase() !== preferred);
  const holding = shuffle(rest.filter((h) => h.state === "confirmed" || h.state === "initial"));
  const pending = shuffle(rest.filter((h) => h.state !== "confirmed" && h.state !== "initial"));
  return [...first, ...holding, ...pending];
}
