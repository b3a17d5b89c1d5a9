/**
 * Who signed a rewrap request. Two ways (docs/architecture.md#rewrap-and-forwarding):
 *
 * - account: the reader's account signed the request's EIP-712 digest (secp256k1, recovered
 *   with @noble/curves since OpenSSL has no key recovery: ~1.3 ms per request);
 * - session: the account signed a SessionGrant once, binding a short-lived P-256 key; the
 *   session key signs each request's EIP-712 digest with ECDSA P-256/SHA-256, verified through
 *   OpenSSL (~80 µs). A verified grant is cached (keyed by its fields and signature), so a
 *   session costs one secp256k1 recovery in total, and the session key's OpenSSL KeyObject is
 *   built once.
 *
 * The signature work itself runs through RewrapCrypto (inline or on worker threads).
 */
import { bytesToHex } from "viem";
import { type RewrapHasher } from "../../crypto/keys/eip712.js";
import { P256KeyCache, type RewrapCrypto, type SignatureCheck, type WrapInput, type WrapOutcome } from "./crypto.js";
import { RewrapError } from "../../protocol/rewrap/errors.js";
import type { Address, RequestAuth, SessionInfo, SignedSessionGrant } from "../../protocol/rewrap/types.js";

export interface AuthenticatorOptions {
  maxSessionLifetimeS: number;
  sessionCacheSize: number;
}

export class RequestAuthenticator {
  readonly #hasher: RewrapHasher;
  readonly #crypto: RewrapCrypto;
  readonly #options: AuthenticatorOptions;
  readonly #grants = new Map<string, SessionInfo>();
  readonly #verifying = new Map<string, Promise<SessionInfo>>();
  readonly #curveCheck = new P256KeyCache();
  #grantRecoveries = 0;

  constructor(hasher: RewrapHasher, crypto: RewrapCrypto, options: AuthenticatorOptions) {
    this.#hasher = hasher;
    this.#crypto = crypto;
    this.#options = options;
  }

  /** secp256k1 recoveries spent on grants so far (one per distinct grant while cached). */
  get grantRecoveries(): number {
    return this.#grantRecoveries;
  }

  /**
   * Checks `auth` over `digest` and returns the requesting account. Throws
   * REWRAP_SIGNATURE_INVALID, REWRAP_SESSION_INVALID or REWRAP_SESSION_EXPIRED.
   * With `wrap`, the wrap runs in the same crypto trip once the signature holds, and its
   * outcome comes back as `wrapped`.
   */
  async verify(digest: Uint8Array, auth: RequestAuth, nowS: number, wrap?: WrapInput): Promise<{ account: Address; wrapped?: WrapOutcome }> {
    let check: SignatureCheck;
    let account: Address;
    if (auth.kind === "account") {
      account = auth.account;
      check = { kind: "secp256k1", hash: digest, signature: auth.signature, signer: account };
    } else {
      const grant = await this.session(auth.grant, nowS);
      account = grant.account;
      check = { kind: "p256", publicKey: grant.sessionPublicKey, message: digest, signature: auth.signature };
    }
    if (wrap !== undefined) {
      const wrapped = await this.#crypto.checkThenWrap(check, wrap);
      if (wrapped === undefined) throw new RewrapError("REWRAP_SIGNATURE_INVALID");
      return { account, wrapped };
    }
    if (!(await this.#crypto.checkSignature(check))) throw new RewrapError("REWRAP_SIGNATURE_INVALID");
    return { account };
  }

  /**
   * The account a request speaks for, when known without any work: the signer an account
   * signature names, or the account of a session grant verified before. Not authenticated:
   * for predictions only.
   */
  knownAccount(auth: RequestAuth, nowS: number): Address | undefined {
    if (auth.kind === "account") return auth.account;
    if (auth.grant.expiry <= nowS) return undefined;
    return this.#grants.get(grantCacheKey(auth.grant))?.account;
  }

  /** Verifies a session grant (or finds it verified) and returns what it grants. */
  session(grant: SignedSessionGrant, nowS: number): Promise<SessionInfo> {
    if (grant.expiry <= nowS) return Promise.reject(new RewrapError("REWRAP_SESSION_EXPIRED"));
    if (grant.expiry > nowS + this.#options.maxSessionLifetimeS) return Promise.reject(new RewrapError("REWRAP_SESSION_INVALID"));
    const cacheKey = grantCacheKey(grant);
    const cached = this.#grants.get(cacheKey);
    if (cached !== undefined) return Promise.resolve(cached);
    // Many requests of a new session arrive together: one recovery serves them all.
    let verifying = this.#verifying.get(cacheKey);
    if (verifying === undefined) {
      verifying = this.#verifyGrant(grant, cacheKey, nowS).finally(() => this.#verifying.delete(cacheKey));
      this.#verifying.set(cacheKey, verifying);
    }
    return verifying;
  }

  async #verifyGrant(grant: SignedSessionGrant, cacheKey: string, nowS: number): Promise<SessionInfo> {
    const digest = this.#hasher.grant(grant);
    this.#grantRecoveries++;
    const signed = await this.#crypto.checkSignature({ kind: "secp256k1", hash: digest, signature: grant.signature, signer: grant.account });
    if (!signed) throw new RewrapError("REWRAP_SESSION_INVALID");
    if (this.#curveCheck.get(grant.sessionPublicKey) === null) throw new RewrapError("REWRAP_SESSION_INVALID");
    const info: SessionInfo = {
      grantHash: bytesToHex(digest),
      account: grant.account,
      sessionPublicKey: grant.sessionPublicKey,
      expiry: grant.expiry,
    };
    this.#remember(cacheKey, info, nowS);
    return info;
  }

  #remember(cacheKey: string, grant: SessionInfo, nowS: number): void {
    if (this.#grants.size >= this.#options.sessionCacheSize) {
      for (const [key, entry] of this.#grants) if (entry.expiry <= nowS) this.#grants.delete(key);
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
