/**
 * The validator daemon (SPEC §5–§7): composes the node's parts in dependency order
 *
 *   store → chain clients + TxSubmitter → indexer client → p2p → rewrap service
 *     → replication engine → HTTP API → on-chain registration/network record
 *
 * and stops them in the reverse order. Each part keeps its own errors; a failure while starting
 * stops what already started and is reported as VALIDATOR_START_FAILED naming the stage.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Address, Hex } from "viem";
import { checkDeployment, createChainClients, getAccessDecision, loadDeployment, repairManyRequest, TxSubmitter, type ChainClients, type ChainDeployment } from "../chain/index.js";
import { createIndexerClient, type IndexerClient } from "../indexer-client/index.js";
import { createMetricsRegistry, type MetricsRegistry } from "./metrics/index.js";
import { createP2pNode, type P2pNode } from "./p2p/index.js";
import { createReplicationEngine, type ReplicationEngine } from "./replication/index.js";
import { createRewrapService, type RewrapService } from "./rewrap/index.js";
import { DekStore } from "./store/index.js";
import { readMnemonic, type ValidatorConfig } from "./config.js";
import { ValidatorError } from "./errors.js";
import { startHttp, type HttpPart } from "./http.js";
import { deriveIdentity, type NodeIdentity } from "./identity.js";
import { createJsonLogger, type Logger } from "./logger.js";
import { registerDaemonMetrics } from "./metrics.js";
import { ensureRegistered, type RegistrationResult } from "./registration.js";

export interface StartValidatorOptions {
  /** Default: a JSON logger on stderr at the config's level. */
  logger?: Logger;
  /** Default: a fresh registry (the HTTP API renders it at GET /metrics). */
  metrics?: MetricsRegistry;
}

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
  readonly p2p: P2pNode;
  readonly rewrap: RewrapService;
  readonly replication: ReplicationEngine;
  readonly metrics: MetricsRegistry;
  readonly logger: Logger;
  stats(): ValidatorStats;
  /** Stops every part in reverse dependency order. Idempotent. */
  stop(): Promise<void>;
}

type Stopper = { name: string; stop: () => Promise<void> | void };

export async function startValidator(config: ValidatorConfig, options: StartValidatorOptions = {}): Promise<Validator> {
  const logger = options.logger ?? createJsonLogger({ level: config.logLevel });
  const log = logger.child({ component: "validator" });
  const metrics = options.metrics ?? createMetricsRegistry();
  const stoppers: Stopper[] = [];
  let stage = "config";
  const stopAll = async () => {
    for (const { name, stop } of stoppers.splice(0).reverse()) {
      try {
        await stop();
      } catch (error) {
        log.warn("stopping a part failed", { part: name, error });
      }
    }
  };

  try {
    stage = "keys";
    const identity: NodeIdentity = deriveIdentity(readMnemonic(config), config.nodeIndex);
    stage = "deployment";
    const deployment = loadDeployment(config.deployment);

    stage = "store";
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    const store = DekStore.open({ directory: join(config.dataDir, "store"), storageKey: identity.keys.storageKey });
    stoppers.push({ name: "store", stop: () => store.close() });
    // The derived KAS key is the node's first; a rotated key, once current, stays current.
    if (store.currentKasKey() === undefined) await store.addKasKey(identity.keys.kasKey, { current: true });
    const kasKey = store.currentKasKey()!;

    stage = "chain";
    const chainOptions = { rpcUrl: config.rpcUrl, deployment, chainId: config.chainId, pollingIntervalMs: 100 };
    const nodeClients = createChainClients({ ...chainOptions, account: identity.nodeAccount });
    const operatorClients = createChainClients({ ...chainOptions, account: identity.operatorAccount });
    await checkDeployment(nodeClients);
    const submitter = new TxSubmitter(
      { clients: nodeClients, store, logger: logger.child({ component: "submitter" }) },
      {
        auditBatchSize: config.audit.batchSize,
        auditIntervalMs: config.audit.intervalMs,
        holdingsBatchSize: config.holdings.batchSize,
        holdingsIntervalMs: config.holdings.intervalMs,
      },
    );
    await submitter.start();
    stoppers.push({ name: "submitter", stop: () => submitter.stop() });

    stage = "indexer";
    const indexer = createIndexerClient(
      {
        chain: nodeClients.publicClient,
        // A lagging indexer costs eth_calls at the head, not refusals (docs/rewrap.md).
        chainAccess: (contentId, account, blockNumber) => getAccessDecision(nodeClients, { contentId, account, blockNumber }),
        logger: logger.child({ component: "indexer-client" }),
      },
      { url: config.indexerUrl, maxStalenessBlocks: config.maxStalenessBlocks, validatorsCacheTtlMs: 1_000 },
    );

    stage = "p2p";
    // Peers are validators: active, or exiting but not revoked (still staked, still handing
    // off). The replication engine's last work list answers; before its first, the indexer's
    // active set does.
    let replication: ReplicationEngine | undefined;
    const p2p = await createP2pNode(
      {
        privateKey: identity.keys.libp2pPrivateKey,
        isAllowedPeer: async (peerId) => replication?.isKnownPeer(peerId) ?? (await indexer.isActiveValidatorPeer(peerId)),
        logger: logger.child({ component: "p2p" }),
      },
      { listen: config.p2p.listen, announce: config.p2p.announce, bootstrap: config.p2p.bootstrap, inboundConnectionsPerHostPerSecond: 100 },
    );
    await p2p.start();
    stoppers.push({ name: "p2p", stop: () => p2p.stop() });

    stage = "rewrap";
    const rewrap = createRewrapService(
      {
        store,
        indexer,
        p2p,
        chainId: BigInt(deployment.chainId),
        auditLog: deployment.addresses.rewrapAuditLog,
        logger: logger.child({ component: "rewrap" }),
        onMissingDek: (contentId: Hex) => replication?.onMissingDek(contentId),
      },
      { cryptoWorkers: config.cryptoWorkers },
    );
    await rewrap.start();
    stoppers.push({ name: "rewrap", stop: () => rewrap.stop() });

    stage = "replication";
    replication = createReplicationEngine(
      {
        store,
        indexer,
        p2p,
        account: identity.keys.account,
        repair: async (repairs) => {
          await submitter.sendTransaction(repairManyRequest(nodeClients, { repairs }));
        },
        notifyHoldings: () => submitter.notify(),
        logger: logger.child({ component: "replication" }),
      },
      {
        confirmations: config.confirmations,
        intervalMs: config.replication.intervalMs,
        concurrency: config.replication.concurrency,
        pullTimeoutMs: config.replication.pullTimeoutMs,
      },
    );
    const engine = replication;
    await engine.start();
    stoppers.push({ name: "replication", stop: () => engine.stop() });
    registerDaemonMetrics(metrics, { store, submitter, p2p, rewrap, replication: engine });

    stage = "http";
    const multiaddrs = p2p.getMultiaddrs().map((m) => m.toString().replace(/\/p2p\/[^/]+$/, ""));
    const http: HttpPart = await startHttp({ config, store, rewrap, indexer, metrics, logger: logger.child({ component: "http" }), identity, deployment, multiaddrs, kasKey, p2p, chain: nodeClients, replication: engine });
    stoppers.push({ name: "http", stop: () => http.stop() });

    stage = "registration";
    const published = await indexer
      .replication(identity.address)
      .then((w) => w.node ?? undefined)
      .catch(() => undefined);
    const registration = await ensureRegistered({
      nodeClients,
      operatorClients,
      logger: log,
      kasPublicKey: kasKey.publicKey,
      network: { peerId: identity.peerIdBytes, multiaddrs: config.p2p.announce.length > 0 ? config.p2p.announce : multiaddrs, endpoint: http.url },
      published,
      peerIdText: identity.peerId,
      register: config.register,
      stake: config.stake === undefined ? undefined : BigInt(config.stake),
    });
    engine.wake();
    log.info("validator started", {
      address: identity.address,
      peerId: identity.peerId,
      http: http.url,
      multiaddrs,
      status: registration.validator.status,
    });

    let stopping: Promise<void> | undefined;
    return {
      address: identity.address,
      operator: identity.operatorAccount.address,
      peerId: identity.peerId,
      httpUrl: http.url,
      multiaddrs: multiaddrs.map((m) => `${m}/p2p/${identity.peerId}`),
      config,
      deployment,
      registration,
      store,
      chain: { node: nodeClients, operator: operatorClients },
      submitter,
      indexer,
      p2p,
      rewrap,
      replication: engine,
      metrics,
      logger,
      stats: () => ({
        address: identity.address,
        status: engine.status,
        replication: engine.stats(),
        rewrap: rewrap.stats(),
        submitter: { ...submitter.metrics },
        store: store.stats(),
        connectedPeers: p2p.connectedPeers().length,
      }),
      stop: () =>
        (stopping ??= (async () => {
          log.info("validator stopping", { address: identity.address });
          await stopAll();
          log.info("validator stopped", { address: identity.address });
        })()),
    };
  } catch (error) {
    await stopAll();
    if (error instanceof ValidatorError) throw error;
    throw new ValidatorError("VALIDATOR_START_FAILED", `validator failed to start (${stage})`, { details: { stage }, cause: error });
  }
}
