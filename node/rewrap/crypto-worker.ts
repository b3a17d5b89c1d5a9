/**
 * Worker-thread side of WorkerRewrapCrypto: runs batches of signature-check / wrap jobs and
 * answers with one message per batch. DEKs arrive in the batch and are wiped after use.
 */
import { parentPort } from "node:worker_threads";
import { checkSignature, P256KeyCache, wrapOutcome } from "./crypto.js";
import type { CryptoJob, CryptoResult } from "./crypto-pool.js";

const keys = new P256KeyCache();

function run(job: CryptoJob): CryptoResult {
  switch (job.op) {
    case "check":
      return { ok: checkSignature(keys, job.check) };
    case "wrap":
      try {
        return wrapOutcome(job.wrap);
      } finally {
        job.wrap.dek.fill(0);
      }
    case "checkThenWrap":
      try {
        return { wrapped: checkSignature(keys, job.check) ? wrapOutcome(job.wrap) : undefined };
      } finally {
        job.wrap.dek.fill(0);
      }
  }
}

parentPort!.on("message", (batch: CryptoJob[]) => {
  parentPort!.postMessage(batch.map(run));
});
