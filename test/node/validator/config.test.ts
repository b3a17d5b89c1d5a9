/** The validator's configuration: one settings table, and the loading and checks that follow from it. */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, describe, it } from "node:test";
import { resolveOptions as resolveIndexerOptions } from "../../../node/indexer-client/options.js";
import {
  DEFAULT_CONFIG,
  ENV_VARIABLES,
  loadValidatorConfig,
  validateConfig,
  type ConfigPath,
  type PartialConfig,
} from "../../../node/validator/config.js";
import { SETTINGS, type Setting } from "../../../node/validator/configSchema.js";
import { resolveHttpOptions } from "../../../node/validator/http/options.js";
import { resolveNodeOptions } from "../../../node/validator/p2p/options.js";
import { replicationContext, type ReplicationComponents } from "../../../node/validator/replication/types.js";
import { resolveOptions as resolveRewrapOptions } from "../../../node/validator/rewrap/options.js";
import { resolveOptions as resolveSubmitterOptions } from "../../../node/validator/submitter/options.js";

const MNEMONIC = "test test test test test test test test test test test junk";
const PEER = "/ip4/10.0.0.1/tcp/4001/p2p/12D3KooWPeer1";
const REQUIRED: PartialConfig = { rpcUrl: "http://127.0.0.1:8545", deployment: "/d/31337.json", indexerUrl: "http://127.0.0.1:42069", dataDir: "/data" };
const REQUIRED_ENV = {
  DEKMESH_RPC_URL: "http://127.0.0.1:8545",
  DEKMESH_DEPLOYMENT: "/d/31337.json",
  DEKMESH_INDEXER_URL: "http://127.0.0.1:42069",
  DEKMESH_DATA_DIR: "/data",
  DEKMESH_MNEMONIC_FILE: "/keys/operator.mnemonic",
};
const PATHS = Object.keys(SETTINGS) as ConfigPath[];
const setting = (path: ConfigPath): Setting => SETTINGS[path];

const dir = mkdtempSync(join(tmpdir(), "dekmesh-config-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function at(config: object, path: string): unknown {
  const [head, tail] = path.split(".") as [string, string | undefined];
  const value = (config as Record<string, unknown>)[head];
  return tail === undefined ? value : (value as Record<string, unknown> | undefined)?.[tail];
}

function refuses(fn: () => unknown, field: string, message?: RegExp): void {
  assert.throws(fn, (error: { code?: string; details?: { field?: string }; message: string }) => {
    assert.equal(error.code, "VALIDATOR_CONFIG_INVALID");
    assert.equal(error.details?.field, field);
    assert.ok(error.message.startsWith(`config ${field}: `), error.message);
    if (message !== undefined) assert.match(error.message, message);
    return true;
  });
}

/** A valid value for the setting other than its default: its text in the environment and its checked value. */
function sample(path: ConfigPath): { text: string; value: unknown } {
  const s = setting(path);
  switch (s.kind) {
    case "url":
      return { text: "https://env.example:8443/", value: "https://env.example:8443" };
    case "path":
      return { text: "relative/from-env", value: resolve("relative/from-env") };
    case "integer": {
      const n = s.max ?? s.min + 7;
      return { text: ` ${n} `, value: n };
    }
    case "boolean":
      return { text: "0", value: false };
    case "choice":
      return { text: "debug", value: "debug" };
    case "wei":
      return { text: "12345", value: "12345" };
    case "multiaddrs":
      return { text: ` ${PEER} ,/ip4/10.0.0.2/tcp/1/p2p/12D3KooWPeer2,`, value: [PEER, "/ip4/10.0.0.2/tcp/1/p2p/12D3KooWPeer2"] };
    default:
      return { text: "from-env", value: "from-env" };
  }
}

describe("validator config: the settings table", () => {
  it("declares each path once, at most one level deep, each with its own DEKMESH_* variable", () => {
    for (const path of PATHS) assert.match(path, /^[a-zA-Z0-9]+(\.[a-zA-Z0-9]+)?$/);
    const names = PATHS.map((path) => setting(path).env);
    assert.equal(new Set(names).size, names.length);
    assert.deepEqual(Object.keys(ENV_VARIABLES).sort(), [...names].sort());
  });

  it("every env variable maps to its path", () => {
    for (const [name, [path]] of Object.entries(ENV_VARIABLES)) {
      assert.equal(setting(path).env, name);
      const env: NodeJS.ProcessEnv = { ...REQUIRED_ENV, [name]: sample(path).text };
      if (path === "mnemonic") delete env.DEKMESH_MNEMONIC_FILE;
      const config = loadValidatorConfig({ env });
      assert.deepEqual(at(config, path), sample(path).value, name);
    }
  });

  it("error: env values that are not of the setting's kind name the setting", () => {
    refuses(() => loadValidatorConfig({ env: { ...REQUIRED_ENV, DEKMESH_HTTP_PORT: "80a" } }), "http.port", /DEKMESH_HTTP_PORT must be an integer/);
    refuses(() => loadValidatorConfig({ env: { ...REQUIRED_ENV, DEKMESH_REGISTER: "yes" } }), "register", /DEKMESH_REGISTER must be true or false/);
  });

  it("defaults: DEFAULT_CONFIG holds every default of the table, and nothing else", () => {
    const config = loadValidatorConfig({ overrides: { ...REQUIRED, mnemonic: MNEMONIC } });
    for (const path of PATHS) {
      const s = setting(path);
      if (s.default === undefined) assert.equal(at(DEFAULT_CONFIG, path), undefined, path);
      else {
        assert.deepEqual(at(DEFAULT_CONFIG, path), s.default, path);
        assert.deepEqual(at(config, path), s.default, path);
      }
    }
    assert.ok(Object.isFrozen(DEFAULT_CONFIG) && Object.isFrozen(DEFAULT_CONFIG.p2p.listen));
  });

  it("defaults equal the defaults of the parts that own them", () => {
    const submitter = resolveSubmitterOptions({});
    assert.deepEqual(DEFAULT_CONFIG.audit, { batchSize: submitter.auditBatchSize, intervalMs: submitter.auditIntervalMs });
    assert.deepEqual(DEFAULT_CONFIG.holdings, { batchSize: submitter.holdingsBatchSize, intervalMs: submitter.holdingsIntervalMs });
    assert.equal(DEFAULT_CONFIG.confirmations, submitter.confirmations);

    const replication = replicationContext({ account: { address: "0x0000000000000000000000000000000000000001" } } as unknown as ReplicationComponents, {}, () => {}).options;
    assert.deepEqual(DEFAULT_CONFIG.replication, { intervalMs: replication.intervalMs, concurrency: replication.concurrency, pullTimeoutMs: replication.pullTimeoutMs });
    assert.equal(DEFAULT_CONFIG.confirmations, replication.confirmations);

    const p2p = resolveNodeOptions({});
    assert.deepEqual(DEFAULT_CONFIG.p2p, { listen: p2p.listen.map(String), announce: p2p.announce.map(String), bootstrap: p2p.bootstrap.map(String) });
    const http = resolveHttpOptions({});
    assert.deepEqual(DEFAULT_CONFIG.http, { host: http.host, port: http.port });
    assert.equal(DEFAULT_CONFIG.maxStalenessBlocks, resolveIndexerOptions({ url: "http://127.0.0.1:1" }).maxStalenessBlocks);
    assert.equal(DEFAULT_CONFIG.cryptoWorkers, resolveRewrapOptions({}).cryptoWorkers);
  });
});

describe("validator config: checks", () => {
  it("error: unknown keys are refused, top-level and in a section, from every layer", () => {
    refuses(() => loadValidatorConfig({ overrides: { ...REQUIRED, mnemonic: MNEMONIC, rpcURL: "http://x" } as PartialConfig }), "rpcURL", /unknown setting/);
    refuses(() => loadValidatorConfig({ overrides: { ...REQUIRED, mnemonic: MNEMONIC, p2p: { listn: [] } } as PartialConfig }), "p2p.listn", /unknown setting/);
    refuses(() => loadValidatorConfig({ overrides: { ...REQUIRED, mnemonic: MNEMONIC, http: "0.0.0.0" } as unknown as PartialConfig }), "http", /must be an object/);
    const file = join(dir, "unknown.json");
    writeFileSync(file, JSON.stringify({ ...REQUIRED, mnemonic: MNEMONIC, audit: { batchSize: 10, maxAge: 5 } }));
    refuses(() => loadValidatorConfig({ file }), "audit.maxAge", /unknown setting/);
  });

  it("error: integers out of their bounds are refused with the field named", () => {
    for (const path of PATHS) {
      const s = setting(path);
      if (s.kind !== "integer") continue;
      const max = s.max ?? Number.MAX_SAFE_INTEGER;
      const bounds = new RegExp(`must be an integer in \\[${s.min}, ${max}\\]`);
      for (const bad of [s.min - 1, ...(s.max === undefined ? [] : [s.max + 1]), s.min + 0.5, String(s.min)]) {
        const overrides = withSetting(path, bad);
        refuses(() => loadValidatorConfig({ overrides }), path, bounds);
      }
    }
    refuses(() => loadValidatorConfig({ env: { ...REQUIRED_ENV, DEKMESH_AUDIT_BATCH_SIZE: "1001" } }), "audit.batchSize", /\[1, 1000\]/);
  });

  it("error: other kinds are refused with the field named", () => {
    const cases: [ConfigPath, unknown, RegExp][] = [
      ["rpcUrl", "ws://127.0.0.1:8545", /http\(s\) URL/],
      ["indexerUrl", "not a url", /http\(s\) URL/],
      ["dataDir", "  ", /non-empty string/],
      ["register", "yes", /true or false/],
      ["logLevel", "loud", /one of debug, info, warn, error, silent/],
      ["p2p.listen", "/ip4/1.2.3.4/tcp/1", /list of multiaddrs/],
      ["stake", "1.5", /positive decimal amount in wei/],
      ["stake", "0", /positive decimal amount in wei/],
    ];
    for (const [path, bad, message] of cases) refuses(() => loadValidatorConfig({ overrides: withSetting(path, bad) }), path, message);
    refuses(() => loadValidatorConfig({ overrides: withSetting("p2p.bootstrap", ["/ip4/1.2.3.4/tcp/1"]) }), "p2p.bootstrap[0]", /\/p2p\/<peer id>/);
    refuses(() => loadValidatorConfig({ overrides: { mnemonic: MNEMONIC } }), "rpcUrl", /is required/);
  });

  it("error: exactly one of mnemonic and mnemonicFile, and never the mnemonic in the message", () => {
    refuses(() => loadValidatorConfig({ overrides: REQUIRED }), "mnemonic", /set mnemonic or mnemonicFile/);
    assert.throws(
      () => loadValidatorConfig({ overrides: { ...REQUIRED, mnemonic: MNEMONIC, mnemonicFile: "/keys/m" } }),
      (error: Error & { details?: { field?: string } }) => error.details?.field === "mnemonic" && /only one/.test(error.message) && !error.message.includes("junk"),
    );
    assert.throws(
      () => loadValidatorConfig({ overrides: { ...REQUIRED, mnemonic: MNEMONIC, cryptoWorkers: 100 } }),
      (error: Error) => !JSON.stringify({ message: error.message, details: (error as { details?: unknown }).details }).includes("junk"),
    );
  });

  it("the mnemonic is redacted in toJSON", () => {
    const config = loadValidatorConfig({ overrides: { ...REQUIRED, mnemonic: MNEMONIC } });
    assert.equal(config.mnemonic, MNEMONIC);
    const json = JSON.parse(JSON.stringify(config)) as Record<string, unknown>;
    assert.equal(json.mnemonic, "<redacted>");
    assert.ok(!JSON.stringify(config).includes("junk"));
  });

  it("layers: file, then environment, then overrides; relative paths in a file resolve against it", () => {
    const file = join(dir, "layers.json");
    writeFileSync(
      file,
      JSON.stringify({ rpcUrl: "http://file:1", deployment: "deployments/31337.json", indexerUrl: "http://file:2", dataDir: "data", mnemonicFile: "/abs/m", http: { host: "0.0.0.0", port: 1 } }),
    );
    const config = loadValidatorConfig({
      file,
      env: { DEKMESH_RPC_URL: "http://env:1", DEKMESH_HTTP_PORT: "2", DEKMESH_NODE_INDEX: "4" },
      overrides: { http: { port: 3 }, nodeIndex: undefined },
    });
    assert.equal(config.rpcUrl, "http://env:1");
    assert.equal(config.indexerUrl, "http://file:2");
    assert.deepEqual(config.http, { host: "0.0.0.0", port: 3 });
    assert.equal(config.nodeIndex, 4);
    assert.equal(config.deployment, join(dir, "deployments/31337.json"));
    assert.equal(config.dataDir, join(dir, "data"));
    assert.equal(config.mnemonicFile, "/abs/m");
  });

  it("error: an unreadable or malformed file is VALIDATOR_CONFIG_FILE", () => {
    const notJson = join(dir, "bad.json");
    writeFileSync(notJson, "{ rpcUrl: ");
    const array = join(dir, "array.json");
    writeFileSync(array, "[]");
    for (const file of [join(dir, "missing.json"), notJson, array]) {
      assert.throws(() => loadValidatorConfig({ file }), (error: { code?: string; details?: { file?: string } }) => error.code === "VALIDATOR_CONFIG_FILE" && error.details?.file === file);
    }
  });

  it("validateConfig checks an object built by the caller the same way", () => {
    const config = validateConfig({ ...REQUIRED, mnemonicFile: "/keys/m", http: { port: 7001 } });
    assert.deepEqual(config.http, { host: DEFAULT_CONFIG.http.host, port: 7001 });
    assert.notEqual(config.p2p.listen, DEFAULT_CONFIG.p2p.listen);
    refuses(() => validateConfig({ ...REQUIRED, mnemonicFile: "/keys/m", http: { port: -1 } }), "http.port");
  });
});

/** A valid config with `path` set to `value`. */
function withSetting(path: ConfigPath, value: unknown): PartialConfig {
  const [head, tail] = path.split(".") as [string, string | undefined];
  const layer: Record<string, unknown> = { ...REQUIRED, mnemonic: MNEMONIC };
  layer[head] = tail === undefined ? value : { [tail]: value };
  return layer as PartialConfig;
}
