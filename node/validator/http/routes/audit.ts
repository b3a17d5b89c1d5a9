/**
 * GET /v1/audit/:batchId — the evidence blob of one of this validator's audit batches
 * (docs/accountability.md#the-evidence-blob): the bytes its CID on chain was computed over,
 * served as they are stored. A batch whose records went out without evidence, or one not yet
 * assigned, is AUDIT_BATCH_NOT_FOUND.
 */
import { HttpError } from "../errors.js";
import type { Exchange } from "../exchange.js";
import type { ValidatorHttpComponents } from "../options.js";

/** A batch id as RewrapAuditLog numbers them: 1 … 2^64 − 1, decimal, no leading zeros. */
const BATCH_ID = /^[1-9][0-9]{0,19}$/;

export function auditRoutes(components: Pick<ValidatorHttpComponents, "store">) {
  return {
    evidence(ex: Exchange, param: string): void {
      if (!BATCH_ID.test(param) || BigInt(param) >= 1n << 64n) throw new HttpError("HTTP_MALFORMED");
      const blob = components.store.evidenceBlob(BigInt(param));
      if (blob === undefined) throw new HttpError("AUDIT_BATCH_NOT_FOUND");
      // The blob is ASCII JSON: the text is its bytes exactly.
      ex.json(200, Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength).toString("latin1"), { "cache-control": "public, max-age=31536000, immutable" });
    },
  };
}
