/**
 * Code blocks of the docs, for tests that run them as written (README.md, docs/validator.md):
 * the docs then cannot drift from what works.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { REPO_ROOT } from "../../../node/devnet/paths.js";

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

export interface ShellRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a doc's shell block with `sh -e` in `cwd`, as a reader pasting it would. `detached`
 * blocks (daemons) lead their own process group, so the test can stop them as Ctrl-C would.
 */
export function runShell(script: string, cwd: string, options: { detached?: boolean; logFile?: string; env?: NodeJS.ProcessEnv } = {}) {
  const log = options.logFile === undefined ? undefined : fs.openSync(options.logFile, "a");
  const child = spawn("sh", ["-e", "-c", script], {
    cwd,
    env: { ...process.env, ...options.env },
    detached: options.detached,
    stdio: log === undefined ? "pipe" : ["ignore", log, log],
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<ShellRun>((resolve) => child.on("exit", (code) => resolve({ code, stdout, stderr })));
  return { child, exited };
}

/** A directory laid out like the checkout for the docs' commands: `bin/` of this repository and `.devnet/` of the given devnet. */
export function checkoutLike(dir: string, devnetDir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  fs.symlinkSync(path.join(REPO_ROOT, "bin"), path.join(dir, "bin"));
  fs.symlinkSync(devnetDir, path.join(dir, ".devnet"));
  return dir;
}
