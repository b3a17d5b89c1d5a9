/**
 * The daemon's own Prometheus metrics on the node's registry (./metrics/): pulled from the
 * parts' plain stats objects right before each render, so the hot paths never touch a metric.
 * The store's row counts are SQLite scans on the event loop (counting DEKs: a few ms per
 * million), so they are pulled at most once per `storeStatsMaxAgeMs` however many scrapers
 * there are; the rest are in-memory counters, read on every render. docs/validator.md lists them.
 */
import type { TxSubmitter } from "./submitter/index.js";
import type { MetricsRegistry } from "./metrics/index.js";
import type { P2pNode } from "./p2p/index.js";
import type { ReplicationEngine } from "./replication/index.js";
import type { RewrapService } from "./rewrap/index.js";
import type { DekStore } from "./store/index.js";

export interface DaemonMetricsSources {
  store: DekStore;
  submitter: TxSubmitter;
  p2p: P2pNode;
  rewrap: RewrapService;
  replication: ReplicationEngine;
}

/** How stale the store's row counts in a scrape may be. */
export const DEFAULT_STORE_STATS_MAX_AGE_MS = 5_000;

export interface DaemonMetricsOptions {
  /** The store's row counts are read at most once per this. Default 5 s. */
  storeStatsMaxAgeMs?: number;
}

export function registerDaemonMetrics(registry: MetricsRegistry, sources: DaemonMetricsSources, options: DaemonMetricsOptions = {}): void {
  const replication = registry.gauge("replication_events", "Replication events since start, by kind (derived, pulled, pulled_from_providers, recovered, pull_failures, served, repairs_sent, repair_failures, provided)", ["kind"]);
  const replicationRefused = registry.gauge("replication_refusals", "Replication refusals since start (sent to pullers and received from holders), by code", ["code"]);
  const replicationContents = registry.gauge("replication_contents", "Contents in this node's last replication work list");
  const replicationMissing = registry.gauge("replication_missing", "DEKs this node should hold and does not (yet)");
  const submitter = registry.gauge("submitter_events", "TxSubmitter counters since start, by kind", ["kind"]);
  const submitterHalted = registry.gauge("submitter_halted", "1 when the submitter halted (the chain refuses this validator's records)");
  const storeRows = registry.gauge("store_rows", "Rows in the DEK store, by table", ["table"]);
  const walFsyncs = registry.gauge("store_wal_fsyncs", "fsyncs of the store's WAL since start (each makes the commits before it durable)");
  const walFsyncSeconds = registry.gauge("store_wal_fsync_seconds", "Seconds the store's WAL fsyncs took since start; / store_wal_fsyncs = mean latency");
  const peers = registry.gauge("p2p_connected_peers", "Connected libp2p peers");
  const dhtPeers = registry.gauge("p2p_dht_peers", "Peers in the DHT routing table");
  const providesWaiting = registry.gauge("p2p_dht_provides_waiting", "Provider records waiting for their turn to be announced");
  const rewrap = registry.gauge("rewrap_events", "Rewrap service counters since start, by kind (served, shares_served, forwarded, forwarded_via_providers, inbound_forwards)", ["kind"]);
  const rewrapRefused = registry.gauge("rewrap_refusals", "Rewrap refusals since start, by code", ["code"]);

  registry.collect(() => {
    const r = sources.replication.stats();
    replication.set({ kind: "derived" }, r.derived);
    replication.set({ kind: "pulled" }, r.pulled);
    replication.set({ kind: "recovered" }, r.recovered);
    replication.set({ kind: "pull_failures" }, r.pullFailures);
    replication.set({ kind: "pulled_from_providers" }, r.pulledFromProviders);
    replication.set({ kind: "served" }, r.served);
    replication.set({ kind: "repairs_sent" }, r.repairsSent);
    replication.set({ kind: "repair_failures" }, r.repairFailures);
    replication.set({ kind: "provided" }, r.provided);
    for (const [code, n] of Object.entries(r.refused)) replicationRefused.set({ code }, n);
    replicationContents.set(r.contents);
    replicationMissing.set(r.missing);

    const m = sources.submitter.metrics;
    for (const kind of ["auditBatchesSent", "auditBatchesRecorded", "auditRecordsRecorded", "holdingBatchesSent", "holdingsConfirmed", "holdingsSkipped", "transactionsSent", "retries", "nonceResyncs", "reconciles"] as const) {
      submitter.set({ kind }, Number(m[kind]));
    }
    submitterHalted.set(m.halted ? 1 : 0);

    if (!sources.store.closed) {
      const wal = sources.store.walStats();
      walFsyncs.set(wal.fsyncs);
      walFsyncSeconds.set(wal.fsyncSeconds);
    }
    peers.set(sources.p2p.isStarted ? sources.p2p.connectedPeers().length : 0);
    dhtPeers.set(sources.p2p.isStarted ? sources.p2p.dhtPeerCount() : 0);
    providesWaiting.set(sources.p2p.providesWaiting);

    const w = sources.rewrap.stats();
    rewrap.set({ kind: "served" }, w.served);
    rewrap.set({ kind: "shares_served" }, w.sharesServed);
    rewrap.set({ kind: "forwarded" }, w.forwarded);
    rewrap.set({ kind: "forwarded_via_providers" }, w.forwardedViaProviders);
    rewrap.set({ kind: "inbound_forwards" }, w.inboundForwards);
    for (const [code, n] of Object.entries(w.refused)) rewrapRefused.set({ code }, n ?? 0);
  });

  registry.collect(
    () => {
      if (sources.store.closed) return;
      const s = sources.store.stats() as unknown as Record<string, unknown>;
      for (const [table, value] of Object.entries(s)) if (typeof value === "number") storeRows.set({ table }, value);
    },
    { maxAgeMs: options.storeStatsMaxAgeMs ?? DEFAULT_STORE_STATS_MAX_AGE_MS },
  );
}
