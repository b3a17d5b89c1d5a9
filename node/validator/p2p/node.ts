import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { identify, type Identify } from "@libp2p/identify";
import type { Libp2p, PeerId } from "@libp2p/interface";
import { kadDHT, passthroughMapper, type KadDHT, type SingleKadDHT } from "@libp2p/kad-dht";
import { peerIdFromPrivateKey, peerIdFromString } from "@libp2p/peer-id";
import { ping, type Ping } from "@libp2p/ping";
import { tcp } from "@libp2p/tcp";
import type { Multiaddr } from "@multiformats/multiaddr";
import { createLibp2p } from "libp2p";
import { DHT_INITIAL_SELF_QUERY_MS, DHT_PROTOCOL, MAX_EARLY_STREAMS } from "./constants.js";
import { ProviderRecords, type ProviderInfo } from "./dht.js";
import { P2pError } from "./errors.js";
import { PeerGate } from "./gate.js";
import {
  resolveNodeOptions,
  type DhtQueryOptions,
  type FindProvidersOptions,
  type HandleOptions,
  type P2pNodeComponents,
  type P2pNodeOptions,
  type RequestOptions,
  type ResolvedP2pNodeOptions,
} from "./options.js";
import { connectionError, parseTarget, type PeerTarget } from "./peers.js";
import { RequestResponse, type RequestHandler } from "./request-response.js";
import { Slots } from "./slots.js";
import { silentLogger, type Logger } from "../../protocol/logger.js";

type Services = { identify: Identify; ping: Ping; dht: KadDHT };


/**
 * Builds the validator's libp2p node (TCP, Noise, Yamux, identify, ping, Kademlia DHT) with
 * the peer gate in front of every connection. The node is not started.
 */
export async function createP2pNode(components: P2pNodeComponents, options: P2pNodeOptions = {}): Promise<P2pNode> {
  const resolved = resolveNodeOptions(options);
  // ValidatorRegistry only accepts peer ids of secp256k1 keys (it checks a signature by the key).
  if (components.privateKey?.type !== "secp256k1") {
    throw new P2pError("P2P_INVALID_ARGUMENT", "the libp2p identity must be a secp256k1 private key");
  }
  if (typeof components.isAllowedPeer !== "function") {
    throw new P2pError("P2P_INVALID_ARGUMENT", "isAllowedPeer must be a function");
  }
  const logger = components.logger ?? silentLogger;
  const self = peerIdFromPrivateKey(components.privateKey).toString();
  const gate = new PeerGate({ isAllowedPeer: components.isAllowedPeer, logger }, { ttlMs: resolved.peerCacheTtlMs, self });
  const libp2p = await createLibp2p<Services>({
    start: false,
    privateKey: components.privateKey,
    nodeInfo: { name: "dekmesh" },
    addresses: {
      listen: resolved.listen.map(String),
      announce: resolved.announce.map(String),
    },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux({ maxEarlyStreams: MAX_EARLY_STREAMS })],
    connectionGater: gate.connectionGater(),
    connectionManager: { inboundConnectionThreshold: resolved.inboundConnectionsPerHostPerSecond },
    peerDiscovery: [],
    services: {
      identify: identify(),
      ping: ping(),
      dht: kadDHT({
        protocol: DHT_PROTOCOL,
        clientMode: resolved.dhtMode === "client",
        // Every peer is an authenticated validator, and devnets run on loopback and LANs.
        peerInfoMapper: passthroughMapper,
        initialQuerySelfInterval: DHT_INITIAL_SELF_QUERY_MS,
        logPrefix: "dekmesh:p2p:dht",
        datastorePrefix: "/dekmesh/dht",
        metricsPrefix: "dekmesh_p2p_dht",
      }),
    },
  });
  return new P2pNode({ libp2p, gate, logger }, resolved);
}

interface P2pNodeInternals {
  libp2p: Libp2p<Services>;
  gate: PeerGate;
  logger: Logger;
}

/**
 * The validator's libp2p layer: gated connections, request/response protocols and DHT provider
 * records. Build it with `createP2pNode`, then `start()`; `stop()` closes every connection.
 */
export class P2pNode {
  readonly peerId: string;
  readonly #libp2p: Libp2p<Services>;
  readonly #gate: PeerGate;
  readonly #logger: Logger;
  readonly #options: ResolvedP2pNodeOptions;
  readonly #requests: RequestResponse;
  readonly #providers: ProviderRecords;
  readonly #provideSlots: Slots;
  #shutdown = new AbortController();
  #timers: NodeJS.Timeout[] = [];
  #rechecking: Promise<string[]> | undefined;

  constructor(internals: P2pNodeInternals, options: ResolvedP2pNodeOptions) {
    this.#libp2p = internals.libp2p;
    this.#gate = internals.gate;
    this.#logger = internals.logger;
    this.#options = options;
    this.peerId = internals.libp2p.peerId.toString();
    this.#requests = new RequestResponse(
      {
        libp2p: internals.libp2p,
        gate: internals.gate,
        logger: internals.logger,
        dropPeer: (peer) => void this.#hangUp(peer),
      },
      { shutdown: this.#shutdown.signal, requestTimeoutMs: options.requestTimeoutMs },
    );
    this.#providers = new ProviderRecords({ libp2p: internals.libp2p, gate: internals.gate, logger: internals.logger });
    this.#provideSlots = new Slots(options.dhtProvideConcurrency);
  }

  get isStarted(): boolean {
    return this.#libp2p.status === "started";
  }

  async start(): Promise<void> {
    if (this.isStarted) return;
    if (this.#shutdown.signal.aborted) {
      throw new P2pError("P2P_NOT_STARTED", "a stopped node cannot be started again; create a new one");
    }
    await this.#libp2p.start();
    this.#logger.info("p2p node started", { peer: this.peerId, addresses: this.getMultiaddrs().map(String) });
    if (this.#options.revalidateIntervalMs > 0) {
      this.#every(this.#options.revalidateIntervalMs, () => void this.#recheckConnected());
    }
    if (this.#options.bootstrap.length > 0) {
      void this.#dialBootstrap();
      this.#every(this.#options.bootstrapRetryMs, () => {
        if (this.#libp2p.getConnections().length === 0) void this.#dialBootstrap();
      });
    }
  }

  /** Stops timers, aborts in-flight handlers and requests, closes every connection and listener. */
  async stop(): Promise<void> {
    this.#shutdown.abort(new P2pError("P2P_ABORTED", "p2p node stopping"));
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
    await this.#libp2p.stop();
    this.#logger.info("p2p node stopped", { peer: this.peerId });
  }

  /** The addresses peers can dial, each ending in `/p2p/<this node's peer id>`. */
  getMultiaddrs(): Multiaddr[] {
    return this.#libp2p.getMultiaddrs();
  }

  /** Peer ids with at least one open connection. */
  connectedPeers(): string[] {
    return [...new Set(this.#libp2p.getConnections().map((connection) => connection.remotePeer.toString()))];
  }

  /** Peers in the DHT routing table; a node with 0 cannot publish or find provider records. */
  dhtPeerCount(): number {
    return (this.#libp2p.services.dht as SingleKadDHT).routingTable.size;
  }

  /** Connects to a peer (gated both ways) and returns its authenticated peer id. */
  async dial(target: PeerTarget, options: { signal?: AbortSignal } = {}): Promise<string> {
    this.#assertStarted();
    const dialTarget = await this.#allowedTarget(target);
    const signal = this.#signal(options.signal, this.#options.requestTimeoutMs);
    try {
      const connection = await this.#libp2p.dial(dialTarget, { signal });
      return connection.remotePeer.toString();
    } catch (error) {
      throw connectionError(error, signal);
    }
  }

  /** Round-trip time to a peer in milliseconds, over the standard libp2p ping protocol. */
  async ping(target: PeerTarget, options: { signal?: AbortSignal } = {}): Promise<number> {
    this.#assertStarted();
    const dialTarget = await this.#allowedTarget(target);
    const signal = this.#signal(options.signal, this.#options.requestTimeoutMs);
    try {
      return await this.#libp2p.services.ping.ping(dialTarget, { signal });
    } catch (error) {
      throw connectionError(error, signal);
    }
  }

  /** Closes every connection to a peer. */
  async hangUp(peer: string): Promise<void> {
    await this.#hangUp(peer);
  }

  /** Serves `protocol` (`/dekmesh/<name>/<version>`) with `handler`; see `RequestHandler`. */
  async handle(protocol: string, handler: RequestHandler, options: HandleOptions = {}): Promise<void> {
    await this.#requests.handle(protocol, handler, options);
  }

  async unhandle(protocol: string): Promise<void> {
    await this.#requests.unhandle(protocol);
  }

  /**
   * Sends one request on a fresh stream and returns the answer's bytes. Refusals are raised as
   * `P2pRemoteError` with the remote's code; local failures as `P2pError`.
   */
  async request(target: PeerTarget, protocol: string, payload: Uint8Array, options: RequestOptions = {}): Promise<Uint8Array> {
    this.#assertStarted();
    return this.#requests.request(target, protocol, payload, options);
  }

  /**
   * Announces in the DHT that this node holds the DEK of `contentId`; returns how many peers
   * stored the record (0 if it reached none: try again later). At most `dhtProvideConcurrency`
   * run at once; the query's deadline starts when its turn comes, and `signal` or stop() also
   * cancel the wait for it. A node with no DHT peer connected first dials `seeds`.
   */
  async provide(contentId: string, options: DhtQueryOptions = {}): Promise<number> {
    this.#assertStarted();
    const waiting = options.signal === undefined ? this.#shutdown.signal : AbortSignal.any([this.#shutdown.signal, options.signal]);
    return this.#provideSlots.run(
      () => this.#providers.provide(contentId, this.#signal(options.signal, this.#options.dhtQueryTimeoutMs), options.seeds),
      waiting,
    );
  }

  /** `provide` calls waiting for their turn. */
  get providesWaiting(): number {
    return this.#provideSlots.waiting;
  }

  /** Stops republishing the provider record of `contentId` (e.g. after handing its DEK off); peers drop it when it expires. */
  async stopProviding(contentId: string): Promise<void> {
    this.#assertStarted();
    await this.#providers.stopProviding(contentId);
  }

  /** Validators (still allowed by the gate) that announced they hold the DEK of `contentId`. A node with no DHT peer connected first dials `seeds`. */
  async findProviders(contentId: string, options: FindProvidersOptions = {}): Promise<ProviderInfo[]> {
    this.#assertStarted();
    const signal = this.#signal(options.signal, this.#options.dhtQueryTimeoutMs);
    return this.#providers.findProviders(contentId, signal, options);
  }

  /**
   * Forgets every cached peer decision, asks the predicate again about each connected peer and
   * closes the connections of those no longer allowed. Call it when the active set changes.
   * Returns the peer ids that were dropped.
   */
  async revalidate(): Promise<string[]> {
    this.#gate.clear();
    // A periodic pass that started before the change may have used stale answers.
    await this.#rechecking;
    return this.#recheckConnected();
  }

  async #recheckConnected(): Promise<string[]> {
    if (this.#rechecking !== undefined) return this.#rechecking;
    const pass = (async () => {
      const dropped: string[] = [];
      await Promise.all(
        this.connectedPeers().map(async (peer) => {
          if ((await this.#gate.recheck(peer)) !== false) return;
          dropped.push(peer);
          this.#logger.info("dropping peer no longer allowed", { peer });
          await this.#hangUp(peer);
        }),
      );
      return dropped;
    })();
    this.#rechecking = pass;
    try {
      return await pass;
    } finally {
      this.#rechecking = undefined;
    }
  }

  async #dialBootstrap(): Promise<void> {
    await Promise.allSettled(
      this.#options.bootstrap.map(async (address) => {
        const peer = address.getComponents().findLast((component) => component.name === "p2p")?.value;
        if (peer === this.peerId || this.#shutdown.signal.aborted) return;
        try {
          await this.#libp2p.dial(address, { signal: this.#signal(undefined, this.#options.requestTimeoutMs) });
        } catch (error) {
          this.#logger.debug("bootstrap dial failed", { address: address.toString(), error: String(error) });
        }
      }),
    );
  }

  async #hangUp(peer: string): Promise<void> {
    try {
      await this.#libp2p.hangUp(peerIdFromString(peer));
    } catch (error) {
      this.#logger.debug("hang up failed", { peer, error: String(error) });
    }
  }

  async #allowedTarget(target: PeerTarget): Promise<PeerId | Multiaddr> {
    const { dialTarget, peer } = parseTarget(target);
    if (peer !== undefined && !(await this.#gate.isAllowed(peer))) {
      throw new P2pError("P2P_PEER_NOT_ALLOWED", "peer is not an active validator", { details: { peer } });
    }
    return dialTarget;
  }

  #signal(signal: AbortSignal | undefined, timeoutMs: number): AbortSignal {
    const signals = [this.#shutdown.signal, AbortSignal.timeout(timeoutMs)];
    if (signal !== undefined) signals.push(signal);
    return AbortSignal.any(signals);
  }

  #every(intervalMs: number, task: () => void): void {
    const timer = setInterval(task, intervalMs);
    timer.unref();
    this.#timers.push(timer);
  }

  #assertStarted(): void {
    if (!this.isStarted) throw new P2pError("P2P_NOT_STARTED", "p2p node is not running");
  }
}
