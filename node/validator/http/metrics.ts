/**
 * The HTTP server's own metrics, registered on the node's registry. Routes are labelled by
 * their template (`/v1/has/:contentId`), never by the raw path, so clients cannot blow up the
 * number of series; unknown paths share the label `other`.
 */
import type { Counter, Gauge, Histogram, MetricsRegistry } from "../metrics/index.js";
import { LATENCY_BUCKETS_S } from "./constants.js";

export interface HttpMetrics {
  requests: Counter;
  duration: Histogram;
  inFlight: Gauge;
  connections: Gauge;
  connectionsRefused: Counter;
  uploadedBytes: Counter;
  clientErrors: Counter;
}

export function registerHttpMetrics(registry: MetricsRegistry): HttpMetrics {
  return {
    requests: registry.counter("http_requests_total", "HTTP requests answered, by route template and status.", ["route", "status"]),
    duration: registry.histogram("http_request_duration_seconds", "Time from request headers to the end of the answer, by route template.", LATENCY_BUCKETS_S, ["route"]),
    inFlight: registry.gauge("http_requests_in_flight", "HTTP requests being handled now."),
    connections: registry.gauge("http_connections", "Open HTTP connections."),
    connectionsRefused: registry.counter("http_connections_refused_total", "Connections closed at accept: their remote address already had maxConnectionsPerIp open."),
    uploadedBytes: registry.counter("http_upload_bytes_total", "Ciphertext bytes accepted by PUT /v1/content/:cid."),
    clientErrors: registry.counter(
      "http_client_errors_total",
      "Connections refused before a request was formed (header timeouts, header overflow, parse errors), by code.",
      ["code"],
    ),
  };
}
