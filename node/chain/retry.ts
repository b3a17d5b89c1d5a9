import { ChainError } from "./errors.js";

/** Resolves after `ms`, or rejects with CHAIN_STOPPED as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(stopped(signal));
    const onAbort = () => {
      clearTimeout(timer);
      reject(stopped(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

export function stopped(signal: AbortSignal): ChainError {
  const reason: unknown = signal.reason;
  if (reason instanceof ChainError) return reason;
  return new ChainError("CHAIN_STOPPED", "stopped", { cause: reason });
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw stopped(signal);
}

export interface BackoffOptions {
  minDelayMs: number;
  maxDelayMs: number;
}

/** Exponential backoff with full jitter: attempt 0 waits up to min, each further attempt doubles, capped at max. */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const ceiling = Math.min(options.maxDelayMs, options.minDelayMs * 2 ** Math.min(attempt, 30));
  return Math.round(options.minDelayMs / 2 + Math.random() * (ceiling - options.minDelayMs / 2));
}
