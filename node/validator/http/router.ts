/**
 * The route table: exact paths and one-segment parameters (`/v1/has/:contentId`). A known path
 * with another method is 405 with an Allow header; anything else is 404. Query strings are
 * ignored. The route's template is its metrics label.
 */
import type { Exchange } from "./exchange.js";

export type Handler = (ex: Exchange, param: string) => void | Promise<void>;

export interface Route {
  /** Template, e.g. `/v1/has/:contentId` (the metrics label). */
  template: string;
  methods: Readonly<Record<string, Handler>>;
}

export type Match =
  | { kind: "found"; route: Route; handler: Handler; param: string }
  | { kind: "method"; route: Route; allow: string }
  | { kind: "none" };

export class Router {
  readonly #exact = new Map<string, Route>();
  readonly #prefixed: { prefix: string; route: Route }[] = [];

  add(template: string, methods: Record<string, Handler>): this {
    const route: Route = { template, methods };
    const colon = template.indexOf("/:");
    if (colon === -1) this.#exact.set(template, route);
    else this.#prefixed.push({ prefix: template.slice(0, colon + 1), route });
    return this;
  }

  match(method: string, url: string): Match {
    const question = url.indexOf("?");
    const path = question === -1 ? url : url.slice(0, question);
    let route = this.#exact.get(path);
    let param = "";
    if (route === undefined) {
      for (const entry of this.#prefixed) {
        if (!path.startsWith(entry.prefix)) continue;
        const rest = path.slice(entry.prefix.length);
        if (rest.length === 0 || rest.includes("/")) continue;
        route = entry.route;
        param = rest;
        break;
      }
    }
    if (route === undefined) return { kind: "none" };
    const handler = route.methods[method];
    if (handler === undefined) return { kind: "method", route, allow: Object.keys(route.methods).join(", ") };
    return { kind: "found", route, handler, param };
  }
}
