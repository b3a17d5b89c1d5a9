/**
 * Resource locators (spec §3.4.1): where a KAS (or a remote policy, or a policy key) lives.
 *
 *   protocol byte   low nibble: 0 http, 1 https, 0xf shared resource directory
 *                   high nibble: identifier size 0 none, 1 → 2 bytes, 2 → 8 bytes, 3 → 32 bytes
 *   body length     1 byte (1–255)
 *   body            the URL without its scheme, e.g. "validator-1.dekmesh.example:8443"
 *   identifier      0/2/8/32 bytes; dekmesh puts the 8-byte KAS KID here
 */
import { concatBytes } from "../keys/bytes.js";
import { LOCATOR_IDENTIFIER_LENGTHS, LOCATOR_MAX_BODY_LENGTH } from "./constants.js";
import { TdfError } from "./errors.js";
import type { ByteReader } from "./reader.js";

export type LocatorProtocol = "http" | "https" | "shared-resource-directory";

export interface ResourceLocator {
  protocol: LocatorProtocol;
  /** Everything after "://" for http(s). */
  body: string;
  /** Optional identifier (the KID for a KAS locator): 2, 8 or 32 bytes. */
  identifier?: Uint8Array;
}

const PROTOCOL_CODES: Readonly<Record<LocatorProtocol, number>> = {
  http: 0x0,
  https: 0x1,
  "shared-resource-directory": 0xf,
};
const PROTOCOL_BY_CODE = new Map<number, LocatorProtocol>(
  Object.entries(PROTOCOL_CODES).map(([name, code]) => [code, name as LocatorProtocol]),
);
const utf8Decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const utf8Encoder = new TextEncoder();

export function encodeLocator(locator: ResourceLocator): Uint8Array {
  const body = utf8Encoder.encode(locator.body);
  if (body.length < 1 || body.length > LOCATOR_MAX_BODY_LENGTH) {
    throw new TdfError("TDF_INVALID_LOCATOR", "locator body must be 1 to 255 bytes", { details: { length: body.length } });
  }
  const identifier = locator.identifier ?? new Uint8Array(0);
  const sizeCode = (LOCATOR_IDENTIFIER_LENGTHS as readonly number[]).indexOf(identifier.length);
  if (sizeCode < 0) {
    throw new TdfError("TDF_INVALID_LOCATOR", "locator identifier must be 0, 2, 8 or 32 bytes", {
      details: { length: identifier.length },
    });
  }
  const protocol = PROTOCOL_CODES[locator.protocol];
  if (protocol === undefined) throw new TdfError("TDF_UNSUPPORTED_PROTOCOL", "unknown locator protocol");
  return concatBytes(new Uint8Array([(sizeCode << 4) | protocol, body.length]), body, identifier);
}

export function readLocator(reader: ByteReader, field: string): ResourceLocator {
  const protocolByte = reader.u8(`${field} protocol`);
  const protocol = PROTOCOL_BY_CODE.get(protocolByte & 0x0f);
  if (protocol === undefined) {
    throw new TdfError("TDF_UNSUPPORTED_PROTOCOL", `${field} uses an unassigned protocol`, {
      details: { protocolByte, offset: reader.offset - 1 },
    });
  }
  const identifierLength = LOCATOR_IDENTIFIER_LENGTHS[protocolByte >> 4];
  if (identifierLength === undefined) {
    throw new TdfError("TDF_INVALID_LOCATOR", `${field} uses an unassigned identifier size`, {
      details: { protocolByte, offset: reader.offset - 1 },
    });
  }
  const bodyLength = reader.u8(`${field} body length`);
  if (bodyLength === 0) {
    throw new TdfError("TDF_INVALID_LOCATOR", `${field} body is empty`, { details: { offset: reader.offset - 1 } });
  }
  const bodyBytes = reader.bytes(bodyLength, `${field} body`);
  let body: string;
  try {
    body = utf8Decoder.decode(bodyBytes);
  } catch (cause) {
    throw new TdfError("TDF_INVALID_LOCATOR", `${field} body is not UTF-8`, { cause });
  }
  const locator: ResourceLocator = { protocol, body };
  if (identifierLength > 0) locator.identifier = reader.bytes(identifierLength, `${field} identifier`).slice();
  return locator;
}

/** "https://validator-1.dekmesh.example:8443" (+ optional identifier) → locator. */
export function locatorFromUrl(url: string, identifier?: Uint8Array): ResourceLocator {
  const match = /^(https?):\/\/(.+)$/i.exec(url);
  if (match === null) {
    throw new TdfError("TDF_UNSUPPORTED_PROTOCOL", "locator URL must start with http:// or https://");
  }
  const locator: ResourceLocator = { protocol: match[1]!.toLowerCase() as "http" | "https", body: match[2]! };
  if (identifier !== undefined) locator.identifier = identifier;
  return locator;
}

/** The URL a locator points to, or undefined for the shared resource directory. */
export function locatorToUrl(locator: ResourceLocator): string | undefined {
  return locator.protocol === "shared-resource-directory" ? undefined : `${locator.protocol}://${locator.body}`;
}
