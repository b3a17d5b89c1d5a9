/**
 * `dekmesh upload <file>`: encrypt, store, register; prints the CID. The CID is printed as soon
 * as the registration is sent, so Ctrl-C never leaves a registered content nobody saw the CID
 * of; an interrupt says what was left on chain. The same terms reuse the account's policy.
 */
import fs from "node:fs";
import type { PolicyTerms, UploadOptions } from "../sdk/index.js";
import { parseThresholdSpec } from "../protocol/threshold.js";
import { addressArg, policyIdArg } from "./args.js";
import { defineCommand, stringOf } from "./command.js";
import { CliError, EXIT, UsageError } from "./exitCodes.js";
import { withClient } from "./network.js";
import { fields, formatBytes, formatTime, type Output } from "./output.js";
import { policyTermsOf, POLICY_TERM_OPTIONS, POLICY_TERMS_HELP } from "./policyTerms.js";
import { progressBar } from "./progress.js";
import { findPolicyWithTerms } from "./samePolicy.js";

function fileSize(file: string): number {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (cause) {
    throw new CliError(EXIT.NOT_FOUND, "CLI_FILE_NOT_FOUND", `cannot read ${file}: no such file (check the path)`, { cause, details: { file } });
  }
  if (!stat.isFile()) throw new UsageError(`${file} is not a file`);
  return stat.size;
}

/** Warnings about terms that are legal but probably not meant: said before anything is sent. */
async function warnAboutTerms(terms: PolicyTerms, out: Output, indexer: () => Promise<import("../indexer-client/index.js").IndexerClient>): Promise<void> {
  const now = BigInt(Math.floor(Date.now() / 1000));
  if (terms.notAfter !== undefined && BigInt(terms.notAfter) !== 0n && BigInt(terms.notAfter) < now) {
    out.warn(`--not-after ${formatTime(BigInt(terms.notAfter))} is in the past: nobody will be able to read this content`);
  }
  const threshold = typeof terms.replication === "string" ? parseThresholdSpec(terms.replication) : undefined;
  if (threshold !== undefined) {
    const active = (await (await indexer()).activeValidators()).validators.length;
    if (threshold.n > active) {
      out.warn(`--replication ${terms.replication} needs ${threshold.n} active validators, one per share, and only ${active} ${active === 1 ? "is" : "are"}: the registration will be refused`);
    }
  }
  const counted = typeof terms.replication === "string" ? /^stake:(\d+)$/.exec(terms.replication) : null;
  if (counted !== null) {
    const active = (await (await indexer()).activeValidators()).validators.length;
    if (Number(counted[1]) > active) {
      out.warn(`--replication stake:${counted[1]} asks for ${counted[1]} holders but only ${active} validator${active === 1 ? " is" : "s are"} active: the content gets ${active} until more join`);
    }
  }
}

export const uploadCommand = defineCommand({
  name: "upload",
  summary: "encrypt a file, store it and register it on chain; prints the CID",
  help: `usage: dekmesh upload <file> [--attr ns/value …] [--replication all|stake:K|xor:K|threshold:M/N|explicit:ADDR,…]
                       [--validator <addr>] [--policy <id>] [--allow <addr> …] [--json]

Encrypts <file> (streamed, any size) to NanoTDF under a policy, pins the ciphertext at the
initial validator (and the configured IPFS), registers it and waits for the registration.
Prints the CID as soon as the registration is sent. The same terms reuse your newest policy
with exactly those terms (else a policy is created). With threshold:M/N the key is dealt into N
shares sealed to N members the chain draws (no validator ever holds it) and the ciphertext is
pinned at the members of the first two slots.
  --policy <id>          use this existing policy of yours instead of the terms below
  --validator <addr>     the initial validator (default: drawn by stake)
${POLICY_TERMS_HELP}`,
  options: { ...POLICY_TERM_OPTIONS, validator: { type: "string" }, policy: { type: "string" } },
  positionals: { min: 1, max: 1, names: "<file>" },
  async run({ positionals, values, settings, out }) {
    const file = positionals[0]!;
    const size = fileSize(file);
    const given = stringOf(values.policy);
    const policyId = given !== undefined ? policyIdArg(given, "--policy") : undefined;
    const validatorFlag = stringOf(values.validator);
    const validator = validatorFlag !== undefined ? addressArg(validatorFlag, "--validator") : undefined;
    const terms = policyTermsOf(values);
    const { openIndexer } = await import("./network.js");
    let bar = progressBar(process.stderr, size);
    // What is on chain so far, for the message on Ctrl-C.
    let policyStep: "none" | "creating" = "none";
    let sentCid: string | undefined;
    out.interruptError = () => {
      bar.done();
      if (sentCid !== undefined) {
        return new CliError(
          EXIT.INTERRUPTED,
          "CLI_INTERRUPTED",
          `interrupted after the registration of ${sentCid} was sent: it may be on chain, but its ciphertext did not reach the initial validator, so nobody can read it (its validator reports it unusable); upload the file again`,
          { details: { cid: sentCid, registration: "sent" } },
        );
      }
      if (policyStep === "creating") {
        return new CliError(EXIT.INTERRUPTED, "CLI_INTERRUPTED", "interrupted while the policy was being created: it may be on chain (dekmesh policy list); nothing was registered, and uploading again reuses it", {
          details: { registration: "none" },
        });
      }
      return new CliError(EXIT.INTERRUPTED, "CLI_INTERRUPTED", "interrupted before anything was sent: nothing is on chain", { details: { registration: "none" } });
    };
    const result = await withClient(settings, async (client) => {
      let indexer: Promise<import("../indexer-client/index.js").IndexerClient> | undefined;
      const reader = () => (indexer ??= openIndexer(settings));
      await warnAboutTerms(terms, out, reader);
      let reused = policyId;
      if (reused === undefined) {
        reused = await findPolicyWithTerms(settings.indexerUrl(), client.address, terms);
        if (reused !== undefined) out.note(`reusing policy ${reused} (yours, with the same terms)`);
      }
      const options: UploadOptions = {
        ...terms,
        ...(reused !== undefined ? { policyId: reused } : {}),
        ...(validator !== undefined ? { validator } : {}),
        onProgress: (event) => {
          if (event.phase === "policy") {
            policyStep = "creating";
            bar.status("creating the policy on chain");
          } else if (event.phase === "registering") {
            sentCid = event.cid;
            bar.done();
            // Human output: the CID now, on stdout (still the only thing there); --json: in the final document.
            if (!out.json) out.stdout(event.cid!);
            bar = progressBar(process.stderr, size);
            bar.status("registering on chain");
          } else bar.update(event);
        },
      };
      try {
        return await client.publish(fs.createReadStream(file), options);
      } finally {
        bar.done();
      }
    });
    out.interruptError = undefined;
    // bytes is the file's size, as in decrypt's output; the ciphertext's is ciphertextBytes.
    if (out.json) out.result({ ...result, bytes: size, ciphertextBytes: result.bytes }, () => "");
    else if (sentCid === undefined) out.stdout(result.cid);
    out.note(
      fields([
        ["bytes", formatBytes(size)],
        ["ciphertext", formatBytes(result.bytes)],
        ["policy", result.policyId.toString()],
        ...(result.threshold !== undefined
          ? ([["members", `threshold:${result.threshold.m}/${result.threshold.n}: ${result.threshold.members.join(", ")} (shares 1–${result.threshold.n})`]] as [string, string][])
          : ([["validator", result.validator]] as [string, string][])),
        ["transaction", result.transactionHash],
      ]),
    );
  },
});
