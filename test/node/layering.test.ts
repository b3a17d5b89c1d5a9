/**
 * The direction of data, kept by a test (after Ponder's packages/core/src/internal/layering.test.ts):
 * every relative import in node/ and indexer/ is read with the TypeScript scanner and checked
 * against one table of the directions allowed. Data flows chain → indexer → node decisions →
 * p2p/HTTP → chain; the code's layers follow it (docs/architecture.md#code-layout).
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/**
 * Each layer and the layers it may import (besides itself). Anything not named is forbidden.
 * `build` is generated output (exported ABIs); `ponder-config` the repository's ponder.config.ts.
 */
const ALLOWED: Record<string, readonly string[]> = {
  protocol: [],
  crypto: ["protocol"],
  chain: ["protocol", "crypto", "build"],
  ipfs: ["protocol", "crypto"],
  "indexer-client": ["protocol"],
  validator: ["protocol", "crypto", "chain", "ipfs", "indexer-client"],
  sdk: ["protocol", "crypto", "chain", "ipfs", "indexer-client"],
  devnet: ["protocol", "crypto", "chain", "ipfs", "indexer-client", "validator", "build"],
  // The CLI is the top: it runs the daemon (`dekmesh validator run`) and the devnet (`dekmesh devnet`).
  cli: ["protocol", "crypto", "chain", "ipfs", "indexer-client", "sdk", "validator", "devnet", "build"],
  indexer: ["protocol", "ponder-config"],
};

/** The layer a repository path belongs to, or undefined for code outside the table (tests, scripts). */
export function layerOf(path: string): string | undefined {
  const parts = path.split("/");
  if (parts[0] === "node") {
    if (parts.length === 2) return parts[1] === "package.json" ? undefined : "node-root";
    return parts[1];
  }
  if (parts[0] === "indexer") return "indexer";
  if (parts[0] === "build") return "build";
  if (path === "ponder.config.ts" || path === "ponder.config.js") return "ponder-config";
  return undefined;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(ts|mts)$/.test(entry.name)) out.push(path);
  }
  return out;
}

interface Edge {
  from: string;
  to: string;
}

/** Relative imports (static, type-only, re-exports, dynamic `import()`) of one file. */
function importsOf(file: string): Edge[] {
  const info = ts.preProcessFile(readFileSync(join(ROOT, file), "utf8"), true, true);
  return info.importedFiles
    .map((ref) => ref.fileName)
    .filter((spec) => spec.startsWith("."))
    .map((spec) => ({ from: file, to: relative(ROOT, resolve(ROOT, dirname(file), spec)) }));
}

function violations(edges: readonly Edge[]): string[] {
  const bad: string[] = [];
  for (const { from, to } of edges) {
    const a = layerOf(from);
    const b = layerOf(to);
    if (a === undefined || a === b) continue;
    if (b !== undefined && ALLOWED[a]?.includes(b)) continue;
    bad.push(`${from} → ${to} (${a} may not import ${b ?? "code outside node/ and indexer/"})`);
  }
  // Inside the daemon, its parts (http/, p2p/, rewrap/, …) never reach back into the
  // composition root (node/validator/*.ts): the root wires the parts, not the other way.
  for (const { from, to } of edges) {
    const partOf = (p: string) => p.split("/").length > 3 && p.startsWith("node/validator/");
    const rootOf = (p: string) => p.split("/").length === 3 && p.startsWith("node/validator/");
    if (partOf(from) && rootOf(to)) bad.push(`${from} → ${to} (a part of the daemon imports its composition root)`);
  }
  return bad;
}

describe("layering", () => {
  const files = [...sourceFiles("node"), ...sourceFiles("indexer")];
  const edges = files.flatMap(importsOf);

  it("reads the import graph", () => {
    assert.ok(files.length > 100, `only ${files.length} files found`);
    assert.ok(edges.length > 500, `only ${edges.length} imports found`);
  });

  it("every file belongs to a layer of the table", () => {
    const unknown = files.filter((f) => !(layerOf(f)! in ALLOWED));
    assert.deepEqual(unknown, []);
  });

  it("no import runs against the allowed directions", () => {
    assert.deepEqual(violations(edges), []);
  });

  it("node/protocol does no I/O: it imports no Node built-in", () => {
    const builtins = files
      .filter((f) => f.startsWith("node/protocol/"))
      .flatMap((f) => ts.preProcessFile(readFileSync(join(ROOT, f), "utf8"), true, true).importedFiles.map((r) => `${f}: ${r.fileName}`))
      .filter((line) => /: node:/.test(line));
    assert.deepEqual(builtins, []);
  });

  it("a forbidden edge is reported", () => {
    assert.equal(violations([{ from: "node/protocol/ids.ts", to: "node/chain/index.ts" }]).length, 1);
    assert.equal(violations([{ from: "indexer/src/audit.ts", to: "node/validator/store/index.ts" }]).length, 1);
    assert.equal(violations([{ from: "node/sdk/client.ts", to: "node/validator/rewrap/index.ts" }]).length, 1);
    assert.equal(violations([{ from: "node/validator/http/server.ts", to: "node/validator/config.ts" }]).length, 1);
    assert.equal(violations([{ from: "node/validator/rewrap/service.ts", to: "node/protocol/rewrap/wire.ts" }]).length, 0);
  });
});
