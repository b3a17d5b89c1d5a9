/**
 * client.recover(cid, validator): the publisher side of re-seeding a DEK (recoverySeed.ts).
 * The registration (header, recovery envelope, publisher, policy) is read from the chain's
 * ContentRegistered event — the source of truth, and still there when no holder is.
 */
import { type Address, type Hex, getAddress, hexToBytes, zeroAddress } from "viem";
import { getContentRegistration, repairThresholdRequest, sendContractWrite } from "../chain/index.js";
import { openRecovery } from "../crypto/envelopes/index.js";
import { P256PrivateKey } from "../crypto/keys/index.js";
import { decodeHeader, deriveDekForKas, verifyHeaderPolicy } from "../crypto/tdf/index.js";
import { checkThresholdHeader, dealShares } from "../crypto/threshold/index.js";
import type { ClientContext } from "./context.js";
import { contentIdOf, holdersOf } from "./decrypt.js";
import { sealToDrawAndSend } from "./thresholdDeal.js";
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
    const opened = openRecovery({ envelope: registration.recoveryEnvelope, recoveryKey: await ctx.recoveryKey(), contentId: hexToBytes(contentId), publisher: registration.publisher });
    const header = decodeHeader(registration.header, { exact: true });
    // A threshold content's envelope holds k_c (it has no initial validator): the DEK is derived from the header with it.
    const dek = isThreshold(registration) ? deriveDekForKas(header, P256PrivateKey.fromBytes(opened)) : opened;
    if (dek !== opened) opened.fill(0);
    verifyHeaderPolicy(header, dek, registration.policyId);
    return { dek, registration };
  } catch (error) {
    throw clientError("CLIENT_RECOVERY_FAILED", "the recovery envelope does not open to the content's DEK", error);
  }
}

/** threshold(m, n) contents are registered without an initial validator. */
function isThreshold(registration: Registration): boolean {
  return registration.initialValidator === zeroAddress;
}

export interface RedealResult {
  transactionHash: Hex;
  /** The members drawn, in slot order; slot i holds share firstIndex + i. */
  members: Address[];
  firstIndex: number;
}

/**
 * The publisher re-deals a threshold content's key (docs/threshold.md#re-dealing): k_c from its
 * recovery envelope, checked against the header, dealt into n fresh shares indexed above every
 * index in use, sealed to a new draw and sent in one `redealThreshold`. For a content with fewer
 * than m members left, which nobody else can bring back; the content's CID, header and envelope
 * do not change.
 */
export async function redeal(ctx: ClientContext, cid: string): Promise<RedealResult> {
  const { contentId } = contentIdOf(cid);
  const registration = await readRegistration(ctx, contentId);
  if (!isThreshold(registration)) throw new DekmeshClientError("CLIENT_INVALID_ARGUMENT", "only a threshold content is re-dealt; re-seed another at a validator (recover)", { details: { contentId } });
  if (registration.publisher.toLowerCase() !== ctx.account.address.toLowerCase()) {
    throw new DekmeshClientError("CLIENT_RECOVERY_FAILED", "only the content's publisher can re-deal it");
  }
  let contentKey: Uint8Array;
  try {
    contentKey = openRecovery({ envelope: registration.recoveryEnvelope, recoveryKey: await ctx.recoveryKey(), contentId: hexToBytes(contentId), publisher: registration.publisher });
    checkThresholdHeader(decodeHeader(registration.header, { exact: true }), [P256PrivateKey.fromBytes(contentKey).publicKey]);
  } catch (error) {
    throw clientError("CLIENT_RECOVERY_FAILED", "the recovery envelope does not open to the content's key", error);
  }
  const { threshold } = await holdersOf(ctx, contentId);
  if (threshold === undefined) throw new DekmeshClientError("CLIENT_INDEXER", "the indexer lists no threshold slots for the content", { details: { contentId } });
  const firstIndex = Math.max(...threshold.slots.map((s) => s.index)) + 1;
  const { commitments, shares } = dealShares({ m: threshold.m, n: threshold.n, contentKey, firstIndex });
  contentKey.fill(0);
  try {
    const { deal, transactionHash } = await sealToDrawAndSend(ctx, { contentId, shares, commitments, operation: "redealThreshold" }, async (d) => {
      const write = repairThresholdRequest(ctx.chain, { contentId, slots: threshold.slots });
      const redealt = { ...write, functionName: "redealThreshold", args: [...write.args, { drawBlock: d.drawBlock, commitments: d.commitments, sealedShares: d.sealedShares }] };
      return (await sendContractWrite(ctx.chain, redealt)).hash;
    });
    return { transactionHash, members: deal.members.map((m) => getAddress(m)), firstIndex };
  } finally {
    for (const share of shares) share.value.fill(0);
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
