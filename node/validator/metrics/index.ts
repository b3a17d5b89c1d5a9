/**
 * Prometheus metrics of a validator (SPEC §7): one registry per node, rendered by the HTTP
 * server's GET /metrics. Usage and naming: docs/http.md.
 */
export { createMetricsRegistry, DEFAULT_COLLECT_TIMEOUT_MS, METRIC_PREFIX, type Collector, type MetricsRegistry, type MetricsRegistryOptions } from "./registry.js";
export { Counter, Gauge, Histogram, type LabelValues, type MetricType } from "./instruments.js";
export { CONTENT_TYPE as METRICS_CONTENT_TYPE, escapeHelp, escapeLabelValue, formatValue } from "./exposition.js";
export { MetricsError, type MetricsErrorCode } from "./errors.js";
