/**
 * Signing rewrap requests the way validators verify them (node/validator/rewrap eip712.ts and auth.ts):
 * by default one EIP-712 SessionGrant binds a short-lived P-256 session key to the account
 * (one wallet signature per session), and each request is then signed by the session key over
 * its EIP-712 digest (cheap for the validator: a native P-256 verify instead of a secp256k1
 * recovery). `session: false` signs every request with the account instead.
 */
import { randomBytes } from "node:crypto";
import { type LocalAccount, type Address, type Hex, hexToBytes } from "viem";
import { P256PrivateKey } from "../crypto/keys/index.js";
import {
  rewrapRequestTypedData,
  sessionGrantTypedData,
  type RewrapDomain,
  type SignedRewrapRequest,
  type SignedSessionGrant,
} from "../protocol/rewrap/index.js";
import { RewrapHasher } from "../crypto/keys/eip712.js";

export interface RewrapSignerOptions {
  /** Default true. */
  session?: boolean;
  /** Lifetime of a session grant (validators accept up to 24 h). Default 1 h. */
  sessionLifetimeS?: number;
  /** Lifetime of a request (validators accept up to 300 s). Default 60 s. */
  requestLifetimeS?: number;
}

const nowS = (): number => Math.floor(Date.now() / 1000);

/** A fresh 128-bit nonce: unique per account among unexpired requests without coordination. */
export function randomNonce(): bigint {
  return BigInt(`0x${randomBytes(16).toString("hex")}`);
}

export class RewrapSigner {
  readonly hasher: RewrapHasher;
  readonly #account: LocalAccount;
  readonly #options: Required<RewrapSignerOptions>;
  #session: { key: P256PrivateKey; grant: SignedSessionGrant } | undefined;
  #pendingSession: Promise<{ key: P256PrivateKey; grant: SignedSessionGrant }> | undefined;

  constructor(account: LocalAccount, domain: RewrapDomain, options: RewrapSignerOptions = {}) {
    this.#account = account;
    this.hasher = new RewrapHasher(domain);
    this.#options = { session: options.session ?? true, sessionLifetimeS: options.sessionLifetimeS ?? 3600, requestLifetimeS: options.requestLifetimeS ?? 60 };
  }

  get account(): Address {
    return this.#account.address.toLowerCase() as Address;
  }

  /** The current session, renewed when less than a request's lifetime (plus a margin) is left. */
  async #currentSession(): Promise<{ key: P256PrivateKey; grant: SignedSessionGrant }> {
    if (this.#session !== undefined && this.#session.grant.expiry > nowS() + this.#options.requestLifetimeS + 30) return this.#session;
    this.#pendingSession ??= (async () => {
      const key = P256PrivateKey.generate();
      const grant = { account: this.account, sessionPublicKey: key.publicKey, expiry: nowS() + this.#options.sessionLifetimeS, nonce: randomNonce() };
      const signature = await this.#account.signTypedData(sessionGrantTypedData(this.hasher.domain, grant) as never);
      this.#session = { key, grant: { ...grant, signature: hexToBytes(signature) } };
      return this.#session;
    })().finally(() => (this.#pendingSession = undefined));
    return this.#pendingSession;
  }

  /** A signed request for `contentId`'s DEK wrapped to `clientPublicKey`, and its digest. */
  async sign(contentId: Hex, clientPublicKey: Uint8Array): Promise<{ signed: SignedRewrapRequest; digest: Uint8Array }> {
    const request = { contentId, clientPublicKey, nonce: randomNonce(), expiry: nowS() + this.#options.requestLifetimeS };
    const digest = this.hasher.request(request);
    if (this.#options.session) {
      const session = await this.#currentSession();
      return { signed: { request, auth: { kind: "session", grant: session.grant, signature: session.key.sign(digest) } }, digest };
    }
    const signature = await this.#account.signTypedData(rewrapRequestTypedData(this.hasher.domain, request) as never);
    return { signed: { request, auth: { kind: "account", account: this.account, signature: hexToBytes(signature) } }, digest };
  }
}
