/**
 * A validator as a child process for the crash test: `dekmesh validator run --config <file>`
 * through runValidatorCommand. Prints "ready" once started. In mode "rewrap" it then serves
 * rewraps of the given contents to a reader (the publisher) as fast as it can and prints each
 * answered request's digest: a printed digest is an acknowledged rewrap, whose audit record
 * the node promised to put on chain.
 */
import { readFileSync } from "node:fs";
import { hexToBytes, type Hex } from "viem";
import { devAccount } from "../../../node/devnet/index.js";
import { runValidatorCommand } from "../../../node/validator/index.js";
import { Reader } from "./rewrap/helpers.js";

const [configFile, mode, contentsFile] = process.argv.slice(2);
const write = (line: string) => process.stdout.write(`${line}\n`);

await runValidatorCommand(["validator", "run", "--config", configFile!], {
  env: {},
  onStarted: (validator) => {
    write("ready");
    if (mode !== "rewrap") return;
    const contents = JSON.parse(readFileSync(contentsFile!, "utf8")) as Hex[];
    const reader = new Reader(devAccount(5), { chainId: BigInt(validator.deployment.chainId), verifyingContract: validator.deployment.addresses.rewrapAuditLog });
    void (async () => {
      await reader.startSession();
      for (let i = 0; ; i++) {
        const batch = await Promise.all(
          Array.from({ length: 8 }, (_, j) => validator.rewrap.rewrap(reader.sessionRequest(contents[(i * 8 + j) % contents.length]!))),
        );
        for (const answer of batch) write(Buffer.from(hexToBytes(answer.requestDigest as Hex)).toString("hex"));
      }
    })();
  },
  until: () => new Promise(() => {}),
});
