/**
 * What every part of the daemon is handed (after Ponder's `common`): the config, the logger,
 * the metrics registry, and one shutdown. The shutdown aborts its signal first, so loops and
 * waits that take it end at once, then stops the parts in the reverse of the order they
 * started (Lodestar's fixed reverse order behind one AbortController).
 */
import type { Logger } from "../protocol/logger.js";
import type { ValidatorConfig } from "./config.js";
import { createJsonLogger } from "./logger.js";
import { createMetricsRegistry, type MetricsRegistry } from "./metrics/index.js";

export interface Common {
  readonly config: ValidatorConfig;
  readonly logger: Logger;
  readonly metrics: MetricsRegistry;
  readonly shutdown: Shutdown;
}

export interface CommonOptions {
  /** Default: a JSON logger on stderr at the config's level. */
  logger?: Logger;
  /** Default: a fresh registry (the HTTP API renders it at GET /metrics). */
  metrics?: MetricsRegistry;
  /**
   * Whether the fresh registry carries prom-client's process metrics (CPU, memory, event-loop
   * lag, GC). Default true: a standalone validator is alone in its process. Several validators
   * in one process (the devnet) would each repeat the same process series, so only one of them
   * should have them (MetricsRegistryOptions.processMetrics). Ignored with `metrics`.
   */
  processMetrics?: boolean;
}

export function createCommon(config: ValidatorConfig, options: CommonOptions = {}): Common {
  const logger = options.logger ?? createJsonLogger({ level: config.logLevel });
  return {
    config,
    logger,
    metrics: options.metrics ?? createMetricsRegistry({ processMetrics: options.processMetrics ?? true }),
    shutdown: new Shutdown(logger.child({ component: "validator" })),
  };
}

/** The started parts, stopped in reverse order; idempotent. */
export class Shutdown {
  readonly #controller = new AbortController();
  readonly #parts: { name: string; stop: () => Promise<void> | void }[] = [];
  readonly #log: Logger;
  #stopping: Promise<void> | undefined;

  constructor(log: Logger) {
    this.#log = log;
  }

  /** Aborted as soon as the shutdown begins. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** A part that started: it is stopped before every part that started earlier. */
  add(name: string, stop: () => Promise<void> | void): void {
    this.#parts.push({ name, stop });
  }

  run(): Promise<void> {
    return (this.#stopping ??= this.#stopAll());
  }

  async #stopAll(): Promise<void> {
    this.#controller.abort();
    for (const { name, stop } of this.#parts.splice(0).reverse()) {
      try {
        await stop();
      } catch (error) {
        this.#log.warn("stopping a part failed", { part: name, error });
      }
    }
  }
}
