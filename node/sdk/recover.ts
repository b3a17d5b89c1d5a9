/**
 * client.recover(cid, validator): the publisher side of re-seeding a DEK (recoverySeed.ts).
 * The registration (header, recovery envelope, publisher, policy) is read from the chain's
 * ContentRegistered event — the source of truth, and still there when no holder is.
 */
import { type Address, type Hex, hexToBytes } from "viem";
import { getContentRegistration } from "../chain/index.js";
import { openRecovery } from "../crypto/envelopes/index.js";
import { decodeHeader, verifyHeaderPolicy } from "../crypto/tdf/index.js";
import type { ClientContext } from "./context.js";
import { contentIdOf } from "./decrypt.js";
import { clientError, DekmeshClientError } from "./errors.js";
import { createRecoverySeed, encodeRecoverySeed } from "./recoverySeed.js";
import { randomNonce } from "./rewrapSigner.js";

export interface Registration {
  contentId: Hex;
  publisher: Address;
  policyId: bigint;
  initialValidator: Address;
  header: Uint8Array;
  recoveryEnvelope: Uint8Array;
  blockNumber: bigint;
}

export async function readRegistration(ctx: ClientContext, contentId: Hex): Promise<Registration> {
  let registration;
  try {
    registration = await getContentRegistration(ctx.chain, { contentId });
  } catch (error) {
    throw clientError("CLIENT_CHAIN", "cannot read the registration", error);
  }
  if (registration === undefined) throw new DekmeshClientError("CLIENT_NOT_FOUND", "the content is not registered", { details: { contentId } });
  return {
    contentId,
    publisher: registration.publisher,
    policyId: registration.policyId,
    initialValidator: registration.initialValidator,
    header: hexToBytes(registration.header),
    recoveryEnvelope: hexToBytes(registration.recoveryEnvelope),
    blockNumber: registration.blockNumber,
  };
}

/** Opens this publisher's recovery envelope for `cid` and checks the DEK against the registered header. */
export async function recoverDek(ctx: ClientContext, cid: string): Promise<{ dek: Uint8Array; registration: Registration }> {
  const { contentId } = contentIdOf(cid);
  const registration = await readRegistration(ctx, contentId);
  if (registration.publisher.toLowerCase() !== ctx.account.address.toLowerCase()) {
    throw new DekmeshClientError("CLIENT_RECOVERY_FAILED", "only the content's publisher can open its recovery envelope");
  }
  try {
    const dek = openRecovery({ envelope: registration.recoveryEnvelope, recoveryKey: await ctx.recoveryKey(), contentId: hexToBytes(contentId), publisher: registration.publisher });
    verifyHeaderPolicy(decodeHeader(registration.header, { exact: true }), dek, registration.policyId);
    return { dek, registration };
  } catch (error) {
    throw clientError("CLIENT_RECOVERY_FAILED", "the recovery envelope does not open to the content's DEK", error);
  }
}

/** Re-seeds `cid`'s DEK at `validator` (POST /v1/recover). */
export async function recover(ctx: ClientContext, cid: string, validator: Address): Promise<void> {
  const { dek, registration } = await recoverDek(ctx, cid);
  let target;
  try {
    target = (await ctx.indexer.activeValidators()).validators.find((v) => v.node.toLowerCase() === validator.toLowerCase());
  } catch (error) {
    throw clientError("CLIENT_INDEXER", "cannot read the active validators", error);
  }
  if (target === undefined) throw new DekmeshClientError("CLIENT_NO_VALIDATOR", "the validator is not active", { details: { validator } });
  const seed = await createRecoverySeed({
    account: ctx.account,
    domain: ctx.signer.hasher.domain,
    contentId: registration.contentId,
    validator: target.node,
    kasPublicKey: hexToBytes(target.kasPublicKey),
    kid: target.kid,
    dek,
    nonce: randomNonce(),
    expiry: Math.floor(Date.now() / 1000) + 120,
  });
  dek.fill(0);
  let response: Response;
  try {
    response = await fetch(`${target.endpoint.replace(/\/+$/, "")}/v1/recover`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: encodeRecoverySeed(seed),
      signal: AbortSignal.timeout(ctx.timeouts.validatorMs),
    });
  } catch (error) {
    throw clientError("CLIENT_RECOVERY_FAILED", "the validator could not be reached", error);
  }
  const text = await response.text().catch(() => "");
  if (response.status !== 200) {
    let code: string | undefined;
    try {
      code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
    } catch {
      // The status says enough.
    }
    throw new DekmeshClientError("CLIENT_RECOVERY_FAILED", "the validator refused the re-seed", { details: { status: response.status, code } });
  }
}
