/**
 * GET /v1/info, /health, /ready, /metrics. /health says only that the process answers
 * (liveness); /ready runs the node's checks (chain, indexer freshness, p2p, store) and answers
 * 503 with the failing ones, so a load balancer stops sending rewraps to a node that would
 * refuse them. /metrics renders at most once per METRICS_RENDER_MAX_AGE_MS and concurrent scrapes
 * share one render: a client scraping in a loop costs the event loop one render a second, not
 * one per scrape (Prometheus scrapes every 15 s or so; a second-old sample is as good). And one
 * client address is answered at most once per METRICS_MIN_INTERVAL_MS: a scrape that comes
 * sooner waits its turn, so a client scraping in a loop — whose answers are the same cached
 * page anyway — costs the event loop four answers a second, not thousands.
 */
import { METRICS_CONTENT_TYPE } from "../../metrics/index.js";
import type { Exchange } from "../exchange.js";
import type { Readiness, ValidatorHttpComponents } from "../options.js";

/** How old a rendered /metrics page may be when it is served again. */
export const METRICS_RENDER_MAX_AGE_MS = 1_000;
/** Least time between two /metrics answers to one client address. */
export const METRICS_MIN_INTERVAL_MS = 250;
/** Client addresses whose next turn is remembered; past turns are dropped beyond this. */
const MAX_PACED_CLIENTS = 10_000;

/** When each client address may next be answered: a scrape waits until its turn. */
class ScrapePacer {
  readonly #nextAt = new Map<string, number>();

  /** Milliseconds `client` must wait, and its turn taken. */
  take(client: string, now: number): number {
    if (this.#nextAt.size >= MAX_PACED_CLIENTS) {
      for (const [address, at] of this.#nextAt) if (at <= now) this.#nextAt.delete(address);
    }
    const turn = Math.max(now, this.#nextAt.get(client) ?? now);
    this.#nextAt.set(client, turn + METRICS_MIN_INTERVAL_MS);
    return turn - now;
  }
}

export function statusRoutes(components: ValidatorHttpComponents) {
  let rendered: { text: Promise<string>; at: number } | undefined;
  const pacer = new ScrapePacer();
  const render = (): Promise<string> => {
    const now = Date.now();
    if (rendered === undefined || now - rendered.at >= METRICS_RENDER_MAX_AGE_MS) {
      const text = components.metrics.render();
      rendered = { text, at: now };
      // A failed render is not served again.
      text.catch(() => {
        if (rendered?.text === text) rendered = undefined;
      });
    }
    return rendered.text;
  };
  return {
    info(ex: Exchange): void {
      ex.json(200, JSON.stringify(components.info()));
    },

    health(ex: Exchange): void {
      ex.json(200, '{"status":"ok"}');
    },

    async ready(ex: Exchange): Promise<void> {
      let readiness: Readiness;
      try {
        readiness = await components.readiness();
      } catch (error) {
        components.logger.warn("readiness check failed", { code: (error as { code?: unknown }).code, message: (error as Error).message });
        readiness = { ready: false, checks: { readiness: { ok: false, detail: "readiness check failed" } } };
      }
      const checks = Object.entries(readiness.checks);
      const ready = readiness.ready && checks.every(([, check]) => check.ok || check.degraded === true);
      const degraded = checks.filter(([, check]) => !check.ok && check.degraded === true).map(([name]) => name);
      ex.json(ready ? 200 : 503, JSON.stringify({ ready, degraded, checks: readiness.checks }));
    },

    async metrics(ex: Exchange): Promise<void> {
      const wait = pacer.take(ex.req.socket.remoteAddress ?? "unknown", Date.now());
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      if (ex.signal.aborted) return;
      ex.text(200, METRICS_CONTENT_TYPE, await render());
    },
  };
}
