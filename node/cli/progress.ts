/**
 * A one-line progress bar on stderr for long uploads and decrypts, drawn only when stderr is a
 * terminal (never into logs or pipes), redrawn at most every 100 ms.
 */
import type { ProgressEvent } from "../sdk/index.js";
import { formatBytes } from "./output.js";

const WIDTH = 24;
const REDRAW_MS = 100;

export interface ProgressBar {
  update(event: ProgressEvent): void;
  /** Clears the line. */
  done(): void;
}

export function progressBar(stream: NodeJS.WriteStream = process.stderr, fixedTotal?: number): ProgressBar {
  if (!stream.isTTY) return { update: () => undefined, done: () => undefined };
  let last = 0;
  let drawn = false;
  return {
    update(event) {
      const now = performance.now();
      const total = event.totalBytes ?? fixedTotal;
      const finished = total !== undefined && event.bytes >= total;
      if (now - last < REDRAW_MS && !finished) return;
      last = now;
      let line: string;
      if (total !== undefined && total > 0) {
        const share = Math.min(1, event.bytes / total);
        const filled = Math.round(share * WIDTH);
        line = `${event.phase.padEnd(10)} [${"#".repeat(filled)}${"-".repeat(WIDTH - filled)}] ${String(Math.floor(share * 100)).padStart(3)}%  ${formatBytes(event.bytes)} / ${formatBytes(total)}`;
      } else {
        line = `${event.phase.padEnd(10)} ${formatBytes(event.bytes)}`;
      }
      stream.write(`\r${line}\x1b[K`);
      drawn = true;
    },
    done() {
      if (drawn) stream.write("\r\x1b[K");
      drawn = false;
    },
  };
}
