/**
 * The validators of bench:replication, in this process (startValidator) or each in its own
 * process (../replicationValidator.ts, as deployed), behind one BenchNode interface.
 */
import { fork, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { hexToBytes, type Address, type Hex } from "viem";
import { freePort, HARDHAT_MNEMONIC } from "../../../node/devnet/index.js";
import type { ReplicationStats } from "../../../node/validator/replication/index.js";
import type { PartialConfig, ValidatorConfig } from "../../../node/validator/index.js";
import { tempDir, type Net } from "../../../test/node/validator/helpers.js";
import type { FromValidator } from "../replicationValidator.js";
import { log, lower } from "./common.js";

const WORKER = new URL("../replicationValidator.ts", import.meta.url).pathname;
const NODE_OVERRIDES: PartialConfig = { replication: { intervalMs: 100 }, holdings: { intervalMs: 100 } };

/** What the bench needs of a validator, whichever process it runs in. */
export interface BenchNode {
  address: Address;
  config: ValidatorConfig;
  initial: { kasPublicKey: Uint8Array; httpUrl: string };
  stats(): Promise<ReplicationStats>;
  stop(): Promise<void>;
}
export type OnStored = (node: Address, contentId: Hex, at: number) => void;

/** Starts `count` validators one after the other, pushing each onto `into` as soon as it runs (so a failure stops those). */
export async function startValidators(net: Net, count: number, inProcess: boolean, onStored: OnStored, into: BenchNode[]): Promise<void> {
  for (let i = 0; i < count; i++) into.push(await (inProcess ? startInProcess : startChild)(net, i, onStored));
}

async function startInProcess(net: Net, index: number, onStored: OnStored): Promise<BenchNode> {
  const v = await net.startValidator(index, NODE_OVERRIDES);
  v.replication.onStored((id) => onStored(lower(v.address), id, Date.now()));
  return {
    address: v.address,
    config: v.config,
    initial: { kasPublicKey: v.store.currentKasKey()!.publicKey, httpUrl: v.httpUrl },
    stats: async () => v.replication.stats(),
    stop: () => v.stop(),
  };
}

async function startChild(net: Net, index: number, onStored: OnStored): Promise<BenchNode> {
  await net.fundNode(index);
  const config = net.config(index, { ...NODE_OVERRIDES, p2p: { listen: [`/ip4/127.0.0.1/tcp/${await freePort()}`] }, http: { port: await freePort() } });
  const file = join(tempDir(), `bench-node-${index}.json`);
  writeFileSync(file, JSON.stringify({ ...config, mnemonic: HARDHAT_MNEMONIC }));
  const child: ChildProcess = fork(WORKER, [file], { execArgv: ["--no-warnings", "--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const statsWaiters: ((stats: ReplicationStats) => void)[] = [];
  let address: Address | undefined;
  const ready = new Promise<Extract<FromValidator, { type: "ready" }>>((resolve, reject) => {
    child.on("message", (message: FromValidator) => {
      if (message.type === "ready") {
        address = lower(message.address);
        resolve(message);
      } else if (message.type === "stored") onStored(address!, message.contentId, message.at);
      else statsWaiters.shift()?.(message.stats as ReplicationStats);
    });
    child.once("exit", (code) => reject(new Error(`validator ${index} exited (${code}) before it was ready`)));
  });
  const { kasPublicKey, httpUrl } = await ready;
  return {
    address: address!,
    config,
    initial: { kasPublicKey: hexToBytes(kasPublicKey), httpUrl },
    stats: () => new Promise((resolve) => {
      statsWaiters.push(resolve);
      child.send("stats");
    }),
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export async function logStats(validators: BenchNode[]): Promise<void> {
  for (const v of validators) {
    const { ticks, pulled, pulledFromProviders, pullFailures, derived, served, refused, repairsSent, repairFailures, provided, lastError, lastPassMs, lastWorkReadMs } = await v.stats();
    log(`${v.address.slice(0, 10)}: ticks ${ticks} derived ${derived} pulled ${pulled} (${pulledFromProviders} via DHT providers) failures ${pullFailures} served ${served} refused ${JSON.stringify(refused)} repairs ${repairsSent}/${repairFailures} provided ${provided} failed last ${lastError} pass ${lastPassMs} ms (work ${lastWorkReadMs} ms)`);
  }
}
