/**
 * Caller arguments checked before any read: an id the indexer could never know is refused
 * here (INDEXER_INVALID_ARGUMENT), and ids are lowercased so caches key one spelling.
 */
import { IndexerClientError } from "./errors.js";
import type { Address, Hex } from "./types.js";
import { isAddress, isContentId } from "../protocol/ids.js";

export function normalizeContentId(contentId: string): Hex {
  if (!isContentId(contentId)) {
    throw new IndexerClientError("INDEXER_INVALID_ARGUMENT", "content id must be 0x + 64 hex digits");
  }
  return contentId.toLowerCase() as Hex;
}

export function normalizeAddress(address: string): Address {
  if (!isAddress(address)) throw new IndexerClientError("INDEXER_INVALID_ARGUMENT", "account must be a 0x address");
  return address.toLowerCase() as Address;
}
