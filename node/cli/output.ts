/**
 * How commands print: human text and tables on stdout by default, one JSON document on stdout
 * with --json (bigints as decimal strings); diagnostics and progress on stderr, so stdout stays
 * clean for pipes (`dekmesh decrypt <cid> > file`, `dekmesh upload f --json | jq -r .cid`).
 */
import { DekmeshError } from "../protocol/errors.js";

const replacer = (_key: string, value: unknown) => (typeof value === "bigint" ? value.toString() : value);

export function toJson(value: unknown): string {
  return JSON.stringify(value, replacer, 2);
}

export interface Column<Row> {
  header: string;
  value(row: Row): string;
}

export class Output {
  /** Set from --json once the command line is parsed. */
  json = false;
  /** --verbose: errors with every detail (a revert's Solidity error name) and their causes. */
  verbose = false;
  /** What a command left behind so far, for the message on Ctrl-C (see interrupted()). */
  interruptError: (() => unknown) | undefined;

  constructor(
    private readonly writeOut: (text: string) => void = (text) => process.stdout.write(text),
    private readonly writeErr: (text: string) => void = (text) => process.stderr.write(text),
  ) {}

  stdout(text: string): void {
    this.writeOut(text.endsWith("\n") ? text : `${text}\n`);
  }

  stderr(text: string): void {
    this.writeErr(text.endsWith("\n") ? text : `${text}\n`);
  }

  /** The command's result: `value` as JSON with --json, else `human()`'s text. */
  result(value: unknown, human: () => string): void {
    this.stdout(this.json ? toJson(value) : human());
  }

  /** A note for people (next-page hints, what just happened); silent with --json. */
  note(text: string): void {
    if (!this.json) this.stderr(text);
  }

  /** Something legal but probably not meant; on stderr, also with --json. */
  warn(text: string): void {
    this.stderr(`dekmesh: warning: ${text}`);
  }

  /** Ctrl-C: the error the command registered (what it left on chain, say), else a plain one. */
  interrupted(): void {
    const error = this.interruptError?.() ?? new DekmeshError("CLI_INTERRUPTED", "interrupted");
    this.error(error, 130);
  }

  /** The error that ended a command: `{ "error": { code, message, details } }` with --json. */
  error(error: unknown, exitCode: number): void {
    const code = error instanceof DekmeshError ? error.code : "CLI_INTERNAL";
    const message = error instanceof Error ? error.message : String(error);
    const details = error instanceof DekmeshError ? error.details : {};
    if (this.json) {
      this.stdout(toJson({ error: { code, message, exitCode, details } }));
    } else {
      // The message says it in words; the contract's error name and the lower layers' codes only when asked.
      const hidden = this.verbose ? [] : ["errorName", "args", "causeCode"];
      const extra = Object.entries(details)
        .filter(([k, v]) => v !== undefined && typeof v !== "object" && !hidden.includes(k))
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(" ");
      this.stderr(`dekmesh: ${message} (${code}${extra ? `; ${extra}` : ""})`);
      if (this.verbose) {
        if (typeof details.errorName === "string") this.stderr(`  contract error: ${details.errorName}(${Array.isArray(details.args) ? details.args.join(", ") : ""})`);
        for (let cause = (error as Error).cause; cause instanceof Error; cause = cause.cause) this.stderr(`  caused by: ${cause.message.split("\n")[0]}`);
      }
    }
  }
}

/** The width tables must fit: the terminal's (or COLUMNS), unlimited when stdout is a pipe or file. */
export function terminalWidth(stream: NodeJS.WriteStream = process.stdout): number {
  const fromEnv = Number(process.env.COLUMNS);
  if (Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv;
  return stream.isTTY && stream.columns > 0 ? stream.columns : Number.POSITIVE_INFINITY;
}

/** 0x7099…79c8 and 16Uiu2HAm…BECk: addresses, ids and peer ids as the docs show them. */
export function shorten(cell: string): string {
  if (/^0x[0-9a-fA-F]{16,}$/.test(cell)) return `${cell.slice(0, 6)}…${cell.slice(-4)}`;
  if (/^(16Uiu2|12D3Koo|Qm)[1-9A-HJ-NP-Za-km-z]{20,}$/.test(cell)) return `${cell.slice(0, 9)}…${cell.slice(-4)}`;
  return cell;
}

const GAP = 2;

/**
 * Left-aligned columns separated by two spaces, fitted to `width`: too wide, long hex values and
 * peer ids are shortened first (0x7099…79c8), then the widest columns are cut with "…".
 */
export function table<Row>(rows: readonly Row[], columns: readonly Column<Row>[], width = terminalWidth()): string {
  let cells = [columns.map((c) => c.header), ...rows.map((row) => columns.map((c) => c.value(row)))];
  const widthsOf = () => columns.map((_, i) => Math.max(...cells.map((line) => line[i]!.length)));
  const total = (widths: number[]) => widths.reduce((sum, w) => sum + w, 0) + GAP * (widths.length - 1);
  let widths = widthsOf();
  if (total(widths) > width) {
    cells = cells.map((line, r) => (r === 0 ? line : line.map(shorten)));
    widths = widthsOf();
  }
  while (total(widths) > width) {
    const widest = widths.indexOf(Math.max(...widths));
    const target = Math.max(columns[widest]!.header.length, widths[widest]! - (total(widths) - width), 6);
    if (target >= widths[widest]!) break;
    cells = cells.map((line) => line.map((cell, i) => (i === widest && cell.length > target ? `${cell.slice(0, target - 1)}…` : cell)));
    widths = widthsOf();
  }
  return cells.map((line) => line.map((cell, i) => (i === line.length - 1 ? cell : cell.padEnd(widths[i]!))).join(" ".repeat(GAP)).trimEnd()).join("\n");
}

/** `key  value` lines, keys aligned. */
export function fields(entries: readonly [string, string][]): string {
  const width = Math.max(...entries.map(([k]) => k.length));
  return entries.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join("\n");
}

export function formatTime(unixSeconds: number | bigint): string {
  const n = Number(unixSeconds);
  return n === 0 ? "-" : new Date(n * 1000).toISOString().replace(".000Z", "Z");
}

/** `word` as a POSIX shell reads it back: bare when safe, else single-quoted. */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** "in 6 days", "3 hours ago": how far `unixSeconds` is from now, roughly. */
export function formatRelative(unixSeconds: number | bigint, now = Date.now()): string {
  const seconds = Number(unixSeconds) - Math.floor(now / 1000);
  const abs = Math.abs(seconds);
  const [n, unit] = abs < 90 ? [abs, "second"] : abs < 5400 ? [abs / 60, "minute"] : abs < 129_600 ? [abs / 3600, "hour"] : [abs / 86_400, "day"];
  const count = Math.round(n);
  const span = `${count} ${unit}${count === 1 ? "" : "s"}`;
  return seconds >= 0 ? `in ${span}` : `${span} ago`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]}`;
}
