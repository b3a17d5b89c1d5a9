import { asChainError } from "../errors.js";

/** Runs one contract read; failures become ChainErrors naming the read. */
export async function read<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw asChainError(error, { operation });
  }
}
