/**
 * `dekmesh validator run [--config <file>]`: loads the config (file, then DEKMESH_* variables),
 * starts the validator and runs until SIGINT or SIGTERM, then stops it cleanly. Returns the
 * process exit code: 0 after a clean stop, 1 when start failed, 2 for usage errors.
 */
import { loadValidatorConfig } from "./config.js";
import { ValidatorError } from "./errors.js";
import { createJsonLogger } from "./logger.js";
import { startValidator, type Validator } from "./validator.js";

export const VALIDATOR_USAGE = `usage: dekmesh validator run [--config <file>]

Runs a dekmesh validator until SIGINT/SIGTERM. Settings come from the JSON config file and
DEKMESH_* environment variables (which win); see docs/validator.md.`;

export interface RunValidatorOptions {
  env?: NodeJS.ProcessEnv;
  /** Where usage and fatal errors go; default stderr. */
  write?: (text: string) => void;
  /** Resolves to stop the validator (tests); default: the first SIGINT or SIGTERM. */
  until?: (validator: Validator) => Promise<unknown>;
  /** Called once the validator is running (tests, child-process workers). */
  onStarted?: (validator: Validator) => void;
}

export function parseRunArguments(argv: readonly string[]): { config?: string; help: boolean } {
  const args = [...argv];
  if (args[0] === "validator") args.shift();
  if (args[0] === "run") args.shift();
  let config: string | undefined;
  let help = false;
  while (args.length > 0) {
    const arg = args.shift()!;
    if (arg === "--help" || arg === "-h") help = true;
    else if (arg === "--config" || arg === "-c") {
      const value = args.shift();
      if (value === undefined || value.startsWith("-")) throw new ValidatorError("VALIDATOR_USAGE", "--config needs a file");
      config = value;
    } else if (arg.startsWith("--config=")) config = arg.slice("--config=".length);
    else throw new ValidatorError("VALIDATOR_USAGE", `unknown argument ${JSON.stringify(arg.slice(0, 64))}`);
  }
  return { config, help };
}

function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      resolve(signal);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}

export async function runValidatorCommand(argv: string[], options: RunValidatorOptions = {}): Promise<number> {
  const write = options.write ?? ((text: string) => process.stderr.write(text));
  let parsed;
  try {
    parsed = parseRunArguments(argv);
  } catch (error) {
    write(`${(error as Error).message}\n${VALIDATOR_USAGE}\n`);
    return 2;
  }
  if (parsed.help) {
    write(`${VALIDATOR_USAGE}\n`);
    return 0;
  }
  let validator: Validator;
  const signal = options.until === undefined ? waitForSignal() : undefined;
  try {
    const config = loadValidatorConfig({ file: parsed.config, env: options.env ?? process.env });
    validator = await startValidator(config, { logger: createJsonLogger({ level: config.logLevel }) });
  } catch (error) {
    const e = error as ValidatorError;
    const cause = e.cause instanceof Error ? `: ${e.cause.message}` : "";
    write(`${JSON.stringify({ level: "error", msg: "validator failed to start", code: e.code, message: `${e.message}${cause}` })}\n`);
    return 1;
  }
  options.onStarted?.(validator);
  const reason = await (options.until?.(validator) ?? signal);
  validator.logger.info("shutting down", { reason: String(reason) });
  await validator.stop();
  return 0;
}
