/**
 * Settles with `promise` unless `signal` aborts first; then rejects with `onAbort()`. The
 * promise itself goes on (callers use this where the work is shared or cannot be cancelled).
 */
export function raceSignal<T>(promise: Promise<T>, signal: AbortSignal, onAbort: () => unknown): Promise<T> {
  if (signal.aborted) return Promise.reject(onAbort());
  return new Promise<T>((resolve, reject) => {
    const abort = (): void => reject(onAbort());
    signal.addEventListener("abort", abort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", abort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", abort);
        reject(error);
      },
    );
  });
}

/** A signal that aborts when `a` or `b` does; `release()` unlinks it once the call it served has ended. */
export interface LinkedSignal {
  signal: AbortSignal;
  release(): void;
}

const nothingToRelease = (): void => {};

/**
 * `AbortSignal.any([a, b])` for a call that ends: plain listeners, removed by `release()`.
 * AbortSignal.any ties its signal to the sources with WeakRefs and a FinalizationRegistry entry
 * that live until a major GC collects the signal; once per rewrap, that was the largest source
 * of what the validator's main thread promoted to the old generation (1.3 of 4.6 KB per
 * rewrap, sampling heap profile of bench:rewrap). These listeners die young with the request.
 */
export function linkSignals(a: AbortSignal, b: AbortSignal): LinkedSignal {
  if (a.aborted) return { signal: a, release: nothingToRelease };
  if (b.aborted) return { signal: b, release: nothingToRelease };
  const controller = new AbortController();
  const abort = (event: Event): void => controller.abort((event.target as AbortSignal).reason);
  a.addEventListener("abort", abort, { once: true });
  b.addEventListener("abort", abort, { once: true });
  return {
    signal: controller.signal,
    release() {
      a.removeEventListener("abort", abort);
      b.removeEventListener("abort", abort);
    },
  };
}
