/**
 * GET /v1/info, /health, /ready, /metrics. /health says only that the process answers
 * (liveness); /ready runs the node's checks (chain, indexer freshness, p2p, store) and answers
 * 503 with the failing ones, so a load balancer stops sending rewraps to a node that would
 * refuse them. /metrics renders at most once per METRICS_RENDER_MAX_AGE_MS and concurrent scrapes
 * share one render: a client scraping in a loop costs the event loop one render a second, not
 * one per scrape (Prometheus scrapes every 15 s or so; a second-old sample is as good).
 */
import { METRICS_CONTENT_TYPE } from "../../metrics/index.js";
import type { Exchange } from "../exchange.js";
import type { Readiness, ValidatorHttpComponents } from "../options.js";

/** How old a rendered /metrics page may be when it is served again. */
export const METRICS_RENDER_MAX_AGE_MS = 1_000;

export function statusRoutes(components: ValidatorHttpComponents) {
  let rendered: { text: Promise<string>; at: number } | undefined;
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
      ex.text(200, METRICS_CONTENT_TYPE, await render());
    },
  };
}
