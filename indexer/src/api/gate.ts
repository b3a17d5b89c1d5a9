// One queue for the public query surfaces (SQL over HTTP, GraphQL). On PGlite every statement
// runs on the API's own thread in the order it was issued, so a REST read issued while public
// queries are queued waits for all of them; letting one public query run at a time bounds that
// wait to one query (each bounded by the limits in lib/publicLimits.ts). On Postgres it keeps
// public queries from taking the read pool the REST endpoints share.
import { ApiError } from "../../lib/errors.js";
import type { GateLimits } from "../../lib/publicLimits.js";

export class QueryGate {
  #running = 0;
  #waiting: (() => void)[] = [];

  constructor(readonly limits: GateLimits) {}

  /** Runs `task` when a slot is free; a 503 `busy` when the queue is full or the wait too long. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#running >= this.limits.concurrency) await this.#wait();
    else this.#running++;
    try {
      return await task();
    } finally {
      const next = this.#waiting.shift();
      // The slot passes straight to the next waiter, so a newcomer cannot overtake it.
      if (next) next();
      else this.#running--;
    }
  }

  #wait(): Promise<void> {
    if (this.#waiting.length >= this.limits.maxQueued) return Promise.reject(busy());
    return new Promise<void>((resolve, reject) => {
      const wake = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        const at = this.#waiting.indexOf(wake);
        if (at >= 0) this.#waiting.splice(at, 1);
        reject(busy());
      }, this.limits.maxWaitMs);
      this.#waiting.push(wake);
    });
  }
}

const busy = () => new ApiError(503, "busy", "too many queries are waiting; retry later");
