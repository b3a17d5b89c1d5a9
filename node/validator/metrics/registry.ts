/**
 * A validator's Prometheus registry: prom-client's counters, gauges and histograms on a
 * `Registry` of the node's own — never prom-client's global one, because a devnet runs several
 * validators in one process and each must render only its own series — plus pull collectors
 * that refresh gauges right before each scrape.
 *
 * Every dekmesh metric name carries the `dekmesh_` prefix: callers may write it or leave it out
 * (`counter("rewraps_total")` and `counter("dekmesh_rewraps_total")` are the same metric), so
 * the daemon's modules cannot drift apart on it. Defining an existing name again with the same
 * type, help, labels and buckets returns the existing metric (a server restarted on the same
 * registry keeps counting); anything else is a METRICS_CONFLICT.
 *
 * A scrape must not cost the node's real work, however often it comes: a collector registered
 * with `maxAgeMs` runs at most once per that period (the daemon's store row counts are SQLite
 * scans), and a collector still running is never started again — concurrent scrapes wait for
 * the one run (single flight).
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { MetricsError } from "./errors.js";

export const METRIC_PREFIX = "dekmesh_";
/** A collector that has not finished by then is skipped for this scrape (and counted). */
export const DEFAULT_COLLECT_TIMEOUT_MS = 5_000;
/** The text format 0.0.4, what `render()` returns. */
export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

export type Collector = () => void | Promise<void>;

export interface CollectOptions {
  /** Renders within this long after the collector last succeeded reuse its values. Default 0: every render runs it. */
  maxAgeMs?: number;
}

export interface MetricsRegistry {
  counter<L extends string>(name: string, help: string, labelNames?: readonly L[]): Counter<L>;
  gauge<L extends string>(name: string, help: string, labelNames?: readonly L[]): Gauge<L>;
  histogram<L extends string>(name: string, help: string, buckets: readonly number[], labelNames?: readonly L[]): Histogram<L>;
  /** Runs before each render (pull-style gauges: store stats, submitter stats…), at most once per `maxAgeMs`. */
  collect(fn: Collector, options?: CollectOptions): void;
  /** Text format 0.0.4; runs the collectors first. */
  render(): Promise<string>;
}

export interface MetricsRegistryOptions {
  collectTimeoutMs?: number;
  /**
   * prom-client's default metrics of the process (CPU, memory, heap spaces, file descriptors,
   * event-loop lag, GC durations), under their standard unprefixed names (`process_*`,
   * `nodejs_*`) so stock Node.js dashboards read them. Default true. They describe the
   * process, not the node: with several validators in one process every registry would
   * repeat the same series and start its own GC observer and event-loop-delay monitor, which
   * prom-client cannot stop. So one registry per process should have them — the daemon
   * (StartValidatorOptions.processMetrics) turns them on for a standalone validator and the
   * devnet for its first validator only.
   */
  processMetrics?: boolean;
}

export function createMetricsRegistry(options: MetricsRegistryOptions = {}): MetricsRegistry {
  return new NodeRegistry(options);
}

type MetricType = "counter" | "gauge" | "histogram";

interface CollectorState {
  fn: Collector;
  maxAgeMs: number;
  /** performance.now() when the last successful run started; -Infinity before any. */
  collectedAt: number;
  running: Promise<void> | undefined;
}

interface Definition {
  type: MetricType;
  help: string;
  labelNames: readonly string[];
  buckets: readonly number[];
  metric: Counter<string> | Gauge<string> | Histogram<string>;
}

function sameList<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

class NodeRegistry implements MetricsRegistry {
  readonly #registry = new Registry();
  readonly #definitions = new Map<string, Definition>();
  readonly #collectors: CollectorState[] = [];
  readonly #collectTimeoutMs: number;
  readonly #collectFailures: Counter<string>;

  constructor(options: MetricsRegistryOptions) {
    this.#collectTimeoutMs = options.collectTimeoutMs ?? DEFAULT_COLLECT_TIMEOUT_MS;
    this.#collectFailures = this.counter("metrics_collect_failures_total", "Pull collectors that threw or timed out during a scrape.");
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.#registry });
  }

  counter<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    return this.#define("counter", name, help, labelNames, [], (config) => new Counter(config)) as Counter<L>;
  }

  gauge<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Gauge<L> {
    return this.#define("gauge", name, help, labelNames, [], (config) => new Gauge(config)) as Gauge<L>;
  }

  histogram<L extends string>(name: string, help: string, buckets: readonly number[], labelNames: readonly L[] = []): Histogram<L> {
    return this.#define("histogram", name, help, labelNames, buckets, (config) => new Histogram({ ...config, buckets: [...buckets] })) as Histogram<L>;
  }

  collect(fn: Collector, options: CollectOptions = {}): void {
    const maxAgeMs = options.maxAgeMs ?? 0;
    if (!Number.isFinite(maxAgeMs) || maxAgeMs < 0) throw new RangeError("collect maxAgeMs must be a finite number >= 0");
    this.#collectors.push({ fn, maxAgeMs, collectedAt: -Infinity, running: undefined });
  }

  async render(): Promise<string> {
    await Promise.all(this.#collectors.map((state) => this.#collect(state)));
    return this.#registry.metrics();
  }

  /** The collector's running pass, a new one if its values are older than maxAgeMs, or nothing. */
  #collect(state: CollectorState): Promise<void> | undefined {
    if (state.running !== undefined) return state.running;
    const started = performance.now();
    if (started - state.collectedAt < state.maxAgeMs) return undefined;
    state.running = this.#runCollector(state.fn).then((ok) => {
      if (ok) state.collectedAt = started;
      state.running = undefined;
    });
    return state.running;
  }

  /** A failing or hanging collector must not take the whole scrape down with it (false: it failed; the next render tries again). */
  async #runCollector(fn: Collector): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        Promise.resolve().then(fn),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error("collector timed out")), this.#collectTimeoutMs);
        }),
      ]);
      return true;
    } catch {
      this.#collectFailures.inc();
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  #define(
    type: MetricType,
    name: string,
    help: string,
    labelNames: readonly string[],
    buckets: readonly number[],
    create: (config: { name: string; help: string; labelNames: readonly string[]; registers: Registry[] }) => Definition["metric"],
  ): Definition["metric"] {
    const full = name.startsWith(METRIC_PREFIX) ? name : `${METRIC_PREFIX}${name}`;
    const existing = this.#definitions.get(full);
    if (existing !== undefined) {
      if (existing.type !== type || existing.help !== help || !sameList(existing.labelNames, labelNames) || !sameList(existing.buckets, buckets)) {
        throw new MetricsError("METRICS_CONFLICT", `metric ${full} is already registered differently`, { details: { name: full, type: existing.type } });
      }
      return existing.metric;
    }
    let metric: Definition["metric"];
    try {
      metric = create({ name: full, help, labelNames: [...labelNames], registers: [this.#registry] });
    } catch (error) {
      // prom-client refuses names and labels outside the Prometheus grammar and `le` on a histogram.
      throw new MetricsError("METRICS_INVALID_DEFINITION", `metric ${full.slice(0, 64)} cannot be defined`, { cause: error, details: { name: full.slice(0, 64) } });
    }
    this.#definitions.set(full, { type, help, labelNames: [...labelNames], buckets: [...buckets], metric });
    return metric;
  }
}
