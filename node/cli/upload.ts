/** `dekmesh upload <file>`: encrypt, store, register; prints the CID. */
import fs from "node:fs";
import type { UploadOptions } from "../sdk/index.js";
import { defineCommand, stringOf } from "./command.js";
import { CliError, EXIT, UsageError } from "./exitCodes.js";
import { withClient } from "./network.js";
import { fields, formatBytes } from "./output.js";
import { addressArg, policyIdArg } from "./args.js";
import { policyTermsOf, POLICY_TERM_OPTIONS, POLICY_TERMS_HELP } from "./policyTerms.js";
import { progressBar } from "./progress.js";

export const uploadCommand = defineCommand({
  name: "upload",
  summary: "encrypt a file, store it and register it on chain; prints the CID",
  help: `usage: dekmesh upload <file> [--attr ns/value …] [--replication all|stake:K|xor:K|explicit:ADDR,…]
                       [--validator <addr>] [--policy <id>] [--allow <addr> …] [--json]

Encrypts <file> (streamed, any size) to NanoTDF under a policy, pins the ciphertext at the
initial validator (and the configured IPFS), registers it and waits for the registration.
Prints the CID. The same terms reuse the policy created for them in this run.
  --policy <id>          use this existing policy of yours instead of the terms below
  --validator <addr>     the initial validator (default: drawn by stake)
${POLICY_TERMS_HELP}`,
  options: { ...POLICY_TERM_OPTIONS, validator: { type: "string" }, policy: { type: "string" } },
  positionals: { min: 1, max: 1, names: "<file>" },
  async run({ positionals, values, settings, out }) {
    const file = positionals[0]!;
    let size: number;
    try {
      const stat = fs.statSync(file);
      if (!stat.isFile()) throw new UsageError(`${file} is not a file`);
      size = stat.size;
    } catch (error) {
      if (error instanceof UsageError) throw error;
      throw new CliError(EXIT.NOT_FOUND, "CLI_FILE_NOT_FOUND", `cannot read ${file}`, { cause: error });
    }
    const policy = stringOf(values.policy);
    const validator = stringOf(values.validator);
    const options: UploadOptions = {
      ...policyTermsOf(values),
      ...(policy !== undefined ? { policyId: policyIdArg(policy, "--policy") } : {}),
      ...(validator !== undefined ? { validator: addressArg(validator, "--validator") } : {}),
    };
    const bar = progressBar(process.stderr, size);
    const result = await withClient(settings, async (client) => {
      try {
        return await client.publish(fs.createReadStream(file), { ...options, onProgress: (e) => bar.update(e) });
      } finally {
        bar.done();
      }
    });
    out.result(result, () => result.cid);
    out.note(
      fields([
        ["bytes", formatBytes(size)],
        ["policy", result.policyId.toString()],
        ["validator", result.validator],
        ["transaction", result.transactionHash],
      ]),
    );
  },
});
