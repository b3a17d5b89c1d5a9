/**
 * The whole check a validator runs on header bytes registered on chain (ContentRegistry
 * `register`) before it accepts the DEK as its own and before every rewrap: the bytes are
 * exactly one header, they name a KAS key this validator holds, and the policy bound to the
 * DEK is the registered policy id.
 */
import { deriveDekForKas, type KasPrivateKeyInput } from "./dek.js";
import { verifyHeaderPolicy, type BoundPolicy } from "./dekmeshPolicy.js";
import { decodeHeader, type NanoTdfHeader } from "./header.js";

export interface VerifiedRegistration {
  header: NanoTdfHeader;
  dek: Uint8Array;
  policy: BoundPolicy;
}

export function verifyRegisteredHeader(params: {
  headerBytes: Uint8Array;
  kasPrivateKey: KasPrivateKeyInput;
  policyId: bigint;
}): VerifiedRegistration {
  const header = decodeHeader(params.headerBytes, { exact: true });
  const dek = deriveDekForKas(header, params.kasPrivateKey);
  return { header, dek, policy: verifyHeaderPolicy(header, dek, params.policyId) };
}
