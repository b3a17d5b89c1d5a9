import { P2pError } from "./errors.js";

/**
 * The payload codec protocols use on top of the byte-level framework: UTF-8 JSON in which every
 * `Uint8Array` is written as `{"$bytes":"<base64>"}` and read back as a `Uint8Array`. It is
 * binary-safe and readable in logs and traces; protocols that carry large opaque blobs may send
 * raw bytes instead, since `handle`/`request` move bytes and leave encoding to the protocol.
 */

const BYTES_KEY = "$bytes";
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

export function encodeJson(value: unknown): Uint8Array {
  let json: string | undefined;
  try {
    json = JSON.stringify(value, (_key, item: unknown) => {
      if (item instanceof Uint8Array) {
        return { [BYTES_KEY]: Buffer.from(item.buffer, item.byteOffset, item.byteLength).toString("base64") };
      }
      if (isBytesLookalike(item)) throw new TypeError(`an object whose only key is "${BYTES_KEY}" is ambiguous`);
      return item;
    });
  } catch (cause) {
    throw new P2pError("P2P_INVALID_ARGUMENT", "value has no JSON encoding", { cause });
  }
  if (json === undefined) throw new P2pError("P2P_INVALID_ARGUMENT", "value has no JSON encoding");
  return encoder.encode(json);
}

/** Decodes a payload written by `encodeJson`; anything else is `P2P_MALFORMED`. */
export function decodeJson(bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch (cause) {
    throw new P2pError("P2P_MALFORMED", "payload is not UTF-8", { cause });
  }
  try {
    return JSON.parse(text, (_key, item: unknown) => {
      if (!isBytesLookalike(item)) return item;
      const base64 = item[BYTES_KEY];
      if (typeof base64 !== "string" || !BASE64.test(base64)) throw new SyntaxError("bad base64 in $bytes");
      return new Uint8Array(Buffer.from(base64, "base64"));
    });
  } catch (cause) {
    throw new P2pError("P2P_MALFORMED", "payload is not valid JSON", { cause });
  }
}

function isBytesLookalike(item: unknown): item is Record<string, unknown> {
  if (typeof item !== "object" || item === null || Array.isArray(item) || item instanceof Uint8Array) return false;
  const keys = Object.keys(item);
  return keys.length === 1 && keys[0] === BYTES_KEY;
}
