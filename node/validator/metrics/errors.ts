import { DekmeshError } from "../../protocol/errors.js";

/**
 * Why a metric could not be defined: always a programming error at the call site. (Updates
 * throw prom-client's own errors: an unknown label, a counter decreased.)
 */
export type MetricsErrorCode =
  /** prom-client refused the definition: a name or label outside the Prometheus grammar, `le` on a histogram, no help. */
  | "METRICS_INVALID_DEFINITION"
  /** The name is already registered with another type, help text, labels or buckets. */
  | "METRICS_CONFLICT";

export class MetricsError extends DekmeshError<MetricsErrorCode> {
  override name = "MetricsError";
}
