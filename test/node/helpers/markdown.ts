/**
 * Code blocks of the docs, for tests that run them as written (README.md, docs/validator.md):
 * the docs then cannot drift from what works.
 */
import fs from "node:fs";

/**
 * The fenced blocks of language `lang` in the section under `heading` (its exact text, any
 * level), up to the next heading of the same or a higher level.
 */
export function codeBlocks(file: string, heading: string, lang: string): string[] {
  const lines = fs.readFileSync(file, "utf8").split("\n");
  const start = lines.findIndex((line) => /^#+ /.test(line) && line.replace(/^#+ /, "") === heading);
  if (start < 0) throw new Error(`${file} has no heading "${heading}"`);
  const level = lines[start]!.indexOf(" ");
  const blocks: string[] = [];
  let fence: { marker: string; lines: string[] | undefined } | undefined;
  for (const line of lines.slice(start + 1)) {
    if (fence === undefined) {
      const heading = /^(#+) /.exec(line);
      if (heading && heading[1]!.length <= level) break;
      const open = /^(`{3,})(\S*)$/.exec(line);
      if (open) fence = { marker: open[1]!, lines: open[2] === lang ? [] : undefined };
    } else if (line === fence.marker) {
      if (fence.lines) blocks.push(`${fence.lines.join("\n")}\n`);
      fence = undefined;
    } else {
      fence.lines?.push(line);
    }
  }
  if (blocks.length === 0) throw new Error(`the section "${heading}" of ${file} has no ${lang} block`);
  return blocks;
}
