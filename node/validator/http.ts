/**
 * The daemon's HTTP side: the pin store for uploaded ciphertexts and the validator HTTP API
 * (node/validator/http) with this node's info, readiness checks and DEK recovery. Its URL (or
 * `http.publicUrl`) is the endpoint registered on chain.
 */
import { join } from "node:path";
import { bytesToHex, hexToBytes, type Hex } from "viem";
import { getContentRegistration, type ChainClients } from "../chain/index.js";
import { type ChainDeployment } from "../protocol/deployment.js";
import { createValidatorHttpServer, type Readiness } from "./http/index.js";
import type { IndexerClient } from "../indexer-client/index.js";
import { createPinStore } from "../ipfs/index.js";
import type { P256PrivateKey } from "../crypto/keys/index.js";
import type { MetricsRegistry } from "./metrics/index.js";
import type { P2pNode } from "./p2p/index.js";
import { createDekRecovery, type DekRecovery, type ReplicationEngine } from "./replication/index.js";
import { type RewrapService } from "./rewrap/index.js";
import { RewrapError } from "../protocol/rewrap/index.js";
import type { DekStore } from "./store/index.js";
import type { ValidatorConfig } from "./config.js";
import type { NodeIdentity } from "./identity.js";
import type { Logger } from "../protocol/logger.js";
import type { AccessDecider } from "./access/index.js";

export const VALIDATOR_VERSION = "0.1.0";

/** /ready's indexer read: longer than this and the indexer counts as degraded. */
const INDEXER_READY_DEADLINE_MS = 1_000;

export interface HttpPart {
  /** The endpoint clients use and the chain records. */
  readonly url: string;
  stop(): Promise<void>;
}

export interface StartHttpParameters {
  config: ValidatorConfig;
  store: DekStore;
  rewrap: RewrapService;
  indexer: IndexerClient;
  /** Whether the indexer is degraded (decisions come from the chain meanwhile). */
  access: Pick<AccessDecider, "indexerDegraded">;
  metrics: MetricsRegistry;
  logger: Logger;
  identity: NodeIdentity;
  deployment: ChainDeployment;
  multiaddrs: string[];
  kasKey: P256PrivateKey;
  p2p: P2pNode;
  /** Read-only use: a recovered content's registered header. */
  chain: ChainClients;
  replication: ReplicationEngine;
}

export async function startHttp(p: StartHttpParameters): Promise<HttpPart> {
  const pins = await createPinStore({ dir: join(p.config.dataDir, "pins") });
  let endpoint = p.config.http.publicUrl ?? "";
  const server = createValidatorHttpServer(
    {
      rewrap: p.rewrap,
      store: p.store,
      pins,
      indexer: p.indexer,
      recovery: recovery(p),
      info: () => {
        const key = p.store.closed ? p.kasKey : (p.store.currentKasKey() ?? p.kasKey);
        return {
          address: p.identity.address,
          peerId: p.identity.peerId,
          multiaddrs: p.multiaddrs.map((m) => `${m}/p2p/${p.identity.peerId}`),
          kid: bytesToHex(key.kid),
          kasPublicKey: bytesToHex(key.publicKey),
          endpoint,
          chainId: p.deployment.chainId,
          version: VALIDATOR_VERSION,
        };
      },
      readiness: () => readiness(p),
      metrics: p.metrics,
      logger: p.logger,
    },
    {
      host: p.config.http.host,
      port: p.config.http.port,
      ...(p.config.http.maxUploadBytes === undefined ? {} : { maxUploadBytes: p.config.http.maxUploadBytes }),
      ...(p.config.http.maxConnectionsPerIp === undefined ? {} : { maxConnectionsPerIp: p.config.http.maxConnectionsPerIp }),
    },
  );
  try {
    await server.start();
  } catch (error) {
    await pins.close();
    throw error;
  }
  endpoint ||= server.url;
  return {
    url: endpoint,
    async stop() {
      await server.stop();
      await pins.close();
    },
  };
}

/** POST /v1/recover: the publisher's seed checked against the chain's registration, stored and confirmed by the replication engine. */
function recovery(p: StartHttpParameters): DekRecovery {
  return createDekRecovery({
    address: p.identity.address,
    domain: { chainId: BigInt(p.deployment.chainId), verifyingContract: p.deployment.addresses.rewrapAuditLog },
    store: p.store,
    indexer: p.indexer,
    engine: p.replication,
    logger: p.logger,
    async registeredHeader(contentId: Hex) {
      try {
        const registration = await getContentRegistration(p.chain, { contentId });
        return registration === undefined ? undefined : hexToBytes(registration.header);
      } catch (cause) {
        throw new RewrapError("REWRAP_UNAVAILABLE", { cause });
      }
    },
  });
}

/**
 * Chain reachable, p2p started, store open: the node can serve. The indexer (one read judged
 * against the chain head, within a second) is degraded rather than failing when the access
 * decider decides from the chain meanwhile; /ready then names it in `degraded`.
 */
async function readiness(p: StartHttpParameters): Promise<Readiness> {
  const checks: Readiness["checks"] = {};
  const code = (error: unknown) => (error as { code?: string }).code ?? "unreachable";
  try {
    await p.indexer.chainHead();
    checks.chain = { ok: true };
  } catch (error) {
    checks.chain = { ok: false, detail: code(error) };
  }
  const slow = p.access.indexerDegraded;
  try {
    if (slow !== undefined) throw Object.assign(new Error("the indexer missed a recent read"), { code: slow });
    await p.indexer.activeValidators({ signal: AbortSignal.timeout(INDEXER_READY_DEADLINE_MS) });
    checks.indexer = { ok: true };
  } catch (error) {
    checks.indexer = { ok: false, detail: code(error), degraded: checks.chain.ok };
  }
  checks.p2p = p.p2p.isStarted ? { ok: true } : { ok: false, detail: "not started" };
  checks.store = p.store.closed ? { ok: false, detail: "closed" } : p.store.failure ? { ok: false, detail: p.store.failure.code } : { ok: true };
  return { ready: true, checks };
}
