/**
 * The validator daemon (docs/architecture.md#the-validator-node): composes the node's parts in
 * dependency order
 *
 *   store → chain clients + TxSubmitter → indexer client + access decider → p2p
 *     → replication engine → rewrap service → HTTP API → on-chain registration/network record
 *
 * and stops them in the reverse order (./common.ts). Each part keeps its own errors; a failure
 * while starting stops what already started and is reported as VALIDATOR_START_FAILED naming
 * the stage. Every part is built from what the parts before it return: nothing is bound late.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Address, Hex } from "viem";
import {
  checkDeployment,
  createChainClients,
  getAccessDecision,
  loadDeployment,
  repairManyRequest,
  reportUnusableRequest,
  type ChainClients,
} from "../chain/index.js";
import { TxSubmitter } from "./submitter/index.js";
import { type ChainDeployment } from "../protocol/deployment.js";
import { createIndexerClient, type IndexerClient } from "../indexer-client/index.js";
import { createAccessDecider, type AccessDecider } from "./access/index.js";
import type { MetricsRegistry } from "./metrics/index.js";
import { createP2pNode, type P2pNode } from "./p2p/index.js";
import { createReplicationEngine, type ReplicationEngine } from "./replication/index.js";
import { createRewrapService, type RewrapService } from "./rewrap/index.js";
import { DekStore } from "./store/index.js";
import { readMnemonic, type ValidatorConfig } from "./config.js";
import { ValidatorError } from "./errors.js";
import { createCommon, type Common, type CommonOptions } from "./common.js";
import { startHttp } from "./http.js";
import { deriveIdentity, type NodeIdentity } from "./identity.js";
import type { Logger } from "../protocol/logger.js";
import { registerDaemonMetrics } from "./metrics.js";
import { ensureRegistered, type RegistrationResult } from "./registration.js";
import { ValidatorPeers } from "./peers.js";
import { startThreshold, type ThresholdNode } from "./threshold/index.js";
import { startChallenges, type ChallengeResponder } from "./challenges/index.js";
import type { P256PrivateKey } from "../crypto/keys/index.js";

export type StartValidatorOptions = CommonOptions;

export interface ValidatorStats {
  address: Address;
  status: string | undefined;
  replication: ReturnType<ReplicationEngine["stats"]>;
  rewrap: ReturnType<RewrapService["stats"]>;
  submitter: TxSubmitter["metrics"];
  store: ReturnType<DekStore["stats"]>;
  connectedPeers: number;
}

export interface Validator {
  /** The node account: the validator's identity on chain (checksummed). */
  readonly address: Address;
  readonly operator: Address;
  readonly peerId: string;
  /** The HTTP endpoint registered on chain. */
  readonly httpUrl: string;
  readonly multiaddrs: string[];
  readonly config: ValidatorConfig;
  readonly deployment: ChainDeployment;
  readonly registration: RegistrationResult;
  // The parts, for tests, the devnet and operator tooling.
  readonly store: DekStore;
  readonly chain: { node: ChainClients; operator: ChainClients };
  readonly submitter: TxSubmitter;
  readonly indexer: IndexerClient;
  readonly access: AccessDecider;
  readonly p2p: P2pNode;
  readonly rewrap: RewrapService;
  readonly replication: ReplicationEngine;
  readonly threshold: ThresholdNode;
  readonly challenges: ChallengeResponder;
  readonly metrics: MetricsRegistry;
  readonly logger: Logger;
  stats(): ValidatorStats;
  /** Stops every part in reverse dependency order. Idempotent. */
  stop(): Promise<void>;
}

export async function startValidator(config: ValidatorConfig, options: StartValidatorOptions = {}): Promise<Validator> {
  const common = createCommon(config, options);
  let stage = "keys";
  try {
    const identity: NodeIdentity = deriveIdentity(readMnemonic(config), config.nodeIndex);
    stage = "deployment";
    const deployment = loadDeployment(config.deployment);
    stage = "store";
    const { store, kasKey } = await openStore(common, identity);
    stage = "chain";
    const chain = await startChain(common, identity, deployment, store);
    stage = "indexer";
    const { indexer, access } = createReads(common, chain.node);
    stage = "p2p";
    const peers = new ValidatorPeers((peerId) => indexer.isActiveValidatorPeer(peerId));
    const p2p = await startP2p(common, identity, peers);
    stage = "replication";
    const replication = await startReplication(common, { identity, store, indexer, p2p, peers, chain });
    stage = "rewrap";
    const threshold = await startThreshold({ store, indexer, p2p, chain: chain.node, submitter: chain.submitter, me: identity.address, metrics: common.metrics, logger: common.logger.child({ component: "threshold" }), intervalMs: common.config.replication.intervalMs });
    common.shutdown.add("threshold", () => threshold.stop());
    const rewrap = await startRewrap(common, { deployment, store, access, indexer, p2p, replication, identity, chain, threshold });
    registerDaemonMetrics(common.metrics, { store, submitter: chain.submitter, p2p, rewrap, replication });
    stage = "http";
    const multiaddrs = p2p.getMultiaddrs().map((m) => m.toString().replace(/\/p2p\/[^/]+$/, ""));
    const http = await startHttp({ ...common, store, rewrap, indexer, access, logger: common.logger.child({ component: "http" }), identity, deployment, multiaddrs, kasKey, p2p, chain: chain.node, replication });
    common.shutdown.add("http", () => http.stop());
    stage = "registration";
    const registration = await register(common, { identity, chain, indexer, kasKey, multiaddrs, httpUrl: http.url });
    replication.wake();
    const challenges = startChallenges({ metrics: common.metrics, logger: common.logger.child({ component: "challenges" }), me: identity.address, deployment, store, chain: chain.node, submitter: chain.submitter, shares: threshold.member, onMissingDek: (contentId) => replication.onMissingDek(contentId) });
    common.shutdown.add("challenges", () => challenges.stop());
    const parts = { identity, deployment, registration, store, chain, indexer, access, p2p, rewrap, replication, threshold, challenges, multiaddrs, httpUrl: http.url };
    return validatorHandle(common, parts);
  } catch (error) {
    await common.shutdown.run();
    if (error instanceof ValidatorError) throw error;
    throw new ValidatorError("VALIDATOR_START_FAILED", `validator failed to start (${stage})`, { details: { stage }, cause: error });
  }
}

/** The DEK store, with the node's derived KAS key as its first (a rotated key, once current, stays current). */
async function openStore(common: Common, identity: NodeIdentity): Promise<{ store: DekStore; kasKey: P256PrivateKey }> {
  mkdirSync(common.config.dataDir, { recursive: true, mode: 0o700 });
  const store = DekStore.open({ directory: join(common.config.dataDir, "store"), storageKey: identity.keys.storageKey });
  common.shutdown.add("store", () => store.close());
  if (store.currentKasKey() === undefined) await store.addKasKey(identity.keys.kasKey, { current: true });
  return { store, kasKey: store.currentKasKey()! };
}

interface ChainSide {
  node: ChainClients;
  operator: ChainClients;
  submitter: TxSubmitter;
}

/** Chain clients for the node and operator accounts, and the submitter that batches the store's records onto the chain. */
async function startChain(common: Common, identity: NodeIdentity, deployment: ChainDeployment, store: DekStore): Promise<ChainSide> {
  const { config } = common;
  const chainOptions = { rpcUrl: config.rpcUrl, deployment, chainId: config.chainId, pollingIntervalMs: 100 };
  const node = createChainClients({ ...chainOptions, account: identity.nodeAccount });
  const operator = createChainClients({ ...chainOptions, account: identity.operatorAccount });
  await checkDeployment(node);
  const submitter = new TxSubmitter(
    { clients: node, store, logger: common.logger.child({ component: "submitter" }) },
    {
      auditBatchSize: config.audit.batchSize,
      auditIntervalMs: config.audit.intervalMs,
      holdingsBatchSize: config.holdings.batchSize,
      holdingsIntervalMs: config.holdings.intervalMs,
    },
  );
  await submitter.start();
  common.shutdown.add("submitter", () => submitter.stop());
  return { node, operator, submitter };
}

/** Indexer reads, and the access decisions made from them (the chain decides when the indexer lags). */
function createReads(common: Common, node: ChainClients): { indexer: IndexerClient; access: AccessDecider } {
  const indexer = createIndexerClient(
    { chain: node.publicClient, logger: common.logger.child({ component: "indexer-client" }) },
    { url: common.config.indexerUrl, maxStalenessBlocks: common.config.maxStalenessBlocks, validatorsCacheTtlMs: 1_000 },
  );
  const access = createAccessDecider({
    indexer,
    // A lagging indexer costs eth_calls at the head, not refusals (docs/rewrap.md).
    chainAccess: (contentId, account, blockNumber) => getAccessDecision(node, { contentId, account, blockNumber }),
    logger: common.logger.child({ component: "access" }),
  });
  return { indexer, access };
}

async function startP2p(common: Common, identity: NodeIdentity, peers: ValidatorPeers): Promise<P2pNode> {
  const { p2p: options } = common.config;
  const p2p = await createP2pNode(
    { privateKey: identity.keys.libp2pPrivateKey, isAllowedPeer: (peerId) => peers.allows(peerId), logger: common.logger.child({ component: "p2p" }) },
    { listen: options.listen, announce: options.announce, bootstrap: options.bootstrap, inboundConnectionsPerHostPerSecond: 100 },
  );
  await p2p.start();
  common.shutdown.add("p2p", () => p2p.stop());
  return p2p;
}

interface ReplicationParts {
  identity: NodeIdentity;
  store: DekStore;
  indexer: IndexerClient;
  p2p: P2pNode;
  peers: ValidatorPeers;
  chain: ChainSide;
}

async function startReplication(common: Common, p: ReplicationParts): Promise<ReplicationEngine> {
  const { replication: options, confirmations } = common.config;
  const engine = createReplicationEngine(
    {
      store: p.store,
      indexer: p.indexer,
      p2p: p.p2p,
      account: p.identity.keys.account,
      repair: async (repairs) => {
        await p.chain.submitter.sendTransaction(repairManyRequest(p.chain.node, { repairs }));
      },
      reportUnusable: async (report) => {
        await p.chain.submitter.sendTransaction(reportUnusableRequest(p.chain.node, report));
      },
      notifyHoldings: () => p.chain.submitter.notify(),
      onPeers: (peerIds) => p.peers.learn(peerIds),
      logger: common.logger.child({ component: "replication" }),
    },
    { confirmations, intervalMs: options.intervalMs, concurrency: options.concurrency, pullTimeoutMs: options.pullTimeoutMs },
  );
  await engine.start();
  common.shutdown.add("replication", () => engine.stop());
  return engine;
}

interface RewrapParts {
  deployment: ChainDeployment;
  store: DekStore;
  access: AccessDecider;
  indexer: IndexerClient;
  p2p: P2pNode;
  replication: ReplicationEngine;
  identity: NodeIdentity;
  chain: ChainSide;
  threshold: ThresholdNode;
}

async function startRewrap(common: Common, p: RewrapParts): Promise<RewrapService> {
  const rewrap = createRewrapService(
    {
      store: p.store,
      access: p.access,
      indexer: p.indexer,
      p2p: p.p2p,
      chainId: BigInt(p.deployment.chainId),
      auditLog: p.deployment.addresses.rewrapAuditLog,
      logger: common.logger.child({ component: "rewrap" }),
      onMissingDek: (contentId: Hex) => p.replication.onMissingDek(contentId),
      // Its status per the last work list (≤ one pass old); before the first, as registered.
      mayServe: () => p.replication.status === undefined || p.replication.status === "active",
      shares: p.threshold.member,
    },
    { cryptoWorkers: common.config.cryptoWorkers },
  );
  await rewrap.start();
  common.shutdown.add("rewrap", () => rewrap.stop());
  return rewrap;
}

interface RegisterParts {
  identity: NodeIdentity;
  chain: ChainSide;
  indexer: IndexerClient;
  kasKey: P256PrivateKey;
  multiaddrs: string[];
  httpUrl: string;
}

/** The node's on-chain record: registered (and staked, on devnets) with its current network record. */
async function register(common: Common, p: RegisterParts): Promise<RegistrationResult> {
  const { config } = common;
  const published = await p.indexer
    .replication(p.identity.address, { signal: common.shutdown.signal })
    .then((w) => w.node ?? undefined)
    .catch(() => undefined);
  return ensureRegistered({
    nodeClients: p.chain.node,
    operatorClients: p.chain.operator,
    logger: common.logger.child({ component: "validator" }),
    kasPublicKey: p.kasKey.publicKey,
    libp2pPrivateKey: p.identity.keys.libp2pPrivateKey,
    network: { multiaddrs: config.p2p.announce.length > 0 ? config.p2p.announce : p.multiaddrs, endpoint: p.httpUrl },
    published,
    register: config.register,
    stake: config.stake === undefined ? undefined : BigInt(config.stake),
  });
}

interface StartedParts {
  identity: NodeIdentity;
  deployment: ChainDeployment;
  registration: RegistrationResult;
  store: DekStore;
  chain: ChainSide;
  indexer: IndexerClient;
  access: AccessDecider;
  p2p: P2pNode;
  rewrap: RewrapService;
  replication: ReplicationEngine;
  threshold: ThresholdNode;
  challenges: ChallengeResponder;
  multiaddrs: string[];
  httpUrl: string;
}

function validatorHandle(common: Common, p: StartedParts): Validator {
  const log = common.logger.child({ component: "validator" });
  const { identity } = p;
  log.info("validator started", { address: identity.address, peerId: identity.peerId, http: p.httpUrl, multiaddrs: p.multiaddrs, status: p.registration.validator.status });
  let stopping: Promise<void> | undefined;
  return {
    address: identity.address,
    operator: identity.operatorAccount.address,
    peerId: identity.peerId,
    httpUrl: p.httpUrl,
    multiaddrs: p.multiaddrs.map((m) => `${m}/p2p/${identity.peerId}`),
    config: common.config,
    deployment: p.deployment,
    registration: p.registration,
    store: p.store,
    chain: { node: p.chain.node, operator: p.chain.operator },
    submitter: p.chain.submitter,
    indexer: p.indexer,
    access: p.access,
    p2p: p.p2p,
    rewrap: p.rewrap,
    replication: p.replication,
    threshold: p.threshold,
    challenges: p.challenges,
    metrics: common.metrics,
    logger: common.logger,
    stats: () => ({
      address: identity.address,
      status: p.replication.status,
      replication: p.replication.stats(),
      rewrap: p.rewrap.stats(),
      submitter: { ...p.chain.submitter.metrics },
      store: p.store.stats(),
      connectedPeers: p.p2p.connectedPeers().length,
    }),
    stop: () =>
      (stopping ??= (async () => {
        log.info("validator stopping", { address: identity.address });
        await common.shutdown.run();
        log.info("validator stopped", { address: identity.address });
      })()),
  };
}
