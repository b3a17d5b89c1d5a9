/**
 * The daemon's structured logger: one JSON object per line ({"time","level","msg",…fields}),
 * levels debug < info < warn < error, child loggers that add fixed fields (the component).
 * It implements node/protocol/logger.ts's `Logger`, the one sink every part takes. Fields
 * whose names look like secrets are replaced before they are written — a last line of
 * defence; callers never pass DEKs, keys, signatures or the mnemonic.
 */
import type { Logger } from "../protocol/logger.js";

export const LOG_LEVELS = ["debug", "info", "warn", "error", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface JsonLoggerOptions {
  level?: LogLevel;
  /** Where lines go; default process.stderr (stdout stays free for command output). */
  write?: (line: string) => void;
  bindings?: Record<string, unknown>;
  clock?: () => Date;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };
const SECRET_NAME = /(^|_|[a-z])(dek|mnemonic|privatekey|private_key|secret|storagekey|signature|password|seed|envelope)$/i;

function safeValue(key: string, value: unknown, depth: number): unknown {
  if (SECRET_NAME.test(key)) return "<redacted>";
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Uint8Array) return `<${value.length} bytes>`;
  if (value instanceof Error) {
    const { code, details } = value as Error & { code?: unknown; details?: unknown };
    return { name: value.name, message: value.message, ...(code === undefined ? {} : { code }), ...(details === undefined ? {} : { details: safeValue("details", details, depth + 1) }) };
  }
  if (depth < 4 && typeof value === "object" && value !== null) {
    if (Array.isArray(value)) return value.slice(0, 50).map((v) => safeValue("", v, depth + 1));
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, safeValue(k, v, depth + 1)]));
  }
  return value;
}

export function createJsonLogger(options: JsonLoggerOptions = {}): Logger {
  const threshold = RANK[options.level ?? "info"];
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const clock = options.clock ?? (() => new Date());
  const bindings = options.bindings ?? {};
  const log = (level: Exclude<LogLevel, "silent">) => (message: string, fields?: Record<string, unknown>) => {
    if (RANK[level] < threshold) return;
    const entry: Record<string, unknown> = { time: clock().toISOString(), level, msg: message };
    for (const [k, v] of Object.entries(bindings)) entry[k] = safeValue(k, v, 0);
    if (fields !== undefined) for (const [k, v] of Object.entries(fields)) entry[k] = safeValue(k, v, 0);
    let line: string;
    try {
      line = JSON.stringify(entry);
    } catch {
      line = JSON.stringify({ time: entry.time, level, msg: message, note: "fields not serializable" });
    }
    write(line + "\n");
  };
  return {
    debug: log("debug"),
    info: log("info"),
    warn: log("warn"),
    error: log("error"),
    child: (more) => createJsonLogger({ ...options, bindings: { ...bindings, ...more } }),
  };
}
