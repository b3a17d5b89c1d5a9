/** KAS key rotation: EIP-712 authorization by the operator, checked by peers. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { hashTypedData, recoverTypedDataAddress, type Hex } from "viem";
import {
  KasKeyRing,
  OperatorRoot,
  P256PrivateKey,
  authorizeKasKeyRotation,
  decodeKasKeyRotation,
  encodeKasKeyRotation,
  kasKeyRotationDigest,
  kidToHex,
  rotateKasKey,
  verifyKasKeyRotation,
  type Eip712Domain,
} from "../../../../node/crypto/keys/index.js";
import { assertCode, hex } from "../tdf/helpers.js";

const root = OperatorRoot.fromMnemonic("test test test test test test test test test test test junk");
const operator = root.operatorAccount();
const node = root.nodeKeys(0);
const domain: Eip712Domain = { name: "dekmesh", version: "1", chainId: 31337n, verifyingContract: "0x5FbDB2315678afecb367f032d93F642f64180aa3" };
const expected = { operator: operator.address, domain };

function fresh(sequence = 1n) {
  return rotateKasKey({ operatorPrivateKey: operator.privateKey, node: node.account.address, sequence, domain });
}

describe("KAS key rotation", () => {
  it("digest equals viem's hashTypedData and the signature recovers to the operator", async () => {
    const { authorization } = fresh(7n);
    const typed = {
      domain: { ...domain, chainId: Number(domain.chainId) },
      types: { KasKeyRotation: [
        { name: "node", type: "address" },
        { name: "kasPublicKey", type: "bytes" },
        { name: "kid", type: "bytes8" },
        { name: "sequence", type: "uint64" },
      ] },
      primaryType: "KasKeyRotation",
      message: { node: authorization.node, kasPublicKey: `0x${hex(authorization.kasPublicKey)}` as Hex, kid: kidToHex(authorization.kid), sequence: 7n },
    } as const;
    assert.equal(`0x${hex(kasKeyRotationDigest(authorization, domain))}`, hashTypedData(typed));
    assert.equal(await recoverTypedDataAddress({ ...typed, signature: `0x${hex(authorization.signature)}` }), operator.address);
  });

  it("a fresh key is random (not derivable) and verifies", () => {
    const a = fresh();
    const b = fresh();
    assert.notEqual(hex(a.kasKey.publicKey), hex(b.kasKey.publicKey));
    assert.notEqual(hex(a.kasKey.publicKey), hex(node.kasKey.publicKey));
    verifyKasKeyRotation(a.authorization, { ...expected, node: node.account.address, afterSequence: 0n });
  });

  it("survives the wire encoding", () => {
    const { authorization } = fresh(3n);
    const decoded = decodeKasKeyRotation(encodeKasKeyRotation(authorization));
    assert.deepEqual(decoded, { ...authorization, signature: Uint8Array.from(authorization.signature) });
    verifyKasKeyRotation(decoded, expected);
  });

  it("error: signed by another account", () => {
    const other = root.nodeKeys(1).account;
    const forged = authorizeKasKeyRotation(other.privateKey, { ...fresh().authorization }, domain);
    assertCode(() => verifyKasKeyRotation(forged, expected), "KEY_ROTATION_WRONG_OPERATOR");
  });

  it("error: key swapped after signing", () => {
    const { authorization } = fresh();
    const swapped = P256PrivateKey.generate();
    assertCode(() => verifyKasKeyRotation({ ...authorization, kasPublicKey: swapped.publicKey, kid: swapped.kid }, expected), "KEY_ROTATION_WRONG_OPERATOR");
  });

  it("error: kid that is not the key's KID", () => {
    const { authorization } = fresh();
    assertCode(() => verifyKasKeyRotation({ ...authorization, kid: new Uint8Array(8) }, expected), "KEY_ROTATION_KID_MISMATCH");
  });

  it("error: replayed older sequence", () => {
    const { authorization } = fresh(5n);
    assertCode(() => verifyKasKeyRotation(authorization, { ...expected, afterSequence: 5n }), "KEY_ROTATION_MALFORMED");
  });

  it("error: sequence or node changed after signing, or another chain", () => {
    const { authorization } = fresh(5n);
    assertCode(() => verifyKasKeyRotation({ ...authorization, sequence: 6n }, expected), "KEY_ROTATION_WRONG_OPERATOR");
    assertCode(() => verifyKasKeyRotation({ ...authorization, node: operator.address }, expected), "KEY_ROTATION_WRONG_OPERATOR");
    assertCode(() => verifyKasKeyRotation(authorization, { ...expected, domain: { ...domain, chainId: 1n } }), "KEY_ROTATION_WRONG_OPERATOR");
    assertCode(() => verifyKasKeyRotation(authorization, { ...expected, node: operator.address }), "KEY_ROTATION_MALFORMED");
  });

  it("error: corrupted signature or encoding", () => {
    const bytes = encodeKasKeyRotation(fresh().authorization);
    const broken = bytes.slice();
    broken[broken.length - 1] = 99;
    assertCode(() => verifyKasKeyRotation(decodeKasKeyRotation(broken), expected), "KEY_INVALID_SIGNATURE");
    assertCode(() => decodeKasKeyRotation(bytes.subarray(1)), "KEY_ROTATION_MALFORMED");
  });

  it("keyring keeps old keys for old headers and refuses to drop the current one", () => {
    const ring = new KasKeyRing([node.kasKey]);
    const { kasKey } = fresh();
    ring.add(kasKey);
    assert.equal(ring.current, kasKey);
    assert.equal(ring.get(node.kid), node.kasKey);
    assert.equal(ring.size, 2);
    assertCode(() => ring.remove(kasKey.kid), "KEY_RING_CURRENT_KEY");
    assert.equal(ring.remove(node.kid), true);
    assert.equal(ring.get(node.kid), undefined);
  });
});
