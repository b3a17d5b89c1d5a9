/**
 * EIP-712 digests of the rewrap messages, computed directly (the domain separator and type
 * hashes once per validator; a request costs three small keccak calls). The test suite checks
 * every digest against viem's hashTypedData over the typed data of
 * node/protocol/rewrap/eip712.ts, so a client signing with any EIP-712 wallet (viem, ethers,
 * MetaMask's eth_signTypedData_v4) signs exactly these.
 */
import {
  EIP712_DOMAIN_NAME,
  EIP712_DOMAIN_VERSION,
  REWRAP_BULK_REQUEST_TYPE,
  REWRAP_REQUEST_TYPE,
  SESSION_GRANT_TYPE,
} from "../../protocol/rewrap/constants.js";
import type { RewrapDomain } from "../../protocol/rewrap/eip712.js";
import type { Hex, RewrapBulkRequest, RewrapRequest, SessionGrant } from "../../protocol/rewrap/types.js";
import { concatBytes, utf8 } from "./bytes.js";
import { addressWord, domainSeparator } from "./ethereum.js";
import { keccak256 } from "./keccak.js";

const REQUEST_TYPEHASH = keccak256(utf8(REWRAP_REQUEST_TYPE));
const BULK_TYPEHASH = keccak256(utf8(REWRAP_BULK_REQUEST_TYPE));
const GRANT_TYPEHASH = keccak256(utf8(SESSION_GRANT_TYPE));

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

