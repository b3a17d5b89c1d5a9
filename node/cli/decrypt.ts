/** `dekmesh decrypt <cid> [-o file]`: fetch, get the key rewrapped, decrypt, verify. */
import fs from "node:fs";
import path from "node:path";
import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { addressArg } from "./args.js";
import { defineCommand, stringOf } from "./command.js";
import { CliError, EXIT, UsageError } from "./exitCodes.js";
import { withClient } from "./network.js";
import { formatBytes } from "./output.js";
import { progressBar } from "./progress.js";
import type { BadShareEvidence, ProgressEvent } from "../sdk/index.js";

/** Refuses an output path that cannot be written before anything is fetched: exit 3, naming the path. */
function writableTarget(output: string): void {
  const dir = path.dirname(path.resolve(output));
  const fail = (why: string) => {
    throw new CliError(EXIT.NOT_FOUND, "CLI_OUTPUT_PATH", `cannot write ${output}: ${why}`, { details: { output } });
  };
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch {
    return fail(`the directory ${dir} does not exist (create it, or choose another -o)`);
  }
  if (!stat.isDirectory()) fail(`${dir} is not a directory`);
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch {
    fail(`the directory ${dir} is not writable by you (choose another -o)`);
  }
  if (fs.existsSync(output) && fs.statSync(output).isDirectory()) fail("it is a directory (give a file name)");
}

export const decryptCommand = defineCommand({
  name: "decrypt",
  summary: "decrypt a content you may read (to a file or stdout)",
  help: `usage: dekmesh decrypt <cid> [-o <file>] [--validator <addr>] [--json]

Fetches the ciphertext (IPFS or a holder), asks the holders for its key (failing over), then
decrypts and verifies it. The plaintext goes to <file> (written under a temporary name and
renamed when complete, so a refused or broken decrypt leaves nothing behind), else to stdout.
  -o, --output <file>    where the plaintext goes
  --validator <addr>     ask this validator first
For a threshold content the key comes from M members' shares; a member whose share fails the
check is named in a warning (and, with --json, its signed answer is in badShares as evidence).
With --json (needs -o), stdout gets { cid, file, bytes[, badShares] }.`,
  options: { output: { type: "string", short: "o" }, validator: { type: "string" } },
  positionals: { min: 1, max: 1, names: "<cid>" },
  async run({ positionals, values, settings, out }) {
    const cid = positionals[0]!;
    const output = stringOf(values.output);
    if (out.json && output === undefined) throw new UsageError("--json needs -o <file> (stdout is for the JSON)");
    if (output !== undefined) writableTarget(output);
    const validator = stringOf(values.validator);
    const options = validator !== undefined ? { validator: addressArg(validator, "--validator") } : {};
    const bar = progressBar(process.stderr);
    let bytes = 0;
    // The download has a total when its source declares one (a holder's Content-Length); the
    // plaintext trails it by a segment, so with a total the bar follows the download alone.
    let downloadTotal: number | undefined;
    const onProgress = (event: ProgressEvent) => {
      if (event.phase === "downloading") downloadTotal = event.totalBytes;
      else if (downloadTotal !== undefined) return;
      bar.update(event);
    };
    const badShares: BadShareEvidence[] = [];
    const onBadShare = (evidence: BadShareEvidence) => {
      badShares.push(evidence);
      // Said at once on stderr (the bar redraws after it); the evidence goes into --json's document.
      bar.done();
      out.warn(
        `member ${evidence.member} (share ${evidence.index}) answered a share that fails the content's commitments (${evidence.code}); it was not used.` +
          (out.json ? "" : " Its signed answer is evidence against it: dekmesh decrypt --json -o <file> prints it"),
      );
    };
    await withClient(settings, async (client) => {
      const plaintext = client.decryptStream(cid, { ...options, onProgress, onBadShare });
      const count = async function* () {
        for await (const chunk of plaintext) {
          bytes += chunk.length;
          yield chunk;
        }
      };
      try {
        if (output === undefined) {
          // Plaintext to a terminal shares it with the bar: the bar goes before the first byte.
          const toTerminal = process.stdout.isTTY;
          // Not process.stdout itself: pipeline would end it.
          const sink = new Writable({
            write: (chunk, _enc, done) => {
              if (toTerminal) bar.done();
              if (process.stdout.write(chunk)) done();
              else process.stdout.once("drain", () => done());
            },
          });
          await pipeline(count, sink);
          return;
        }
        const target = path.resolve(output);
        const partial = path.join(path.dirname(target), `.${path.basename(target)}.dekmesh-partial-${process.pid}`);
        // Also on Ctrl-C (main exits the process): no half-written plaintext is left behind.
        const removePartial = () => fs.rmSync(partial, { force: true });
        process.once("exit", removePartial);
        try {
          await pipeline(count, fs.createWriteStream(partial, { mode: 0o600 }));
          fs.renameSync(partial, target);
        } finally {
          removePartial();
          process.off("exit", removePartial);
        }
      } finally {
        bar.done();
      }
    });
    if (output !== undefined) out.result({ cid, file: path.resolve(output), bytes, ...(badShares.length > 0 ? { badShares } : {}) }, () => `${formatBytes(bytes)} written to ${output}`);
  },
});
