/**
 * Writes the configuration table of docs/validator.md from the validator's settings table
 * (node/validator/configSchema.ts), between its marker comments: `npm run docs:config`.
 * test/node/validator/configDocs.test.ts fails when the committed table differs.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { SETTINGS, type Setting } from "../node/validator/configSchema.js";

export const DOCS_FILE = fileURLToPath(new URL("../docs/validator.md", import.meta.url));
export const BEGIN_MARKER = "<!-- config-table: generated from node/validator/configSchema.ts by `npm run docs:config`; edit there -->";
export const END_MARKER = "<!-- /config-table -->";

function kindOf(s: Setting): string {
  switch (s.kind) {
    case "url":
      return "http(s) URL";
    case "wei":
      return "wei (decimal)";
    case "integer":
      return s.max === undefined ? `integer ≥ ${s.min}` : `integer ${s.min}–${s.max}`;
    case "boolean":
      return "true / false";
    case "choice":
      return s.values.join(", ");
    case "multiaddrs":
      return s.peerId === true ? "multiaddrs, each ending in `/p2p/<peer id>`" : "multiaddrs";
    default:
      return s.kind;
  }
}

function defaultOf(s: Setting): string {
  if (s.docsDefault !== undefined) return s.docsDefault;
  if (s.required === true) return "required";
  const value = s.default;
  if (value === undefined) return "—";
  if (Array.isArray(value)) return value.length === 0 ? "none" : value.map((item) => `\`${item}\``).join(", ");
  return typeof value === "string" ? `\`${value}\`` : String(value);
}

const cell = (text: string) => text.replaceAll("|", "\\|");

/** The generated block, markers included. */
export function renderConfigTable(): string {
  const rows = Object.entries(SETTINGS).map(([path, s]: [string, Setting]) =>
    `| \`${path}\` | \`${s.env}\` | ${cell(kindOf(s))} | ${cell(defaultOf(s))} | ${cell(s.description)} |`,
  );
  return [
    BEGIN_MARKER,
    "| setting | env | kind | default | meaning |",
    "|---|---|---|---|---|",
    ...rows,
    "",
    "In the environment a list is comma-separated, a boolean is `true`, `false`, `1` or `0`, and a",
    "relative path resolves against the working directory (in a file, against the file). Strings",
    "are trimmed; URLs lose their trailing slashes. Set exactly one of `mnemonic` and `mnemonicFile`.",
    END_MARKER,
  ].join("\n");
}

/** `markdown` with the block between the markers replaced by the generated one. */
export function withConfigTable(markdown: string): string {
  const begin = markdown.indexOf(BEGIN_MARKER);
  const end = markdown.indexOf(END_MARKER);
  if (begin < 0 || end < begin) throw new Error(`docs/validator.md has no ${BEGIN_MARKER} … ${END_MARKER} block`);
  return markdown.slice(0, begin) + renderConfigTable() + markdown.slice(end + END_MARKER.length);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const before = readFileSync(DOCS_FILE, "utf8");
  const after = withConfigTable(before);
  if (after !== before) writeFileSync(DOCS_FILE, after);
  console.log(after === before ? "docs/validator.md: configuration table up to date" : "docs/validator.md: configuration table written");
}
