/**
 * The publisher's half of re-seeding a DEK (docs/architecture.md#on-chain-state, docs/client.md "Recovery"): sealing a
 * recovery seed for one validator. The message itself — typed data, digest, JSON — is shared
 * with the validator's half in node/protocol/recoverySeed.ts; the validator's checks are
 * node/validator/replication/recovery.ts (POST /v1/recover).
 */
import { type Address, type Hex, type LocalAccount, bytesToHex } from "viem";
import { wrapForClient } from "../crypto/envelopes/index.js";
import { recoverySeedDigest, recoverySeedTypedData, type RecoverySeed } from "../protocol/recoverySeed.js";
import { type RewrapDomain } from "../protocol/rewrap/index.js";

export { DEK_RECOVERY_TYPES, encodeRecoverySeed, type RecoverySeed } from "../protocol/recoverySeed.js";

/** A seed carrying `dek` to the validator's KAS key `kid`, signed by the publisher's account. */
export async function createRecoverySeed(params: {
  account: LocalAccount;
  domain: RewrapDomain;
  contentId: Hex;
  validator: Address;
  kasPublicKey: Uint8Array;
  kid: Hex;
  dek: Uint8Array;
  nonce: bigint;
  expiry: number;
}): Promise<RecoverySeed> {
  const fields = { contentId: params.contentId, validator: params.validator, kid: params.kid, nonce: params.nonce, expiry: params.expiry };
  const signature = await params.account.signTypedData(recoverySeedTypedData(params.domain, fields) as never);
  const envelope = wrapForClient({ dek: params.dek, clientPublicKey: params.kasPublicKey, requestDigest: recoverySeedDigest(params.domain, fields) });
  return { ...fields, signature, envelope: bytesToHex(envelope) };
}
