/**
 * The one base class for every error dekmesh throws on purpose. Each module defines typed
 * subclasses with stable string codes (e.g. `TDF_TRUNCATED`, `STORE_CORRUPT`); callers switch
 * on `code`, never on messages. Messages and details must never contain secrets (keys, DEKs,
 * plaintext): they end up in logs and in refusals sent to peers.
 */
export class DekmeshError<Code extends string = string> extends Error {
  override name = "DekmeshError";
  readonly code: Code;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: Code, message: string, options: { details?: Record<string, unknown>; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = Object.freeze({ ...options.details });
  }

  /** Whether retrying the same operation later can succeed (network hiccups, busy peers). */
  get retryable(): boolean {
    return false;
  }

  toJSON(): { code: Code; message: string; details: Readonly<Record<string, unknown>> } {
    return { code: this.code, message: this.message, details: this.details };
  }
}
