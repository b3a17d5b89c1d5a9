/**
 * Child process of keystore.test.ts: keeps adding leases to a keystore and prints each
 * content id after its put() returned, until it is killed.
 */
import { randomBytes } from "node:crypto";
import { issueLease } from "../../../../node/crypto/envelopes/index.js";
import { P256PrivateKey } from "../../../../node/crypto/keys/index.js";
import { LeaseKeystore } from "../../../../node/sdk/leases/keystore.js";

const [path, keyHex, kasHex] = process.argv.slice(2) as [string, string, string];
const store = await LeaseKeystore.open({ path, key: Buffer.from(keyHex, "hex") });
const kasKey = P256PrivateKey.fromBytes(Buffer.from(kasHex, "hex"));
for (;;) {
  const contentId = randomBytes(32);
  const lease = issueLease({
    dek: randomBytes(32),
    contentId,
    reader: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
    devicePublicKey: store.devicePublicKey,
    notAfter: 4_000_000_000n,
    maxPlays: 0,
    validator: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
    kasKey,
  });
  await store.put(lease);
  process.stdout.write(`${contentId.toString("hex")}\n`);
}
