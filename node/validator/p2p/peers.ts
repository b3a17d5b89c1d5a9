import type { PeerId } from "@libp2p/interface";
import { peerIdFromString } from "@libp2p/peer-id";
import { isMultiaddr, multiaddr, type Multiaddr } from "@multiformats/multiaddr";
import { abortError, P2pError } from "./errors.js";

/** A peer to reach: a peer id string, or a multiaddr (string or object), with or without `/p2p/`. */
export type PeerTarget = string | Multiaddr;

/** What to hand libp2p's dialer, and the peer id if the target names one. */
export function parseTarget(target: PeerTarget): { dialTarget: PeerId | Multiaddr; peer: string | undefined } {
  try {
    if (isMultiaddr(target) || target.startsWith("/")) {
      const address = isMultiaddr(target) ? target : multiaddr(target);
      const peer = address.getComponents().findLast((component) => component.name === "p2p")?.value;
      return { dialTarget: address, peer };
    }
    const peerId = peerIdFromString(target);
    return { dialTarget: peerId, peer: peerId.toString() };
  } catch (cause) {
    throw new P2pError("P2P_INVALID_ARGUMENT", "target is neither a peer id nor a multiaddr", { cause });
  }
}

/** Maps a libp2p dial or stream-opening failure to a typed error. */
export function connectionError(error: unknown, signal: AbortSignal, details: Record<string, unknown> = {}): P2pError {
  if (signal.aborted) return abortError(signal, details);
  const name = error instanceof Error ? error.name : "";
  if (name === "ConnectionInterceptedError" || name === "DialDeniedError") {
    return new P2pError("P2P_PEER_NOT_ALLOWED", "connection refused by the peer gate", { details, cause: error });
  }
  if (name === "UnsupportedProtocolError") {
    return new P2pError("P2P_PROTOCOL_UNSUPPORTED", "peer does not speak the protocol", { details, cause: error });
  }
  if (name === "TooManyOutboundProtocolStreamsError") {
    return new P2pError("P2P_BUSY", "too many outbound streams for the protocol", { details, cause: error });
  }
  return new P2pError("P2P_DIAL_FAILED", "could not reach the peer", { details, cause: error });
}

/**
 * Where to dial a validator known from the chain: its first registered address with its peer id
 * appended (unless the address already ends in one), or the bare peer id when it registered none.
 */
export function validatorDialTarget(peer: { peerId: string; multiaddrs: readonly string[] }): string {
  const address = peer.multiaddrs[0];
  if (address === undefined) return peer.peerId;
  return address.includes("/p2p/") ? address : `${address}/p2p/${peer.peerId}`;
}
