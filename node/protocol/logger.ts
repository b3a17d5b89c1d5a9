/**
 * The structured log sink every part of dekmesh takes (the daemon's JSON logger,
 * node/validator/logger.ts, implements it). Fields never hold secrets: only ids, addresses,
 * hashes, counts and error codes.
 */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** A logger that adds `bindings` to every line. */
  child(bindings: Record<string, unknown>): Logger;
}

/** A logger that drops everything (tests, embedded use, parts given no logger). */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => silentLogger,
};

/** Log fields of an error: its code and details, never a stack or a library's dump. */
export function errorFields(error: unknown): Record<string, unknown> {
  if (error instanceof Error && "code" in error) {
    const { code, details } = error as Error & { code: unknown; details?: unknown };
    return { code, message: error.message, details };
  }
  return { message: error instanceof Error ? error.message : String(error) };
}
