/**
 * `dekmesh`: the command line of dekmesh (docs/cli.md). bin/dekmesh runs this file with the
 * repository's Node 22 through tsx. One module per command group; this file only dispatches,
 * prints help, and turns errors into exit codes (exitCodes.ts).
 */
import { attrCommands } from "./attr.js";
import { auditCommand } from "./audit.js";
import { challengeCommands } from "./challenge.js";
import { helpOf, runCommand, type Command } from "./command.js";
import { decryptCommand } from "./decrypt.js";
import { devnetCommand } from "./devnet-command.js";
import { EXIT, exitCodeOf, UsageError, type ExitCode } from "./exitCodes.js";
import { didYouMean } from "./explain.js";
import { holdersCommand } from "./holders.js";
import { Output } from "./output.js";
import { policyCommands } from "./policy.js";
import { recoverCommand } from "./recover.js";
import { uploadCommand } from "./upload.js";
import { validatorCommands } from "./validator.js";

const COMMANDS: Command[] = [
  uploadCommand,
  decryptCommand,
  holdersCommand,
  auditCommand,
  ...challengeCommands,
  recoverCommand,
  ...policyCommands,
  ...attrCommands,
  ...validatorCommands,
  devnetCommand,
];

const GROUPS = new Set(COMMANDS.filter((c) => c.name.includes(" ")).map((c) => c.name.split(" ")[0]!));

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `usage: dekmesh <command> [arguments] [--json] [--help]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join("\n")}

Endpoints and the account default to .devnet/endpoints.json (written by npm start);
flags and DEKMESH_* variables override them. 'dekmesh <command> --help' for details.

Exit codes: 0 ok, 1 usage, 2 refused or denied, 3 not found, 4 unavailable,
5 internal error, 6 integrity failure, 130 interrupted.`;
}

function groupHelp(group: string): string {
  const members = COMMANDS.filter((c) => c.name.startsWith(`${group} `));
  const width = Math.max(...members.map((c) => c.name.length));
  return `usage: dekmesh ${group} <${members.map((c) => c.name.split(" ")[1]).join("|")}> …

${members.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join("\n")}`;
}

/** Runs one command line; resolves to the exit code. */
export async function main(argv: string[], out = new Output()): Promise<ExitCode> {
  const [first, second] = argv;
  out.json = argv.includes("--json");
  try {
    if (first === undefined || first === "--help" || first === "-h" || first === "help") {
      out.stdout(overview());
      return first === undefined ? EXIT.USAGE : EXIT.OK;
    }
    if (first === "--version") {
      out.stdout("dekmesh 0.1.0");
      return EXIT.OK;
    }
    let command: Command | undefined;
    let rest: string[];
    if (GROUPS.has(first)) {
      if (second === undefined || second === "--help" || second === "-h") {
        out.stdout(groupHelp(first));
        return second === undefined ? EXIT.USAGE : EXIT.OK;
      }
      command = COMMANDS.find((c) => c.name === `${first} ${second}`);
      if (command === undefined) {
        const members = COMMANDS.filter((c) => c.name.startsWith(`${first} `)).map((c) => c.name.split(" ")[1]!);
        throw new UsageError(`unknown command: ${first} ${JSON.stringify(second.slice(0, 40))}${didYouMean(second, members)} (see dekmesh ${first} --help)`);
      }
      rest = argv.slice(2);
    } else {
      command = COMMANDS.find((c) => c.name === first);
      if (command === undefined) {
        const names = [...new Set(COMMANDS.map((c) => c.name.split(" ")[0]!))];
        throw new UsageError(`unknown command ${JSON.stringify(first.slice(0, 40))}${didYouMean(first, names)} (see dekmesh --help)`);
      }
      rest = argv.slice(1);
    }
    // Daemons (validator run, devnet) stop cleanly on their own signal handlers.
    if (!command.raw) {
      process.once("SIGINT", () => {
        out.interrupted();
        process.exit(EXIT.INTERRUPTED);
      });
    }
    try {
      return (await runCommand(command, rest, out)) ?? EXIT.OK;
    } catch (error) {
      if (error instanceof UsageError) {
        out.error(error, EXIT.USAGE);
        if (!out.json) out.stderr(`\n${helpOf(command).split("\n\n")[0]}\n(dekmesh ${command.name} --help for more)`);
        return EXIT.USAGE;
      }
      throw error;
    }
  } catch (error) {
    const code = exitCodeOf(error);
    out.error(error, code);
    if (code === EXIT.INTERNAL && process.env.DEKMESH_DEBUG === "1") console.error(error);
    return code;
  }
}

// Run when executed (bin/dekmesh), not when imported by tests.
if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith("/node/cli/main.ts")) {
  const code = await main(process.argv.slice(2));
  // Open sockets (keep-alive agents, IPFS) must not keep a finished command alive.
  process.exitCode = code;
  setTimeout(() => process.exit(code), 100).unref();
}
