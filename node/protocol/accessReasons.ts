/**
 * contracts/types/DekmeshTypes.sol `AccessReason`, by numeric value. The names and codes are a
 * wire format shared by the contract's `canAccess`, the indexer's `/access` and the validators'
 * refusals, so they are defined once, here.
 */
export const ACCESS_REASONS = [
  "Granted",
  "Publisher",
  "PolicyNotFound",
  "PolicyRevoked",
  "NotYetValid",
  "Expired",
  "NotOnAllowlist",
  "MissingAttribute",
  "ConditionNotMet",
  "ConditionCallFailed",
] as const;
export type AccessReason = (typeof ACCESS_REASONS)[number];
