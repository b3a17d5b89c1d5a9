import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { Libp2p, Stream } from "@libp2p/interface";
import { tcp } from "@libp2p/tcp";
import { createLibp2p } from "libp2p";
import { createP2pNode, type P2pNode, type P2pNodeOptions } from "../../../../node/validator/p2p/index.js";

/** The stand-in for "active, non-revoked validators on chain": a mutable set of peer ids. */
export class AllowList {
  readonly #peers = new Set<string>();
  /** Every question the gate asked, in order. */
  readonly asked: string[] = [];

  readonly isAllowedPeer = async (peerId: string): Promise<boolean> => {
    this.asked.push(peerId);
    return this.#peers.has(peerId);
  };

  allow(...peers: string[]): void {
    for (const peer of peers) this.#peers.add(peer);
  }

  revoke(...peers: string[]): void {
    for (const peer of peers) this.#peers.delete(peer);
  }
}

/** Several started validators on loopback, each allowed by one shared list unless told otherwise. */
export class Network {
  readonly nodes: P2pNode[] = [];
  readonly raw: Libp2p[] = [];
  readonly allow = new AllowList();

  /**
   * Starts a node that uses the shared allow list (or its own) and is itself on the shared list.
   * Every test peer dials from 127.0.0.1, so libp2p's limit on new connections per host per
   * second (5 by default) is raised unless a test sets it: with the default, a test file's
   * later dials failed whenever earlier tests had connected in the same second.
   */
  async node(options: P2pNodeOptions = {}, allow: AllowList = this.allow): Promise<P2pNode> {
    const node = await createP2pNode(
      { privateKey: await generateKeyPair("secp256k1"), isAllowedPeer: allow.isAllowedPeer },
      { inboundConnectionsPerHostPerSecond: 1_000, ...options },
    );
    this.allow.allow(node.peerId);
    this.nodes.push(node);
    await node.start();
    return node;
  }

  /**
   * A bare libp2p peer (TCP, Noise, Yamux, nothing else) that writes whatever bytes a test
   * wants: the hostile or broken peer of the framing tests. It is on the shared allow list.
   */
  async rawPeer(): Promise<Libp2p> {
    const peer = await createLibp2p({
      privateKey: await generateKeyPair("secp256k1"),
      addresses: { listen: ["/ip4/127.0.0.1/tcp/0"] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
    });
    this.allow.allow(peer.peerId.toString());
    this.raw.push(peer);
    return peer;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.nodes.map((node) => node.stop()), ...this.raw.map((peer) => peer.stop())]);
  }
}

export function address(node: P2pNode): string {
  return node.getMultiaddrs()[0]!.toString();
}

export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Reads everything the remote writes until it closes its side (or resets). */
export async function readAll(stream: Stream): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  try {
    for await (const chunk of stream) chunks.push(chunk instanceof Uint8Array ? chunk : chunk.subarray());
  } catch {
    // A reset ends the reading; what arrived before it is the answer.
  }
  return Buffer.concat(chunks);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
