/**
 * Bringing the node's on-chain record in line with the running node at start: register the
 * node account if it is unknown (when allowed), refuse to run for another operator, publish
 * new network addresses when they changed, and (devnets) stake for the node when it is not
 * active. Reads come from the chain here, not the indexer: the indexer may not have seen a
 * registration sent a moment ago, and a duplicate registration would revert.
 * The peer id goes on chain with a proof signed by the node's libp2p key (signPeerIdProof): the
 * registry refuses an id whose key did not sign for this node, and an id another live validator
 * holds (ValidatorRegistryPeerIdTaken).
 */
import type { PrivateKey } from "@libp2p/interface";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import type { Address } from "viem";
import {
  getValidator,
  registerValidator,
  signPeerIdProof,
  stake,
  updateNetwork,
  type ChainClients,
  type GetValidatorReturnType,
} from "../chain/index.js";
import { ValidatorError } from "./errors.js";
import type { Logger } from "../protocol/logger.js";

/** What the node publishes besides its peer id (which comes from `libp2pPrivateKey`). */
export interface NetworkRecord {
  multiaddrs: string[];
  endpoint: string;
}

export interface EnsureRegisteredParameters {
  nodeClients: ChainClients;
  operatorClients: ChainClients;
  logger: Logger;
  kasPublicKey: Uint8Array;
  /** The node's libp2p identity (secp256k1): its peer id is published, with a proof it signs. */
  libp2pPrivateKey: PrivateKey;
  network: NetworkRecord;
  /** What the indexer has for this node (peer id as text, addresses, endpoint), if it knows it. */
  published?: { peerId: string; multiaddrs: string[]; endpoint: string } | undefined;
  register: boolean;
  /** Wei the operator stakes when the node is registered but not active. */
  stake?: bigint;
}

export interface RegistrationResult {
  registered: boolean;
  networkUpdated: boolean;
  staked: boolean;
  validator: GetValidatorReturnType;
}

export async function ensureRegistered(p: EnsureRegisteredParameters): Promise<RegistrationResult> {
  const node = p.nodeClients.account!.address;
  const operator = p.operatorClients.account!.address;
  const peerIdText = peerIdFromPrivateKey(p.libp2pPrivateKey).toString();
  let validator = await getValidator(p.nodeClients, { node });
  let registered = false;
  let networkUpdated = false;
  let staked = false;
  if (validator.status === "none") {
    if (!p.register) {
      throw new ValidatorError("VALIDATOR_NOT_REGISTERED", "the node account is not a registered validator (register is off)", { details: { node } });
    }
    p.logger.info("registering the validator", { node, operator, endpoint: p.network.endpoint });
    try {
      const proven = await signPeerIdProof(p.nodeClients, { node, libp2pPrivateKey: p.libp2pPrivateKey });
      await registerValidator(p.nodeClients, { operator, kasPublicKey: p.kasPublicKey, ...proven, ...p.network });
    } catch (cause) {
      throw new ValidatorError("VALIDATOR_NOT_REGISTERED", "registering the validator failed", { details: { node }, cause });
    }
    registered = true;
    validator = await getValidator(p.nodeClients, { node });
  } else if (!sameAddress(validator.operator, operator)) {
    throw new ValidatorError("VALIDATOR_WRONG_OPERATOR", "the node is registered to another operator than the mnemonic's", {
      details: { node, registeredOperator: validator.operator, operator },
    });
  } else if (p.published !== undefined && !validator.revoked && validator.status !== "exited" && networkChanged(p.published, p.network, peerIdText)) {
    p.logger.info("publishing new network addresses", { node, peerId: peerIdText, multiaddrs: p.network.multiaddrs, endpoint: p.network.endpoint });
    const proven = await signPeerIdProof(p.operatorClients, { node, libp2pPrivateKey: p.libp2pPrivateKey });
    await updateNetwork(p.operatorClients, { node, ...proven, ...p.network });
    networkUpdated = true;
  }
  if (p.stake !== undefined && validator.status === "registered" && !validator.revoked) {
    p.logger.info("staking for the validator", { node, amount: p.stake });
    await stake(p.operatorClients, { node, amount: p.stake });
    staked = true;
    validator = await getValidator(p.nodeClients, { node });
  }
  return { registered, networkUpdated, staked, validator };
}

function networkChanged(published: { peerId: string; multiaddrs: string[]; endpoint: string }, network: NetworkRecord, peerIdText: string): boolean {
  return (
    published.peerId !== peerIdText ||
    published.endpoint !== network.endpoint ||
    published.multiaddrs.length !== network.multiaddrs.length ||
    published.multiaddrs.some((m, i) => m !== network.multiaddrs[i])
  );
}

function sameAddress(a: Address, b: Address): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
