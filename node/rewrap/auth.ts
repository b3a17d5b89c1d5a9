/**
 * Who signed a rewrap request. Two ways (SPEC §6):
 *
 * - account: the reader's account signed the request's EIP-712 digest (secp256k1, recovered
 *   with @noble/curves since OpenSSL has no key recovery: ~1.3 ms per request);
 * - session: the account signed a SessionGrant once, binding a short-lived P-256 key; the
 *   session key signs each request's EIP-712 digest with ECDSA P-256/SHA-256, verified through
 *   OpenSSL (~80 µs). A verified grant is cached (keyed by its fields and signature), so a
 *   session costs one secp256k1 recovery in total, and the session key's OpenSSL KeyObject is
 *   built once.
 */
import { createPublicKey, verify, type KeyObject } from "node:crypto";
import { recoverAddress, sameAddress } from "../keys/ethereum.js";
import { bytesToHex, type RewrapHasher } from "./eip712.js";
import { RewrapError } from "./errors.js";
import type { Address, RequestAuth, SessionInfo, SignedSessionGrant } from "./types.js";

// SubjectPublicKeyInfo prefix of a compressed P-256 point (OpenSSL imports it directly).
const SPKI_P256_COMPRESSED_PREFIX = Buffer.from("3039301306072a8648ce3d020106082a8648ce3d030107032200", "hex");

interface VerifiedGrant {
  info: SessionInfo;
  key: KeyObject;
}

export interface AuthenticatorOptions {
  maxSessionLifetimeS: number;
  sessionCacheSize: number;
}

export class RequestAuthenticator {
  readonly #hasher: RewrapHasher;
  readonly #options: AuthenticatorOptions;
  readonly #grants = new Map<string, VerifiedGrant>();
  #grantRecoveries = 0;

  constructor(hasher: RewrapHasher, options: AuthenticatorOptions) {
    this.#hasher = hasher;
    this.#options = options;
  }

  /** secp256k1 recoveries spent on grants so far (one per distinct grant while cached). */
  get grantRecoveries(): number {
    return this.#grantRecoveries;
  }

  /**
   * Checks `auth` over `digest` and returns the requesting account. Throws
   * REWRAP_SIGNATURE_INVALID, REWRAP_SESSION_INVALID or REWRAP_SESSION_EXPIRED.
   */
  verify(digest: Uint8Array, auth: RequestAuth, nowS: number): Address {
    if (auth.kind === "account") {
      const signer = recoverAddress(digest, auth.signature);
      if (signer === undefined || !sameAddress(signer, auth.account)) throw new RewrapError("REWRAP_SIGNATURE_INVALID");
      return auth.account;
    }
    const grant = this.session(auth.grant, nowS);
    let valid = false;
    try {
      valid = verify("sha256", digest, { key: grant.key, dsaEncoding: "ieee-p1363" }, auth.signature);
    } catch {
      valid = false;
    }
    if (!valid) throw new RewrapError("REWRAP_SIGNATURE_INVALID");
    return grant.info.account;
  }

  /** Verifies a session grant (or finds it verified) and returns what it grants. */
  registerSession(grant: SignedSessionGrant, nowS: number): SessionInfo {
    return this.session(grant, nowS).info;
  }

  session(grant: SignedSessionGrant, nowS: number): VerifiedGrant {
    if (grant.expiry <= nowS) throw new RewrapError("REWRAP_SESSION_EXPIRED");
    if (grant.expiry > nowS + this.#options.maxSessionLifetimeS) throw new RewrapError("REWRAP_SESSION_INVALID");
    const cacheKey = grantCacheKey(grant);
    const cached = this.#grants.get(cacheKey);
    if (cached !== undefined) return cached;

    const digest = this.#hasher.grant(grant);
    this.#grantRecoveries++;
    const signer = recoverAddress(digest, grant.signature);
    if (signer === undefined || !sameAddress(signer, grant.account)) throw new RewrapError("REWRAP_SESSION_INVALID");
    let key: KeyObject;
    try {
      key = createPublicKey({ key: Buffer.concat([SPKI_P256_COMPRESSED_PREFIX, grant.sessionPublicKey]), format: "der", type: "spki" });
    } catch (cause) {
      throw new RewrapError("REWRAP_SESSION_INVALID", { cause });
    }
    const verified: VerifiedGrant = {
      info: {
        grantHash: bytesToHex(digest),
        account: grant.account,
        sessionPublicKey: grant.sessionPublicKey,
        expiry: grant.expiry,
      },
      key,
    };
    this.#remember(cacheKey, verified, nowS);
    return verified;
  }

  #remember(cacheKey: string, grant: VerifiedGrant, nowS: number): void {
    if (this.#grants.size >= this.#options.sessionCacheSize) {
      for (const [key, entry] of this.#grants) if (entry.info.expiry <= nowS) this.#grants.delete(key);
      // Still full of live grants: drop the oldest (it costs one recovery to verify again).
      if (this.#grants.size >= this.#options.sessionCacheSize) {
        const oldest = this.#grants.keys().next();
        if (!oldest.done) this.#grants.delete(oldest.value);
      }
    }
    this.#grants.set(cacheKey, grant);
  }
}

/** Every signed field and the signature: a cache hit means this exact grant verified before. */
function grantCacheKey(grant: SignedSessionGrant): string {
  return `${grant.account.toLowerCase()}|${bytesToHex(grant.sessionPublicKey)}|${grant.expiry}|${grant.nonce}|${bytesToHex(grant.signature)}`;
}
