/**
 * A tiny Prometheus registry (no dependency): counters, gauges and histograms with labels,
 * pull collectors that refresh gauges right before each scrape, and the text format 0.0.4.
 *
 * Every metric name carries the `dekmesh_` prefix: callers may write it or leave it out
 * (`counter("rewraps_total")` and `counter("dekmesh_rewraps_total")` are the same metric), so
 * the daemon's modules cannot drift apart on it. Defining an existing name again with the same
 * type, help, labels and buckets returns the existing metric (a server restarted on the same
 * registry keeps counting); anything else is a METRICS_CONFLICT.
 */
import { MetricsError } from "./errors.js";
import { Counter, Gauge, Histogram, type AnyMetric } from "./instruments.js";

export const METRIC_PREFIX = "dekmesh_";
/** A collector that has not finished by then is skipped for this scrape (and counted). */
export const DEFAULT_COLLECT_TIMEOUT_MS = 5_000;

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export type Collector = () => void | Promise<void>;

export interface MetricsRegistry {
  counter(name: string, help: string, labelNames?: readonly string[]): Counter;
  gauge(name: string, help: string, labelNames?: readonly string[]): Gauge;
  histogram(name: string, help: string, buckets: readonly number[], labelNames?: readonly string[]): Histogram;
  /** Runs before each render (pull-style gauges: store stats, submitter stats…). */
  collect(fn: Collector): void;
  /** Text format 0.0.4; runs the collectors first. */
  render(): Promise<string>;
}

export interface MetricsRegistryOptions {
  collectTimeoutMs?: number;
}

export function createMetricsRegistry(options: MetricsRegistryOptions = {}): MetricsRegistry {
  return new Registry(options.collectTimeoutMs ?? DEFAULT_COLLECT_TIMEOUT_MS);
}

function invalidName(what: string, name: string): MetricsError {
  return new MetricsError("METRICS_INVALID_NAME", `invalid ${what} name ${JSON.stringify(name.slice(0, 64))}`, { details: { name: name.slice(0, 64) } });
}

function metricName(name: string): string {
  const full = name.startsWith(METRIC_PREFIX) ? name : `${METRIC_PREFIX}${name}`;
  if (!METRIC_NAME.test(full)) throw invalidName("metric", name);
  return full;
}

function labelNames(names: readonly string[], reserved: readonly string[]): readonly string[] {
  for (const name of names) {
    if (!LABEL_NAME.test(name) || name.startsWith("__") || reserved.includes(name)) throw invalidName("label", name);
  }
  if (new Set(names).size !== names.length) throw new MetricsError("METRICS_INVALID_NAME", "duplicate label name", { details: { labels: [...names] } });
  return Object.freeze([...names]);
}

function histogramBuckets(buckets: readonly number[]): readonly number[] {
  if (buckets.length === 0) throw new MetricsError("METRICS_INVALID_VALUE", "a histogram needs at least one bucket");
  for (let i = 0; i < buckets.length; i++) {
    const b = buckets[i]!;
    if (typeof b !== "number" || !Number.isFinite(b) || (i > 0 && b <= buckets[i - 1]!)) {
      throw new MetricsError("METRICS_INVALID_VALUE", "histogram buckets must be finite and strictly increasing (+Inf is implied)");
    }
  }
  return Object.freeze([...buckets]);
}

function sameList<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

class Registry implements MetricsRegistry {
  readonly #metrics = new Map<string, AnyMetric>();
  readonly #collectors: Collector[] = [];
  readonly #collectTimeoutMs: number;
  readonly #collectFailures: Counter;

  constructor(collectTimeoutMs: number) {
    this.#collectTimeoutMs = collectTimeoutMs;
    this.#collectFailures = this.counter("metrics_collect_failures_total", "Pull collectors that threw or timed out during a scrape.");
  }

  counter(name: string, help: string, labels: readonly string[] = []): Counter {
    const full = metricName(name);
    return this.#define(full, () => new Counter(full, help, labelNames(labels, [])), (m) => m instanceof Counter && m.help === help && sameList(m.labelNames, labels));
  }

  gauge(name: string, help: string, labels: readonly string[] = []): Gauge {
    const full = metricName(name);
    return this.#define(full, () => new Gauge(full, help, labelNames(labels, [])), (m) => m instanceof Gauge && m.help === help && sameList(m.labelNames, labels));
  }

  histogram(name: string, help: string, buckets: readonly number[], labels: readonly string[] = []): Histogram {
    const full = metricName(name);
    return this.#define(
      full,
      () => new Histogram(full, help, histogramBuckets(buckets), labelNames(labels, ["le"])),
      (m) => m instanceof Histogram && m.help === help && sameList(m.labelNames, labels) && sameList(m.buckets, buckets),
    );
  }

  collect(fn: Collector): void {
    this.#collectors.push(fn);
  }

  async render(): Promise<string> {
    await Promise.all(this.#collectors.map((fn) => this.#runCollector(fn)));
    const lines: string[] = [];
    for (const metric of this.#metrics.values()) metric.render(lines);
    lines.push("");
    return lines.join("\n");
  }

  /** A failing or hanging collector must not take the whole scrape down with it. */
  async #runCollector(fn: Collector): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        Promise.resolve().then(fn),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error("collector timed out")), this.#collectTimeoutMs);
        }),
      ]);
    } catch {
      this.#collectFailures.inc();
    } finally {
      clearTimeout(timer);
    }
  }

  #define<M extends AnyMetric>(name: string, create: () => M, same: (existing: AnyMetric) => boolean): M {
    const existing = this.#metrics.get(name);
    if (existing !== undefined) {
      if (!same(existing)) {
        throw new MetricsError("METRICS_CONFLICT", `metric ${name} is already registered differently`, { details: { name, type: existing.type } });
      }
      return existing as M;
    }
    const metric = create();
    this.#metrics.set(name, metric);
    return metric;
  }
}
