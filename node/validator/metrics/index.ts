/**
 * Prometheus metrics of a validator (docs/architecture.md#the-validator-node), on prom-client: one registry per node, rendered
 * by the HTTP server's GET /metrics. Usage and naming: docs/http.md.
 */
export type { Counter, Gauge, Histogram } from "prom-client";
export {
  createMetricsRegistry,
  DEFAULT_COLLECT_TIMEOUT_MS,
  METRIC_PREFIX,
  METRICS_CONTENT_TYPE,
  type CollectOptions,
  type Collector,
  type MetricsRegistry,
  type MetricsRegistryOptions,
} from "./registry.js";
export { MetricsError, type MetricsErrorCode } from "./errors.js";
