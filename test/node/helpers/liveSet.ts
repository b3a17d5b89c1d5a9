/**
 * The live set of this process: heap in use plus array buffers, after collecting garbage.
 *
 * "Bounded memory" is about the live set; RSS also holds garbage V8 has not collected yet and
 * memory the allocator keeps. Two collections: array buffers freed by the first are swept
 * concurrently and are still counted right after it (spikes of 10–35 MiB on streaming paths).
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

export function liveSetBytes(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}
