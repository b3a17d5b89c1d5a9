/** `dekmesh decrypt <cid> [-o file]`: fetch, get the key rewrapped, decrypt, verify. */
import fs from "node:fs";
import path from "node:path";
import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { addressArg } from "./args.js";
import { defineCommand, stringOf } from "./command.js";
import { UsageError } from "./exitCodes.js";
import { withClient } from "./network.js";
import { formatBytes } from "./output.js";
import { progressBar } from "./progress.js";

export const decryptCommand = defineCommand({
  name: "decrypt",
  summary: "decrypt a content you may read (to a file or stdout)",
  help: `usage: dekmesh decrypt <cid> [-o <file>] [--validator <addr>] [--json]

Fetches the ciphertext (IPFS or a holder), asks the holders for its key (failing over), then
decrypts and verifies it. The plaintext goes to <file> (written under a temporary name and
renamed when complete, so a refused or broken decrypt leaves nothing behind), else to stdout.
  -o, --output <file>    where the plaintext goes
  --validator <addr>     ask this validator first
With --json (needs -o), stdout gets { cid, file, bytes }.`,
  options: { output: { type: "string", short: "o" }, validator: { type: "string" } },
  positionals: { min: 1, max: 1, names: "<cid>" },
  async run({ positionals, values, settings, out }) {
    const cid = positionals[0]!;
    const output = stringOf(values.output);
    if (out.json && output === undefined) throw new UsageError("--json needs -o <file> (stdout is for the JSON)");
    const validator = stringOf(values.validator);
    const options = validator !== undefined ? { validator: addressArg(validator, "--validator") } : {};
    const bar = progressBar(process.stderr);
    let bytes = 0;
    await withClient(settings, async (client) => {
      const plaintext = client.decryptStream(cid, { ...options, onProgress: (e) => bar.update(e) });
      const count = async function* () {
        for await (const chunk of plaintext) {
          bytes += chunk.length;
          yield chunk;
        }
      };
      try {
        if (output === undefined) {
          // Not process.stdout itself: pipeline would end it.
          await pipeline(count, new Writable({ write: (chunk, _enc, done) => (process.stdout.write(chunk) ? done() : process.stdout.once("drain", () => done())) }));
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
    if (output !== undefined) out.result({ cid, file: path.resolve(output), bytes }, () => `${formatBytes(bytes)} written to ${output}`);
  },
});
