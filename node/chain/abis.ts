/**
 * The contracts' ABIs as exported by `npm run build` (viem `as const` literals, so every
 * read, write and event is typed), plus one ABI of every custom error for decoding reverts
 * that come back through another contract's call.
 */
import type { Abi } from "viem";
import {
  adjudicatorAbi,
  attributeRegistryAbi,
  contentRegistryAbi,
  policyRegistryAbi,
  rewrapAuditLogAbi,
  stakeTokenAbi,
  validatorRegistryAbi,
} from "../../build/abi/index.js";

export { adjudicatorAbi, attributeRegistryAbi, contentRegistryAbi, policyRegistryAbi, rewrapAuditLogAbi, stakeTokenAbi, validatorRegistryAbi };

const seen = new Set<string>();
export const dekmeshErrorsAbi: Abi = [
  ...stakeTokenAbi,
  ...attributeRegistryAbi,
  ...policyRegistryAbi,
  ...validatorRegistryAbi,
  ...contentRegistryAbi,
  ...rewrapAuditLogAbi,
  ...adjudicatorAbi,
].filter((item) => {
  if (item.type !== "error") return false;
  if (seen.has(item.name)) return false;
  seen.add(item.name);
  return true;
});

/** Every deployed contract's ABI by its deployment name (the keys of `deployments/<chainId>.json`). */
export const CONTRACT_ABIS = {
  StakeToken: stakeTokenAbi,
  AttributeRegistry: attributeRegistryAbi,
  PolicyRegistry: policyRegistryAbi,
  ValidatorRegistry: validatorRegistryAbi,
  ContentRegistry: contentRegistryAbi,
  RewrapAuditLog: rewrapAuditLogAbi,
  Adjudicator: adjudicatorAbi,
} as const;
