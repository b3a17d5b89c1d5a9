/**
 * One CLI command: its usage text, its flags (node:util parseArgs), how many positionals it
 * takes, and what it runs. `defineCommand` adds the flags every command has (--help, --json
 * and the network flags of settings.ts) and turns parseArgs' complaints into UsageErrors.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError, type ExitCode } from "./exitCodes.js";
import { didYouMean } from "./explain.js";
import { Output } from "./output.js";
import { NETWORK_HELP, NETWORK_OPTIONS, resolveSettings, type NetworkFlags, type Settings } from "./settings.js";

type Options = NonNullable<ParseArgsConfig["options"]>;
type Values = Record<string, string | boolean | string[] | undefined>;

export interface CommandInput {
  /** Parsed flags (strings, booleans, or string lists for `multiple` flags). */
  values: Values;
  positionals: string[];
  settings: Settings;
  out: Output;
  /** The raw arguments after the command name (for commands that parse their own). */
  argv: string[];
}

export interface Command {
  /** "holders", "policy show", … */
  name: string;
  summary: string;
  /** Usage line(s) and option help, without the shared network options. */
  help: string;
  options?: Options;
  positionals?: { min: number; max: number; names?: string };
  /** Does the command talk to the network (then its help lists the network flags)? */
  network?: boolean;
  /** Parses its own arguments (e.g. `validator run`, `devnet`). */
  raw?: boolean;
  run(input: CommandInput): Promise<ExitCode | void>;
}

export function defineCommand(command: Command): Command {
  return command;
}

export function helpOf(command: Command): string {
  const network = command.network === false ? "" : `\n${NETWORK_HELP}\n`;
  return `${command.help.trimEnd()}\n  --json                 machine-readable output on stdout\n  -v, --verbose          errors with their codes, contract error names and causes\n  -h, --help             this help\n${network}`;
}

/** Parses `argv` for `command`: flags are checked strictly (unknown or malformed ones are usage errors). */
export function parseCommand(command: Command, argv: string[]): { values: Values; positionals: string[] } {
  let parsed;
  const options: Options = { ...NETWORK_OPTIONS, ...command.options, json: { type: "boolean" }, verbose: { type: "boolean", short: "v" }, help: { type: "boolean", short: "h" } };
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    // parseArgs' messages name the flag and say what is wrong with it; they hold no secrets.
    const message = (error as Error).message.split("\n")[0]!.split(". To specify")[0]!;
    const unknown = /^Unknown option '--([^']+)'/.exec(message);
    throw new UsageError(unknown ? `${message}${didYouMean(unknown[1]!, Object.keys(options)).replace("mean ", "mean --")}` : message);
  }
  const { min, max } = command.positionals ?? { min: 0, max: 0 };
  if (!parsed.values.help) {
    if (parsed.positionals.length < min) throw new UsageError(`missing argument${min > 1 ? "s" : ""}: ${command.positionals?.names ?? ""}`.trim());
    if (parsed.positionals.length > max) throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[max]!.slice(0, 64))}`);
  }
  return { values: parsed.values as Values, positionals: parsed.positionals };
}

export async function runCommand(command: Command, argv: string[], out: Output): Promise<ExitCode | void> {
  if (command.raw) {
    return command.run({ values: {}, positionals: [], settings: resolveSettings({}), out, argv });
  }
  const { values, positionals } = parseCommand(command, argv);
  out.json = values.json === true;
  out.verbose = values.verbose === true;
  if (values.help) {
    out.stdout(helpOf(command));
    return 0;
  }
  const network: NetworkFlags = {};
  for (const key of Object.keys(NETWORK_OPTIONS) as (keyof typeof NETWORK_OPTIONS)[]) {
    if (typeof values[key] === "string") network[key] = values[key] as string;
  }
  const settings = resolveSettings(network);
  try {
    return await command.run({ values, positionals, settings, out, argv });
  } catch (error) {
    const { explain } = await import("./explain.js");
    throw await explain(error, settings, async () => {
      if (command.name.startsWith("validator ")) return undefined;
      const { privateKeyToAccount } = await import("viem/accounts");
      return privateKeyToAccount(settings.privateKey()).address;
    });
  }
}

/** A flag's string list (`multiple: true`), split on commas too: `--attr a/b,c/d` = `--attr a/b --attr c/d`. */
export function listOf(value: string | boolean | string[] | undefined): string[] {
  if (value === undefined || typeof value === "boolean") return [];
  return (Array.isArray(value) ? value : [value]).flatMap((v) => v.split(",")).map((v) => v.trim()).filter((v) => v !== "");
}

export function stringOf(value: string | boolean | string[] | undefined): string | undefined {
  return typeof value === "string" ? value : undefined;
}
