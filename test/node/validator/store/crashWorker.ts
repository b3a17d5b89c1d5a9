/**
 * Child process for the crash and lock tests (not a test file). Modes:
 *   probe <dir> <keyHex>            try to open the store; print "opened" or the error code
 *   audit <dir> <keyHex> <label>    append audit records in a tight loop (50 in flight), take
 *                                   batches as it goes; print "A <digest>" for every append
 *                                   whose promise resolved and "B <id> <count> <firstSeq>" for
 *                                   every batch whose assignment resolved
 *   dek <dir> <keyHex> <label>      put DEKs in a tight loop (20 in flight); print "D <contentId>"
 * Every mode prints "ready" once the store is open. The parent SIGKILLs it at a random moment.
 */
import { createHash } from "node:crypto";
import { DekStore, type Hex } from "../../../../node/validator/store/index.js";

const [mode, directory, keyHex, label] = process.argv.slice(2) as [string, string, string, string];
const storageKey = Buffer.from(keyHex, "hex");

const out: string[] = [];
// One write per turn keeps stdout cheap; a line is only written after its promise resolved.
function report(line: string): void {
  if (out.push(line) === 1) setImmediate(() => process.stdout.write(out.splice(0).join("\n") + "\n"));
}

const hex = (text: string): Hex => `0x${createHash("sha256").update(text).digest("hex")}`;

if (mode === "probe") {
  try {
    DekStore.open({ directory, storageKey }).close();
    console.log("opened");
  } catch (error) {
    console.log((error as { code?: string }).code ?? String(error));
  }
  process.exit(0);
}

const store = DekStore.open({ directory, storageKey });
process.stdout.write("ready\n");
let i = 0;

async function appender(): Promise<never> {
  for (;;) {
    const n = i++;
    const digest = hex(`${label}:${n}`);
    await store.appendAudit({ contentId: hex(`content:${n % 97}`), requester: hex(`reader:${n % 13}`).slice(0, 42) as Hex, requestDigest: digest, servedAt: 1_800_000_000 + n });
    report(`A ${digest}`);
  }
}

async function batcher(): Promise<never> {
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    const batch = await store.takeBatch(97);
    if (batch !== undefined) report(`B ${batch.batchId} ${batch.recordCount} ${store.batchRecords(batch.batchId)[0]!.seq}`);
  }
}

async function putter(): Promise<never> {
  for (;;) {
    const contentId = hex(`${label}:${i++}`);
    await store.putDek(contentId, createHash("sha256").update(`dek:${contentId}`).digest(), { policyId: 1n, mode: "stake", source: "replicated" });
    report(`D ${contentId}`);
  }
}

if (mode === "audit") {
  for (let k = 0; k < 50; k++) void appender();
  void batcher();
} else if (mode === "dek") {
  for (let k = 0; k < 20; k++) void putter();
} else {
  console.error(`unknown mode ${mode}`);
  process.exit(2);
}
