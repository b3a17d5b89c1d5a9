/** The registration's byte layouts as the crypto core writes them and as the contract reads them agree. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { getAddress } from "viem";
import { P256PrivateKey } from "../../../../node/crypto/keys/index.js";
import { SEALED_SHARE_LENGTH, dealSealedShares, encodeCommitments } from "../../../../node/crypto/threshold/index.js";

const sol = readFileSync(new URL("../../../../contracts/libraries/ThresholdShares.sol", import.meta.url), "utf8");
const constant = (name: string) => Number(new RegExp(`constant\\s+${name}\\s*=\\s*([0-9]+)`).exec(sol)?.[1]);

describe("threshold registration layout (ThresholdShares.sol)", () => {
  it("sealed shares and commitments have the sizes the contract checks", () => {
    assert.equal(SEALED_SHARE_LENGTH, constant("SEALED_SHARE_BYTES"));
    const member = { address: getAddress("0x00000000000000000000000000000000000000a1"), kasPublicKey: P256PrivateKey.generate().publicKey };
    const { commitments, sealedShares } = dealSealedShares({ m: 2, members: [member, member, member], contentId: new Uint8Array(32) });
    assert.equal(encodeCommitments(commitments).length, 2 * constant("COMMITMENT_BYTES"));
    // Where the contract reads version, index and member: bytes 0, 1..3, 3..23.
    const second = sealedShares[1]!;
    assert.equal(second[0], constant("SEALED_SHARE_VERSION"));
    assert.equal((second[1]! << 8) | second[2]!, 2);
    assert.equal(getAddress(`0x${Buffer.from(second.subarray(3, 23)).toString("hex")}`), member.address);
  });
});
