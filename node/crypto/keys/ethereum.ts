/**
 * Ethereum account primitives on secp256k1 (via @noble/curves; OpenSSL has no public-key
 * recovery). Node and operator accounts sign with these, and signatures are the
 * 65-byte r‖s‖v form (v = 27/28) that viem, ethers and Solidity's ecrecover accept, so a
 * peer or a contract can check a signer against the on-chain registry by address.
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { bytesToHex, hexToBytes, isHex } from "viem";
import { concatBytes, utf8 } from "./bytes.js";
import { KeyError } from "./errors.js";
import { keccak256 } from "./keccak.js";

export { keccak256 };

export type Address = `0x${string}`;
export const ETH_SIGNATURE_LENGTH = 65;

/** EIP-55 mixed-case checksum encoding of a 20-byte address. */
export function toChecksumAddress(address: Uint8Array): Address {
  const lower = bytesToHex(address).slice(2);
  const hash = bytesToHex(keccak256(utf8(lower))).slice(2);
  let out = "0x";
  for (let i = 0; i < lower.length; i++) {
    out += parseInt(hash[i]!, 16) >= 8 ? lower[i]!.toUpperCase() : lower[i]!;
  }
  return out as Address;
}

export function addressToBytes(address: string): Uint8Array {
  if (!isHex(address, { strict: true }) || address.length !== 42) {
    throw new KeyError("KEY_INVALID_PUBLIC_KEY", "not a 0x-prefixed 20-byte address");
  }
  return hexToBytes(address);
}

export function sameAddress(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

export function addressFromPublicKey(publicKey: Uint8Array): Address {
  const uncompressed = publicKey.length === 65 ? publicKey : secp256k1.Point.fromBytes(publicKey).toBytes(false);
  return toChecksumAddress(keccak256(uncompressed.subarray(1)).subarray(12));
}

export function addressFromPrivateKey(privateKey: Uint8Array): Address {
  if (privateKey.length !== 32 || !secp256k1.utils.isValidSecretKey(privateKey)) {
    throw new KeyError("KEY_INVALID_PRIVATE_KEY", "not a valid secp256k1 private key");
  }
  return addressFromPublicKey(secp256k1.getPublicKey(privateKey, false));
}

/** Signs a 32-byte hash as is (no further hashing); returns r‖s‖v with v ∈ {27, 28}. */
export function signHash(privateKey: Uint8Array, hash: Uint8Array): Uint8Array {
  const recovered = secp256k1.sign(hash, privateKey, { prehash: false, format: "recovered" });
  return concatBytes(recovered.subarray(1), new Uint8Array([27 + recovered[0]!]));
}

/** The signer's address of a r‖s‖v signature over `hash`, or undefined if it is not valid. */
export function recoverAddress(hash: Uint8Array, signature: Uint8Array): Address | undefined {
  if (signature.length !== ETH_SIGNATURE_LENGTH || hash.length !== 32) return undefined;
  const v = signature[64]!;
  const recovery = v >= 27 ? v - 27 : v;
  if (recovery !== 0 && recovery !== 1) return undefined;
  try {
    const compact = concatBytes(new Uint8Array([recovery]), signature.subarray(0, 64));
    const sig = secp256k1.Signature.fromBytes(compact, "recovered");
    // Ethereum (EIP-2) rejects high-s signatures; accepting them would make signatures malleable.
    if (sig.hasHighS()) return undefined;
    return addressFromPublicKey(secp256k1.recoverPublicKey(compact, hash, { prehash: false }));
  } catch {
    return undefined;
  }
}

/** EIP-191 version 0x45 ("personal_sign") hash of raw message bytes, as viem's hashMessage({ raw }). */
export function hashPersonalMessage(message: Uint8Array): Uint8Array {
  return keccak256(concatBytes(utf8(`\x19Ethereum Signed Message:\n${message.length}`), message));
}

export interface Eip712Domain {
  name: string;
  version: string;
  chainId: bigint;
  verifyingContract: Address;
}

const DOMAIN_TYPEHASH = keccak256(
  utf8("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
);

/** ABI word for a uint256. */
export function uint256Word(value: bigint): Uint8Array {
  return new Uint8Array(Buffer.from(value.toString(16).padStart(64, "0"), "hex"));
}

/** ABI word for an address (left-padded to 32 bytes). */
export function addressWord(address: Address): Uint8Array {
  return concatBytes(new Uint8Array(12), addressToBytes(address));
}

/** The EIP-712 domain separator with OpenZeppelin's default field set. */
export function domainSeparator(domain: Eip712Domain): Uint8Array {
  return keccak256(
    concatBytes(
      DOMAIN_TYPEHASH,
      keccak256(utf8(domain.name)),
      keccak256(utf8(domain.version)),
      uint256Word(domain.chainId),
      addressWord(domain.verifyingContract),
    ),
  );
}

/** keccak256(0x19 0x01 ‖ domainSeparator ‖ structHash), the digest an EIP-712 signature covers. */
export function typedDataHash(domain: Eip712Domain, structHash: Uint8Array): Uint8Array {
  return keccak256(concatBytes(new Uint8Array([0x19, 0x01]), domainSeparator(domain), structHash));
}
