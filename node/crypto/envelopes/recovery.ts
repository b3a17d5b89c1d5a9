/**
 * The recovery envelope: at upload the publisher wraps the DEK to a key of their own and
 * registers it on chain, so they can re-seed the DEK if every holder vanished (docs/architecture.md#on-chain-state).
 *
 * The publisher's recovery key is a P-256 key derived from their account's EIP-191
 * signature over a fixed message naming their address and chain. Why not ECIES to the
 * secp256k1 account key itself: wallets (MetaMask, hardware wallets, WalletConnect) never
 * expose the private key or an ECDH operation — eth_decrypt is deprecated and was X25519 —
 * while every one of them signs messages, deterministically (RFC 6979), so the same account
 * re-derives the same recovery key on any device. The envelope names the recovery key's KID,
 * so a wallet that signs non-deterministically is caught as "wrong recovery key" instead of
 * failing silently. The derived key is P-256, so opening uses the same native ECDH as the
 * rest of dekmesh.
 *
 * Layout (90 bytes):
 *   version       1   0x01
 *   recoveryKid   8   KID of the recovery public key
 *   ephemeralKey 33   ECIES ephemeral P-256 key
 *   wrappedDek   48   AES-256-GCM(DEK) ‖ tag
 * The content id and publisher address are not stored (the registration carries them) but
 * bind the envelope through the ECIES context.
 */
import { bytesToBigInt, bytesToHex } from "viem";
import { bytesEqual, concatBytes, utf8 } from "../keys/bytes.js";
import { addressToBytes, hashPersonalMessage, recoverAddress, sameAddress, type Address } from "../keys/ethereum.js";
import { hkdfSha256 } from "../keys/hkdf.js";
import { kasKeyId } from "../keys/kid.js";
import { P256PrivateKey } from "../keys/p256.js";
import { eciesOpen, eciesSeal } from "./ecies.js";
import { EnvelopeError } from "./errors.js";

export const RECOVERY_ENVELOPE_VERSION = 1;
export const RECOVERY_ENVELOPE_LENGTH = 1 + 8 + 33 + 48;
const DOMAIN = utf8("dekmesh/recovery/v1");
const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

/** The message a publisher's wallet signs to (re-)derive their recovery key. */
export function recoveryKeyMessage(publisher: Address, chainId: bigint): string {
  return [
    "dekmesh recovery key v1",
    `account: ${publisher.toLowerCase()}`,
    `chain: ${chainId}`,
    "",
    "Signing lets this app recover the keys of content you publish. Sign it only in a dekmesh client.",
  ].join("\n");
}

/**
 * Derives the recovery key from the publisher's signature over recoveryKeyMessage, after
 * checking that the publisher really made it. r‖s are the input keying material (v is left
 * out: wallets disagree on 0/1 vs 27/28); 48 bytes of HKDF output reduced mod n−1, plus 1,
 * give a uniform non-zero scalar (FIPS 186-5 A.2.1).
 */
export function deriveRecoveryKey(params: { publisher: Address; chainId: bigint; signature: Uint8Array }): P256PrivateKey {
  const digest = hashPersonalMessage(utf8(recoveryKeyMessage(params.publisher, params.chainId)));
  const signer = recoverAddress(digest, params.signature);
  if (signer === undefined || !sameAddress(signer, params.publisher)) {
    throw new EnvelopeError("ENVELOPE_BAD_SIGNATURE", "recovery signature is not the publisher's");
  }
  const okm = hkdfSha256(params.signature.subarray(0, 64), DOMAIN, addressToBytes(params.publisher), 48);
  const scalar = (bytesToBigInt(okm) % (P256_ORDER - 1n)) + 1n;
  return P256PrivateKey.fromBytes(new Uint8Array(Buffer.from(scalar.toString(16).padStart(64, "0"), "hex")));
}

function context(contentId: Uint8Array, publisher: Address, kid: Uint8Array): Uint8Array {
  if (contentId.length !== 32) throw new EnvelopeError("ENVELOPE_INVALID_ARGUMENT", "content id must be 32 bytes");
  return concatBytes(new Uint8Array([RECOVERY_ENVELOPE_VERSION]), kid, contentId, addressToBytes(publisher));
}

export function sealRecovery(params: { dek: Uint8Array; recoveryPublicKey: Uint8Array; contentId: Uint8Array; publisher: Address }): Uint8Array {
  if (params.dek.length !== 32) throw new EnvelopeError("ENVELOPE_INVALID_ARGUMENT", "DEK must be 32 bytes");
  const kid = kasKeyId(params.recoveryPublicKey);
  const { ephemeralPublicKey, ciphertext } = eciesSeal({
    recipientPublicKey: params.recoveryPublicKey,
    plaintext: params.dek,
    salt: DOMAIN,
    context: context(params.contentId, params.publisher, kid),
  });
  return concatBytes(new Uint8Array([RECOVERY_ENVELOPE_VERSION]), kid, ephemeralPublicKey, ciphertext);
}

export function openRecovery(params: { envelope: Uint8Array; recoveryKey: P256PrivateKey; contentId: Uint8Array; publisher: Address }): Uint8Array {
  const { envelope } = params;
  if (envelope.length !== RECOVERY_ENVELOPE_LENGTH) {
    throw new EnvelopeError("ENVELOPE_MALFORMED", "recovery envelope has the wrong length", { details: { length: envelope.length } });
  }
  if (envelope[0] !== RECOVERY_ENVELOPE_VERSION) {
    throw new EnvelopeError("ENVELOPE_UNSUPPORTED_VERSION", "unknown recovery envelope version", { details: { version: envelope[0] } });
  }
  const kid = envelope.subarray(1, 9);
  if (!bytesEqual(kid, params.recoveryKey.kid)) {
    throw new EnvelopeError("ENVELOPE_UNKNOWN_KID", "envelope is wrapped to another recovery key", { details: { kid: bytesToHex(kid) } });
  }
  return eciesOpen({
    recipientKey: params.recoveryKey,
    ephemeralPublicKey: envelope.subarray(9, 42),
    ciphertext: envelope.subarray(42),
    salt: DOMAIN,
    context: context(params.contentId, params.publisher, kid),
  });
}
