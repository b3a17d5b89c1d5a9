/**
 * One validator of bench:replication as its own process, the way validators are deployed
 * (`dekmesh validator run --config <file>` through runValidatorCommand). It talks to the
 * bench over the IPC channel: {ready} once started, {stored} with this process's clock each
 * time a DEK is stored durably, {stats} when asked. SIGTERM stops it in order.
 */
import { bytesToHex, type Hex } from "viem";
import { runValidatorCommand } from "../../node/validator/index.js";

export type FromValidator =
  | { type: "ready"; address: Hex; kasPublicKey: Hex; httpUrl: string }
  | { type: "stored"; contentId: Hex; at: number }
  | { type: "stats"; stats: unknown };

const [configFile] = process.argv.slice(2);
const send = (message: FromValidator) => process.send?.(message);

process.exitCode = await runValidatorCommand(["validator", "run", "--config", configFile!], {
  onStarted: (validator) => {
    validator.replication.onStored((contentId) => send({ type: "stored", contentId, at: Date.now() }));
    process.on("message", (message) => {
      if (message === "stats") send({ type: "stats", stats: validator.replication.stats() });
    });
    send({ type: "ready", address: validator.address, kasPublicKey: bytesToHex(validator.store.currentKasKey()!.publicKey), httpUrl: validator.httpUrl });
  },
});
// The IPC channel keeps the event loop alive; the validator has stopped.
process.disconnect?.();
