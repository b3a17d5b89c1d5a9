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

  /** The error that ended a command: `{ "error": { code, message, details } }` with --json. */
  error(error: unknown, exitCode: number): void {
    const code = error instanceof DekmeshError ? error.code : "CLI_INTERNAL";
    const message = error instanceof Error ? error.message : String(error);
    const details = error instanceof DekmeshError ? error.details : {};
    if (this.json) {
      this.stdout(toJson({ error: { code, message, exitCode, details } }));
    } else {
      const extra = Object.entries(details)
        .filter(([, v]) => v !== undefined && typeof v !== "object")
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(" ");
      this.stderr(`dekmesh: ${message} (${code}${extra ? `; ${extra}` : ""})`);
    }
  }
}

/** Left-aligned columns separated by two spaces. */
export function table<Row>(rows: readonly Row[], columns: readonly Column<Row>[]): string {
  const cells = [columns.map((c) => c.header), ...rows.map((row) => columns.map((c) => c.value(row)))];
  const widths = columns.map((_, i) => Math.max(...cells.map((line) => line[i]!.length)));
  return cells.map((line) => line.map((cell, i) => (i === line.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ")).join("\n");
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
