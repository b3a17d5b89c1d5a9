/** Structured log sink of the chain side; fields never hold keys, only addresses, hashes and ids. */
export interface ChainLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: ChainLogger = { debug() {}, info() {}, warn() {}, error() {} };

/** Log fields of an error: its code and details, never a stack or a viem dump. */
export function errorFields(error: unknown): Record<string, unknown> {
  if (error instanceof Error && "code" in error) {
    const { code, details } = error as Error & { code: unknown; details?: unknown };
    return { code, message: error.message, details };
  }
  return { message: error instanceof Error ? error.message : String(error) };
}
