/**
 * The validator's configuration: a JSON file, then DEKMESH_* environment variables, then
 * explicit overrides (each layer wins over the one before), checked field by field at start so
 * a mistake is a clear VALIDATOR_CONFIG_INVALID naming the field, not a failure deep inside a
 * part. Every setting is declared once, in configSchema.ts; everything here follows from that
 * table. Secrets (the mnemonic) never appear in errors, logs or `toJSON`.
 */
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { SETTINGS, type ConfigPath, type DefaultConfig, type Setting, type ValidatorConfig } from "./configSchema.js";
import { ValidatorError } from "./errors.js";

export type { ConfigPath, ValidatorConfig } from "./configSchema.js";

export interface LoadValidatorConfigInput {
  /** Path of a JSON file with any ValidatorConfig fields; relative paths inside resolve against it. */
  file?: string;
  /** Environment to read DEKMESH_* variables from; default none (pass process.env explicitly). */
  env?: NodeJS.ProcessEnv;
  overrides?: PartialConfig;
}

/** Any subset of the settings, sections included. */
export type PartialConfig = {
  [K in keyof ValidatorConfig]?: ValidatorConfig[K] extends readonly unknown[] | string | number | boolean | undefined
    ? ValidatorConfig[K]
    : Partial<ValidatorConfig[K]>;
};

type Layer = Record<string, unknown>;

const PATHS = Object.keys(SETTINGS) as ConfigPath[];
const setting = (path: ConfigPath): Setting => SETTINGS[path];

/** The settings that have a default, with it (copies: the table's values stay as they are). */
export const DEFAULT_CONFIG = deepFreeze(
  PATHS.reduce<Layer>((out, path) => {
    const value = setting(path).default;
    return value === undefined ? out : withValue(out, path, Array.isArray(value) ? [...value] : value);
  }, {}),
) as DefaultConfig;

/** How the environment spells a value of each kind (anything else is taken as it is). */
type EnvType = "string" | "integer" | "boolean" | "list" | "path";
const ENV_TYPES: Partial<Record<Setting["kind"], EnvType>> = { integer: "integer", boolean: "boolean", multiaddrs: "list", path: "path" };

/** Environment variable → config path and how its text is read (docs/validator.md lists them). */
export const ENV_VARIABLES: Readonly<Record<string, readonly [ConfigPath, EnvType]>> = Object.freeze(
  Object.fromEntries(PATHS.map((path) => [setting(path).env, Object.freeze([path, ENV_TYPES[setting(path).kind] ?? "string"] as const)])),
);

/** Top-level keys a layer may hold: the settings' own and their sections. */
const SECTIONS = new Set(PATHS.filter((path) => path.includes(".")).map((path) => path.split(".")[0]!));
const TOP_KEYS = new Set(PATHS.map((path) => path.split(".")[0]!));
const PATH_SET: ReadonlySet<string> = new Set(PATHS);

function invalid(field: string, message: string): ValidatorError {
  return new ValidatorError("VALIDATOR_CONFIG_INVALID", `config ${field}: ${message}`, { details: { field } });
}

// ------------------------------------------------------------------------------ layers

function valueAt(layer: Layer, path: string): unknown {
  const [head, tail] = path.split(".") as [string, string | undefined];
  if (tail === undefined) return layer[head];
  const section = layer[head];
  return typeof section === "object" && section !== null ? (section as Layer)[tail] : undefined;
}

/** `layer` with `path` set; a section is copied rather than written to. */
function withValue(layer: Layer, path: string, value: unknown): Layer {
  const [head, tail] = path.split(".") as [string, string | undefined];
  if (tail === undefined) layer[head] = value;
  else layer[head] = { ...((layer[head] as Layer | undefined) ?? {}), [tail]: value };
  return layer;
}

function readFileLayer(file: string): Layer {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (cause) {
    throw new ValidatorError("VALIDATOR_CONFIG_FILE", `cannot read the config file ${file}`, { details: { file }, cause });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ValidatorError("VALIDATOR_CONFIG_FILE", `the config file ${file} is not JSON`, { details: { file } });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ValidatorError("VALIDATOR_CONFIG_FILE", `the config file ${file} must hold a JSON object`, { details: { file } });
  }
  const layer = value as Layer;
  // Paths in a file are relative to the file, so a config directory can move as a whole.
  const base = dirname(resolve(file));
  for (const path of PATHS.filter((p) => setting(p).kind === "path")) {
    const v = valueAt(layer, path);
    if (typeof v === "string" && v !== "" && !isAbsolute(v)) withValue(layer, path, resolve(base, v));
  }
  return layer;
}

function readEnvLayer(env: NodeJS.ProcessEnv): Layer {
  const layer: Layer = {};
  for (const [name, [path, type]] of Object.entries(ENV_VARIABLES)) {
    const raw = env[name];
    if (raw === undefined || raw === "") continue;
    let value: unknown;
    switch (type) {
      case "integer":
        if (!/^-?\d+$/.test(raw.trim())) throw invalid(path, `${name} must be an integer`);
        value = Number(raw.trim());
        break;
      case "boolean":
        if (!/^(true|false|1|0)$/i.test(raw.trim())) throw invalid(path, `${name} must be true or false`);
        value = /^(true|1)$/i.test(raw.trim());
        break;
      case "list":
        value = raw.split(",").map((s) => s.trim()).filter((s) => s !== "");
        break;
      case "path":
        value = resolve(raw);
        break;
      default:
        value = raw;
    }
    withValue(layer, path, value);
  }
  return layer;
}

function merge(layers: Layer[]): Layer {
  const out: Layer = {};
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer)) {
      if (value === undefined) continue;
      if (!TOP_KEYS.has(key)) throw invalid(key, "unknown setting");
      if (SECTIONS.has(key)) {
        if (typeof value !== "object" || value === null || Array.isArray(value)) throw invalid(key, "must be an object");
        for (const [field, v] of Object.entries(value)) {
          if (!PATH_SET.has(`${key}.${field}`)) throw invalid(`${key}.${field}`, "unknown setting");
          if (v !== undefined) withValue(out, `${key}.${field}`, v);
        }
      } else {
        out[key] = value;
      }
    }
  }
  return out;
}

// ------------------------------------------------------------------------------ checks

/** The checked value of one setting, its default if absent, or undefined if it is optional. */
function check(path: ConfigPath, raw: unknown): unknown {
  const s = setting(path);
  // A default also stands in for null; a setting without one refuses null as the wrong type.
  const value = s.default === undefined ? raw : (raw ?? s.default);
  if (value === undefined) {
    if (s.required) throw invalid(path, "is required");
    return undefined;
  }
  switch (s.kind) {
    case "string":
    case "path":
    case "secret":
      return text(path, value);
    case "url":
      return url(path, text(path, value));
    case "wei": {
      const amount = text(path, value);
      if (!/^\d{1,78}$/.test(amount) || BigInt(amount) === 0n) throw invalid(path, "must be a positive decimal amount in wei");
      return amount;
    }
    case "integer": {
      const max = s.max ?? Number.MAX_SAFE_INTEGER;
      if (typeof value !== "number" || !Number.isSafeInteger(value) || value < s.min || value > max) throw invalid(path, `must be an integer in [${s.min}, ${max}]`);
      return value;
    }
    case "boolean":
      if (typeof value !== "boolean") throw invalid(path, "must be true or false");
      return value;
    case "choice":
      if (typeof value !== "string" || !s.values.includes(value)) throw invalid(path, `must be one of ${s.values.join(", ")}`);
      return value;
    case "multiaddrs":
      if (!Array.isArray(value)) throw invalid(path, "must be a list of multiaddrs");
      return value.map((item: unknown, i) => {
        if (typeof item !== "string" || !item.startsWith("/")) throw invalid(`${path}[${i}]`, "must be a multiaddr (starting with /)");
        if (s.peerId === true && !/\/p2p\/[1-9A-HJ-NP-Za-km-z]+$/.test(item)) throw invalid(`${path}[${i}]`, "must end in /p2p/<peer id>");
        return item;
      });
  }
}

function text(field: string, value: unknown): string {
  if (typeof value !== "string" || value.trim() === "") throw invalid(field, "must be a non-empty string");
  return value.trim();
}

function url(field: string, value: string): string {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw invalid(field, "must be an http(s) URL");
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw invalid(field, "must be an http(s) URL");
  return value.replace(/\/+$/, "");
}

/**
 * Builds and checks a ValidatorConfig from a file, the environment and overrides (later
 * layers win). Throws VALIDATOR_CONFIG_INVALID (with `details.field`) or VALIDATOR_CONFIG_FILE.
 */
export function loadValidatorConfig(input: LoadValidatorConfigInput = {}): ValidatorConfig {
  const layers: Layer[] = [];
  if (input.file !== undefined) layers.push(readFileLayer(input.file));
  if (input.env !== undefined) layers.push(readEnvLayer(input.env));
  if (input.overrides !== undefined) layers.push(input.overrides as Layer);
  return validateConfig(merge(layers));
}

/** Checks a merged layer; exported for callers that build the object themselves. */
export function validateConfig(raw: Record<string, unknown>): ValidatorConfig {
  const checked = new Map<ConfigPath, unknown>();
  const value = (path: ConfigPath): unknown => {
    if (!checked.has(path)) checked.set(path, check(path, valueAt(raw, path)));
    return checked.get(path);
  };
  // The rule across settings goes first: a missing mnemonic is the likeliest mistake of a new config.
  const mnemonic = value("mnemonic");
  const mnemonicFile = value("mnemonicFile");
  if (mnemonic === undefined && mnemonicFile === undefined) throw invalid("mnemonic", "set mnemonic or mnemonicFile (DEKMESH_MNEMONIC_FILE)");
  if (mnemonic !== undefined && mnemonicFile !== undefined) throw invalid("mnemonic", "set only one of mnemonic and mnemonicFile");

  const config: Layer = {};
  for (const path of PATHS) {
    const v = value(path);
    if (v !== undefined) withValue(config, path, v);
  }
  // Keep secrets out of any accidental JSON dump of the config.
  Object.defineProperty(config, "toJSON", { value: () => redactConfig(config as unknown as ValidatorConfig), enumerable: false });
  return config as unknown as ValidatorConfig;
}

/** The config with its secrets (the mnemonic) replaced, for logs. */
export function redactConfig(config: ValidatorConfig): Record<string, unknown> {
  const out: Layer = { ...config };
  for (const path of PATHS) {
    if (setting(path).kind === "secret" && valueAt(out, path) !== undefined) withValue(out, path, "<redacted>");
  }
  return out;
}

/** The operator mnemonic from the config or its file. */
export function readMnemonic(config: Pick<ValidatorConfig, "mnemonic" | "mnemonicFile">): string {
  if (config.mnemonic !== undefined) return config.mnemonic;
  try {
    return readFileSync(config.mnemonicFile!, "utf8").trim();
  } catch (cause) {
    throw new ValidatorError("VALIDATOR_CONFIG_FILE", "cannot read the mnemonic file", { details: { file: config.mnemonicFile }, cause });
  }
}

function deepFreeze<T extends object>(value: T): T {
  for (const v of Object.values(value)) if (typeof v === "object" && v !== null) deepFreeze(v);
  return Object.freeze(value);
}
