/**
 * A network for SDK tests: the stack (chain, contracts, Ponder) and `count` validators in this
 * process, clients created against it and closed with it, and the typed-refusal assertion.
 */
import assert from "node:assert/strict";
import type { HDAccount } from "viem";
import { createClient, DekmeshClientError, type CreateClientOptions, type DekmeshClient } from "../../../node/sdk/index.js";
import type { Validator } from "../../../node/validator/index.js";
import { Net, removeTempDirs } from "../validator/helpers.js";

export class SdkNet {
  readonly validators: Validator[] = [];
  readonly #clients: DekmeshClient[] = [];

  private constructor(readonly net: Net) {}

  /** The stack and validators 0..count − 1, each started with `overrides(i)`, indexed. */
  static async start(count: number, overrides: (index: number) => Parameters<Net["startValidator"]>[1] = () => ({})): Promise<SdkNet> {
    const sdkNet = new SdkNet(await Net.start());
    for (let i = 0; i < count; i++) sdkNet.validators.push(await sdkNet.net.startValidator(i, overrides(i)));
    await sdkNet.net.synced();
    return sdkNet;
  }

  async client(account: HDAccount, options: Partial<CreateClientOptions> = {}): Promise<DekmeshClient> {
    const c = await createClient({ chain: { rpcUrl: this.net.stack.chain.url }, deployment: this.net.stack.deployment.file, indexerUrl: this.net.indexerUrl, account, ...options });
    this.#clients.push(c);
    return c;
  }

  byAddress(address: string): Validator {
    return this.validators.find((v) => v.address.toLowerCase() === address.toLowerCase())!;
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.#clients.map((c) => c.close()));
    for (const v of [...this.validators].reverse()) await v.stop().catch(() => {});
    await this.net.stop();
    removeTempDirs();
  }
}

/** Awaits `promise` and asserts it failed with a DekmeshClientError of `code`; returns the error. */
export async function refused(promise: Promise<unknown>, code: string, check: (error: DekmeshClientError) => void = () => {}): Promise<DekmeshClientError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof DekmeshClientError, `expected a DekmeshClientError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, `expected ${code}, got ${caught.code}: ${caught.message}`);
  check(caught);
  return caught;
}
