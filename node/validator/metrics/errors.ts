import { DekmeshError } from "../../protocol/errors.js";

/** Why a metric could not be defined or updated: always a programming error at the call site. */
export type MetricsErrorCode =
  /** A metric or label name outside the Prometheus grammar, or a reserved label (`le`, `__…`). */
  | "METRICS_INVALID_NAME"
  /** The name is already registered with another type, help text, labels or buckets. */
  | "METRICS_CONFLICT"
  /** The label set of an update does not match the metric's label names. */
  | "METRICS_INVALID_LABELS"
  /** A negative counter increment, a non-finite or non-increasing bucket, a non-number value. */
  | "METRICS_INVALID_VALUE";

export class MetricsError extends DekmeshError<MetricsErrorCode> {
  override name = "MetricsError";
}
