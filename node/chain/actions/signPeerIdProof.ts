/**
 * The proof that lets a node account claim a libp2p peer id in ValidatorRegistry (issue #22): the
 * libp2p key inside the id signs the EIP-712 message PeerIdProof{node, peerId} under the domain
 * {name "dekmesh", version "1", chain id, verifyingContract: the registry}. It binds the id to one
 * node account on one chain and one registry, so nobody can replay it for another validator or
 * deployment, and only the key's holder can make it. The registry recovers the signer with
 * ecrecover, which is why validators' libp2p keys are secp256k1 (node/crypto/keys/hierarchy.ts).
 */
import type { PrivateKey } from "@libp2p/interface";
import { bytesToHex, hashTypedData, type Address, type Hex } from "viem";
import { sign } from "viem/accounts";
import type { ChainClients } from "../clients.js";
import { ChainError } from "../errors.js";

export const PEER_ID_PROOF_TYPES = {
  PeerIdProof: [
    { name: "node", type: "address" },
    { name: "peerId", type: "bytes" },
  ],
} as const;

export interface PeerIdProofDigestParameters {
  chainId: number | bigint;
  /** The ValidatorRegistry the proof is for. */
  registry: Address;
  /** The node account that claims the peer id. */
  node: Address;
  /** The peer id in binary (multihash) form. */
  peerId: Hex;
}

/** The digest the libp2p key signs: equal to ValidatorRegistry.peerIdProofDigest(node, peerId). */
export function peerIdProofDigest({ chainId, registry, node, peerId }: PeerIdProofDigestParameters): Hex {
  return hashTypedData({
    domain: { name: "dekmesh", version: "1", chainId: BigInt(chainId), verifyingContract: registry },
    types: PEER_ID_PROOF_TYPES,
    primaryType: "PeerIdProof",
    message: { node, peerId },
  });
}

export interface CreatePeerIdProofParameters {
  chainId: number | bigint;
  /** The ValidatorRegistry the proof is for. */
  registry: Address;
  /** The node account that claims the peer id (registers it, or whose operator updates it). */
  node: Address;
  /** The node's libp2p identity; it must be a secp256k1 key. */
  libp2pPrivateKey: PrivateKey;
}

export interface SignPeerIdProofReturnType {
  /** The key's peer id in binary (multihash) form, as the registry stores it. */
  peerId: Hex;
  /** r ‖ s ‖ v (65 bytes, low s) over peerIdProofDigest. */
  peerIdProof: Hex;
}

/** The peer id of `libp2pPrivateKey` and its proof for `node` at `registry` on chain `chainId`. */
export async function createPeerIdProof({ chainId, registry, node, libp2pPrivateKey }: CreatePeerIdProofParameters): Promise<SignPeerIdProofReturnType> {
  if (libp2pPrivateKey.type !== "secp256k1") {
    throw new ChainError("CHAIN_INVALID_ARGUMENT", "ValidatorRegistry only accepts peer ids of secp256k1 keys", {
      details: { keyType: libp2pPrivateKey.type },
    });
  }
  const peerId = bytesToHex(libp2pPrivateKey.publicKey.toMultihash().bytes);
  const hash = peerIdProofDigest({ chainId, registry, node, peerId });
  return { peerId, peerIdProof: await sign({ hash, privateKey: bytesToHex(libp2pPrivateKey.raw), to: "hex" }) };
}

export type SignPeerIdProofParameters = Omit<CreatePeerIdProofParameters, "chainId" | "registry">;

/** The proof for the clients' chain and registry; spread the result into registerValidator or updateNetwork. */
export function signPeerIdProof(clients: ChainClients, parameters: SignPeerIdProofParameters): Promise<SignPeerIdProofReturnType> {
  return createPeerIdProof({ chainId: clients.chain.id, registry: clients.deployment.addresses.validatorRegistry, ...parameters });
}
