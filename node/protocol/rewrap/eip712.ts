/**
 * EIP-712 digests of the rewrap messages, computed directly (the domain separator and type
 * hashes once per validator; a request costs three small keccak calls). The test suite checks
 * every digest against viem's hashTypedData, so a client signing with any EIP-712 wallet (viem,
 * ethers, MetaMask's eth_signTypedData_v4) signs exactly these.
 *
 * Domain: { name: "dekmesh", version: "1", chainId, verifyingContract: RewrapAuditLog }.
 */
import { keccak256 } from "../../crypto/keys/keccak.js";
import { concatBytes, utf8 } from "../../crypto/keys/bytes.js";
import { addressWord, domainSeparator } from "../../crypto/keys/ethereum.js";
import {
  EIP712_DOMAIN_NAME,
  EIP712_DOMAIN_VERSION,
  REWRAP_BULK_REQUEST_TYPE,
  REWRAP_REQUEST_TYPE,
  SESSION_GRANT_TYPE,
} from "./constants.js";
import type { Address, Hex, RewrapBulkRequest, RewrapRequest, SessionGrant } from "./types.js";

export interface RewrapDomain {
  chainId: bigint;
  /** The RewrapAuditLog contract's address. */
  verifyingContract: Address;
}

const REQUEST_TYPEHASH = keccak256(utf8(REWRAP_REQUEST_TYPE));
const BULK_TYPEHASH = keccak256(utf8(REWRAP_BULK_REQUEST_TYPE));
const GRANT_TYPEHASH = keccak256(utf8(SESSION_GRANT_TYPE));

export function hexToBytes(hex: Hex): Uint8Array {
  return new Uint8Array(Buffer.from(hex.slice(2), "hex"));
}

export function bytesToHex(bytes: Uint8Array): Hex {
  return `0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex")}`;
}

const MASK_64 = (1n << 64n) - 1n;

/** Writes a uint256 big-endian into 32 bytes at `offset` (the buffer is zeroed there). */
function putUint256(out: Uint8Array, offset: number, value: bigint): void {
  const view = new DataView(out.buffer, out.byteOffset + offset, 32);
  view.setBigUint64(0, (value >> 192n) & MASK_64);
  view.setBigUint64(8, (value >> 128n) & MASK_64);
  view.setBigUint64(16, (value >> 64n) & MASK_64);
  view.setBigUint64(24, value & MASK_64);
}

/** Writes a uint64 of unix seconds (a safe integer) as a 32-byte word at `offset`. */
function putSeconds(out: Uint8Array, offset: number, value: number): void {
  const view = new DataView(out.buffer, out.byteOffset + offset, 32);
  view.setUint32(24, Math.floor(value / 2 ** 32));
  view.setUint32(28, value >>> 0);
}

function putHex(out: Uint8Array, offset: number, hex: Hex): void {
  out.set(Buffer.from(hex.slice(2), "hex"), offset);
}

/** Digests for one domain; build one per validator (or per client) and reuse it. */
export class RewrapHasher {
  readonly domain: RewrapDomain;
  readonly #prefix: Uint8Array;

  constructor(domain: RewrapDomain) {
    this.domain = domain;
    const separator = domainSeparator({
      name: EIP712_DOMAIN_NAME,
      version: EIP712_DOMAIN_VERSION,
      chainId: domain.chainId,
      verifyingContract: domain.verifyingContract,
    });
    this.#prefix = concatBytes(new Uint8Array([0x19, 0x01]), separator);
  }

  #digest(structHash: Uint8Array): Uint8Array {
    const input = new Uint8Array(66);
    input.set(this.#prefix, 0);
    input.set(structHash, 34);
    return keccak256(input);
  }

  /** The digest a `RewrapRequest` is signed over (and its audit requestDigest). */
  request(request: RewrapRequest): Uint8Array {
    const struct = new Uint8Array(160);
    struct.set(REQUEST_TYPEHASH, 0);
    putHex(struct, 32, request.contentId);
    struct.set(keccak256(request.clientPublicKey), 64);
    putUint256(struct, 96, request.nonce);
    putSeconds(struct, 128, request.expiry);
    return this.#digest(keccak256(struct));
  }

  /** The digest a `RewrapBulkRequest` is signed over. */
  bulk(request: RewrapBulkRequest): Uint8Array {
    const ids = new Uint8Array(32 * request.contentIds.length);
    request.contentIds.forEach((id, i) => putHex(ids, 32 * i, id));
    const struct = new Uint8Array(160);
    struct.set(BULK_TYPEHASH, 0);
    struct.set(keccak256(ids), 32);
    struct.set(keccak256(request.clientPublicKey), 64);
    putUint256(struct, 96, request.nonce);
    putSeconds(struct, 128, request.expiry);
    return this.#digest(keccak256(struct));
  }

  /** The digest a `SessionGrant` is signed over; also the grant's hash. */
  grant(grant: SessionGrant): Uint8Array {
    const struct = new Uint8Array(160);
    struct.set(GRANT_TYPEHASH, 0);
    struct.set(addressWord(grant.account), 32);
    struct.set(keccak256(grant.sessionPublicKey), 64);
    putSeconds(struct, 96, grant.expiry);
    putUint256(struct, 128, grant.nonce);
    return this.#digest(keccak256(struct));
  }
}

/**
 * The request digest of one content of a bulk request: keccak256(bulkDigest ‖ contentId). Its
 * envelope is bound to it and its audit record carries it.
 */
export function bulkItemDigest(bulkDigest: Uint8Array, contentId: Hex): Uint8Array {
  const input = new Uint8Array(64);
  input.set(bulkDigest, 0);
  putHex(input, 32, contentId);
  return keccak256(input);
}

/** The EIP-712 typed-data objects (viem / eth_signTypedData_v4 shape) for signing with a wallet. */
export const REWRAP_EIP712_TYPES = {
  RewrapRequest: [
    { name: "contentId", type: "bytes32" },
    { name: "clientPublicKey", type: "bytes" },
    { name: "nonce", type: "uint256" },
    { name: "expiry", type: "uint64" },
  ],
  RewrapBulkRequest: [
    { name: "contentIds", type: "bytes32[]" },
    { name: "clientPublicKey", type: "bytes" },
    { name: "nonce", type: "uint256" },
    { name: "expiry", type: "uint64" },
  ],
  SessionGrant: [
    { name: "account", type: "address" },
    { name: "sessionPublicKey", type: "bytes" },
    { name: "expiry", type: "uint64" },
    { name: "nonce", type: "uint256" },
  ],
} as const;

export function eip712Domain(domain: RewrapDomain) {
  return {
    name: EIP712_DOMAIN_NAME,
    version: EIP712_DOMAIN_VERSION,
    chainId: domain.chainId,
    verifyingContract: domain.verifyingContract,
  } as const;
}

export function rewrapRequestTypedData(domain: RewrapDomain, request: RewrapRequest) {
  return {
    domain: eip712Domain(domain),
    types: { RewrapRequest: REWRAP_EIP712_TYPES.RewrapRequest },
    primaryType: "RewrapRequest",
    message: {
      contentId: request.contentId,
      clientPublicKey: bytesToHex(request.clientPublicKey),
      nonce: request.nonce,
      expiry: BigInt(request.expiry),
    },
  } as const;
}

export function rewrapBulkRequestTypedData(domain: RewrapDomain, request: RewrapBulkRequest) {
  return {
    domain: eip712Domain(domain),
    types: { RewrapBulkRequest: REWRAP_EIP712_TYPES.RewrapBulkRequest },
    primaryType: "RewrapBulkRequest",
    message: {
      contentIds: request.contentIds,
      clientPublicKey: bytesToHex(request.clientPublicKey),
      nonce: request.nonce,
      expiry: BigInt(request.expiry),
    },
  } as const;
}

export function sessionGrantTypedData(domain: RewrapDomain, grant: SessionGrant) {
  return {
    domain: eip712Domain(domain),
    types: { SessionGrant: REWRAP_EIP712_TYPES.SessionGrant },
    primaryType: "SessionGrant",
    message: {
      account: grant.account,
      sessionPublicKey: bytesToHex(grant.sessionPublicKey),
      expiry: BigInt(grant.expiry),
      nonce: grant.nonce,
    },
  } as const;
}
