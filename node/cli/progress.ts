/**
 * A one-line progress display on stderr for long uploads and decrypts, drawn only when stderr is
 * a terminal (never into logs or pipes): a bar while bytes flow (redrawn at most every 100 ms),
 * and a labelled line with the seconds spent for the steps that move no bytes (creating the
 * policy, waiting for the registration), so no phase looks like a hang.
 */
import type { ProgressEvent } from "../sdk/index.js";
import { formatBytes } from "./output.js";

const WIDTH = 24;
const REDRAW_MS = 100;

export interface ProgressBar {
  update(event: ProgressEvent): void;
  /** A step without a byte count: `label` and the seconds since it began, ticking. */
  status(label: string): void;
  /** Clears the line for good: later updates draw nothing (the terminal is someone else's now). */
  done(): void;
}

export function progressBar(stream: NodeJS.WriteStream = process.stderr, fixedTotal?: number): ProgressBar {
  if (!stream.isTTY) return { update: () => undefined, status: () => undefined, done: () => undefined };
  let last = 0;
  let drawn = false;
  let finished = false;
  let ticker: NodeJS.Timeout | undefined;
  const draw = (line: string) => {
    if (finished) return;
    stream.write(`\r${line}\x1b[K`);
    drawn = true;
  };
  const stopTicker = () => {
    if (ticker !== undefined) clearInterval(ticker);
    ticker = undefined;
  };
  return {
    update(event) {
      stopTicker();
      const now = performance.now();
      const total = event.totalBytes ?? fixedTotal;
      const complete = total !== undefined && event.bytes >= total;
      if (now - last < REDRAW_MS && !complete) return;
      last = now;
      if (total !== undefined && total > 0) {
        const share = Math.min(1, event.bytes / total);
        const filled = Math.round(share * WIDTH);
        draw(`${event.phase.padEnd(11)} [${"#".repeat(filled)}${"-".repeat(WIDTH - filled)}] ${String(Math.floor(share * 100)).padStart(3)}%  ${formatBytes(event.bytes)} / ${formatBytes(total)}`);
      } else {
        draw(`${event.phase.padEnd(11)} ${formatBytes(event.bytes)}`);
      }
    },
    status(label) {
      stopTicker();
      const start = performance.now();
      const render = () => draw(`${label} … ${Math.floor((performance.now() - start) / 1000)} s`);
      render();
      ticker = setInterval(render, 1000);
      ticker.unref();
    },
    done() {
      stopTicker();
      if (drawn && !finished) stream.write("\r\x1b[K");
      finished = true;
    },
  };
}
