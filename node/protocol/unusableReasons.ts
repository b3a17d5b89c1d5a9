/**
 * contracts/interfaces/IContentRegistry.sol `UnusableReason`, by numeric value: why a content's
 * initial validator reported its registration unusable (ContentRegistry.reportUnusable). The
 * names and codes are a wire format shared by the contract, the indexer's `unusableReason` and
 * the validators, so they are defined once, here.
 */
export const UNUSABLE_REASONS = ["None", "MalformedHeader", "UnknownKasKey", "PolicyMismatch"] as const;

/** A reason a report may carry (`None` is refused on chain). */
export type UnusableReason = Exclude<(typeof UNUSABLE_REASONS)[number], "None">;

/** The reason's numeric value on chain. */
export function unusableReasonCode(reason: UnusableReason): number {
  return UNUSABLE_REASONS.indexOf(reason);
}

/** The name of an on-chain reason code; undefined for `None` and unknown codes. */
export function unusableReasonName(code: number): UnusableReason | undefined {
  const name = UNUSABLE_REASONS[code];
  return name === undefined || name === "None" ? undefined : name;
}
