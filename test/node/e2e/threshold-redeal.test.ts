/**
 * A publisher brings back a threshold content that lost its members (docs/threshold.md#re-dealing),
 * on a real network (chain, Ponder, five validators): threshold:2/3 uploaded and read, two members
 * exit — one left, fewer than m, and the read fails typed — then `client.redeal` deals k_c again
 * from the recovery envelope to a fresh draw in one redealThreshold, and the content reads byte for
 * byte from the new members' shares (indexed above every earlier one).
 */
import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import { getAddress, parseEventLogs } from "viem";
import { CONTRACT_ABIS } from "../../../node/chain/abis.js";
import { content } from "../ipfs/helpers.js";
import { refused, SdkNet } from "../sdk/helpers.js";
import { devAccount, eventually } from "../validator/helpers.js";

const publisherAccount = devAccount(5);
const readerAccount = devAccount(6);
let sdk: SdkNet;

before(async () => {
  sdk = await SdkNet.start(5);
});

after(async () => {
  await sdk?.stop();
});

it("with fewer than m members left the read fails; the publisher's re-deal makes the content readable again", async () => {
  const publisher = await sdk.client(publisherAccount);
  const reader = await sdk.client(readerAccount, { timeouts: { validatorMs: 5_000 } });
  const plaintext = Buffer.concat([...content(200_000, "redeal")]);
  const result = await publisher.publish([plaintext], { allowlist: [readerAccount.address], replication: "threshold:2/3" });
  await sdk.net.synced();
  assert.ok(Buffer.from(await reader.decrypt(result.cid)).equals(plaintext));

  // Slots 1 and 2 leave; slot 0's member (which pinned the ciphertext) stays: one member, m = 2.
  const [, ...leavers] = result.threshold!.members;
  for (const leaver of leavers) await sdk.net.send(devAccount(0), "ValidatorRegistry", "requestExit", [getAddress(leaver)]);
  await sdk.net.synced();
  await refused(reader.decrypt(result.cid), "CLIENT_NOT_ENOUGH_SHARES");
  // Nobody but the publisher can re-deal.
  await refused(reader.redeal(result.cid), "CLIENT_RECOVERY_FAILED");

  // The remaining member may repair the slots meanwhile (nobody can enroll the replacements): re-deal on the slots as they are.
  const redealt = await eventually(async () => {
    try {
      return await publisher.redeal(result.cid);
    } catch (error) {
      if ((error as { details?: { errorName?: string } }).details?.errorName === "ContentRegistryReplicaSetMismatch") return undefined;
      throw error;
    }
  }, 30_000, "a re-deal on the current slots");
  assert.equal(redealt.members.length, 3);
  for (const leaver of leavers) assert.ok(!redealt.members.some((m) => m.toLowerCase() === leaver.toLowerCase()), "no exited validator is drawn");
  const receipt = await sdk.net.public.getTransactionReceipt({ hash: redealt.transactionHash });
  const [event] = parseEventLogs({ abi: CONTRACT_ABIS.ContentRegistry as never, eventName: "ThresholdSharesRedealt", logs: receipt.logs }) as unknown as { args: { firstIndex: number } }[];
  assert.ok(event!.args.firstIndex >= 4, "fresh indexes");
  console.log(`# redealThreshold, threshold(2, 3), 5 validators: ${receipt.gasUsed} gas`);
  await sdk.net.synced();
  const { threshold } = await reader.holders(result.cid);
  assert.deepEqual(
    threshold!.slots.map((s) => [s.member, s.index, s.previous]),
    redealt.members.map((m, i) => [m.toLowerCase(), redealt.firstIndex + i, null]),
  );
  assert.ok(Buffer.from(await reader.decrypt(result.cid)).equals(plaintext), "byte for byte after the re-deal");
});
