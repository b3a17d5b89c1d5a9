/**
 * Counters, gauges and histograms. Each keeps one series per distinct label-value tuple and
 * renders itself in the text format. An update takes the label values as an object whose keys
 * must be exactly the metric's label names: a typo would otherwise create a silent new series.
 */
import { MetricsError } from "./errors.js";
import { escapeHelp, formatLabels, formatValue } from "./exposition.js";

export type LabelValues = Readonly<Record<string, string | number | boolean>>;
export type MetricType = "counter" | "gauge" | "histogram";

const NO_LABELS: LabelValues = Object.freeze({});

interface Series<V> {
  values: string[];
  state: V;
}

abstract class Metric<V> {
  abstract readonly type: MetricType;
  readonly #series = new Map<string, Series<V>>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {}

  /** The series of `labels`, created on first use. */
  protected series(labels: LabelValues): Series<V> {
    const values = this.#labelValues(labels);
    const key = values.length === 0 ? "" : JSON.stringify(values);
    let series = this.#series.get(key);
    if (series === undefined) {
      series = { values, state: this.initial() };
      this.#series.set(key, series);
    }
    return series;
  }

  protected abstract initial(): V;
  protected abstract renderSeries(series: Series<V>, lines: string[]): void;

  /** Forgets every series (a pull collector clears label sets that no longer exist). */
  reset(): void {
    this.#series.clear();
  }

  /** Forgets one series. */
  remove(labels: LabelValues): void {
    const values = this.#labelValues(labels);
    this.#series.delete(values.length === 0 ? "" : JSON.stringify(values));
  }

  render(lines: string[]): void {
    lines.push(`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.type}`);
    for (const series of this.#series.values()) this.renderSeries(series, lines);
  }

  #labelValues(labels: LabelValues): string[] {
    const names = this.labelNames;
    const given = Object.keys(labels);
    if (given.length !== names.length) throw this.#labelError(given);
    const values: string[] = new Array(names.length);
    for (let i = 0; i < names.length; i++) {
      const value = labels[names[i]!];
      if (value === undefined) throw this.#labelError(given);
      values[i] = String(value);
    }
    return values;
  }

  #labelError(given: string[]): MetricsError {
    return new MetricsError("METRICS_INVALID_LABELS", `metric ${this.name} takes labels [${this.labelNames.join(", ")}]`, {
      details: { metric: this.name, given: given.slice(0, 16) },
    });
  }
}

function finite(metric: string, value: unknown): number {
  if (typeof value !== "number" || Number.isNaN(value)) {
    throw new MetricsError("METRICS_INVALID_VALUE", `metric ${metric} needs a number`, { details: { metric } });
  }
  return value;
}

/** `inc(by?)` or `inc(labels, by?)`. */
function split(labelsOrValue: LabelValues | number | undefined, value: number | undefined, fallback: number): [LabelValues, number] {
  if (typeof labelsOrValue === "number") return [NO_LABELS, labelsOrValue];
  return [labelsOrValue ?? NO_LABELS, value ?? fallback];
}

/** A value that only goes up (resets when the process restarts). */
export class Counter extends Metric<{ value: number }> {
  readonly type = "counter";

  inc(by?: number): void;
  inc(labels: LabelValues, by?: number): void;
  inc(labelsOrBy?: LabelValues | number, by?: number): void {
    const [labels, amount] = split(labelsOrBy, by, 1);
    if (finite(this.name, amount) < 0) {
      throw new MetricsError("METRICS_INVALID_VALUE", `counter ${this.name} cannot decrease`, { details: { metric: this.name } });
    }
    this.series(labels).state.value += amount;
  }

  /** The current value (tests, stats). */
  get(labels: LabelValues = NO_LABELS): number {
    return this.series(labels).state.value;
  }

  protected initial() {
    return { value: 0 };
  }

  protected renderSeries(series: Series<{ value: number }>, lines: string[]): void {
    lines.push(`${this.name}${formatLabels(this.labelNames, series.values)} ${formatValue(series.state.value)}`);
  }
}

/** A value that goes up and down, set directly or from a pull collector. */
export class Gauge extends Metric<{ value: number }> {
  readonly type = "gauge";

  set(value: number): void;
  set(labels: LabelValues, value: number): void;
  set(labelsOrValue: LabelValues | number, value?: number): void {
    const [labels, v] = split(labelsOrValue, value, Number.NaN);
    this.series(labels).state.value = finite(this.name, v);
  }

  inc(by?: number): void;
  inc(labels: LabelValues, by?: number): void;
  inc(labelsOrBy?: LabelValues | number, by?: number): void {
    const [labels, amount] = split(labelsOrBy, by, 1);
    this.series(labels).state.value += finite(this.name, amount);
  }

  dec(by?: number): void;
  dec(labels: LabelValues, by?: number): void;
  dec(labelsOrBy?: LabelValues | number, by?: number): void {
    const [labels, amount] = split(labelsOrBy, by, 1);
    this.series(labels).state.value -= finite(this.name, amount);
  }

  get(labels: LabelValues = NO_LABELS): number {
    return this.series(labels).state.value;
  }

  protected initial() {
    return { value: 0 };
  }

  protected renderSeries(series: Series<{ value: number }>, lines: string[]): void {
    lines.push(`${this.name}${formatLabels(this.labelNames, series.values)} ${formatValue(series.state.value)}`);
  }
}

interface HistogramState {
  /** Per bucket (not cumulative; summed when rendered), the last slot is +Inf. */
  counts: number[];
  sum: number;
  count: number;
}

/** Observations counted into fixed upper bounds (`le`), plus their sum and count. */
export class Histogram extends Metric<HistogramState> {
  readonly type = "histogram";

  constructor(
    name: string,
    help: string,
    readonly buckets: readonly number[],
    labelNames: readonly string[],
  ) {
    super(name, help, labelNames);
  }

  observe(value: number): void;
  observe(labels: LabelValues, value: number): void;
  observe(labelsOrValue: LabelValues | number, value?: number): void {
    const [labels, v] = split(labelsOrValue, value, Number.NaN);
    finite(this.name, v);
    const state = this.series(labels).state;
    const buckets = this.buckets;
    let i = 0;
    while (i < buckets.length && v > buckets[i]!) i++;
    state.counts[i]!++;
    state.sum += v;
    state.count++;
  }

  /** Starts a timer; the returned function observes the elapsed seconds. */
  startTimer(labels: LabelValues = NO_LABELS): () => number {
    const start = process.hrtime.bigint();
    return () => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      this.observe(labels, seconds);
      return seconds;
    };
  }

  /** Count and sum of a series (tests, stats). */
  get(labels: LabelValues = NO_LABELS): { count: number; sum: number } {
    const { count, sum } = this.series(labels).state;
    return { count, sum };
  }

  protected initial(): HistogramState {
    return { counts: new Array<number>(this.buckets.length + 1).fill(0), sum: 0, count: 0 };
  }

  protected renderSeries(series: Series<HistogramState>, lines: string[]): void {
    const { counts, sum, count } = series.state;
    let cumulative = 0;
    for (let i = 0; i <= this.buckets.length; i++) {
      cumulative += counts[i]!;
      const le = i < this.buckets.length ? formatValue(this.buckets[i]!) : "+Inf";
      lines.push(`${this.name}_bucket${formatLabels(this.labelNames, series.values, ["le", le])} ${cumulative}`);
    }
    const labels = formatLabels(this.labelNames, series.values);
    lines.push(`${this.name}_sum${labels} ${formatValue(sum)}`, `${this.name}_count${labels} ${count}`);
  }
}

export type AnyMetric = Counter | Gauge | Histogram;
