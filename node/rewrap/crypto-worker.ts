/**
 * Worker-thread side of WorkerRewrapCrypto: runs batches of verify / recover / wrap jobs and
 * answers with one message per batch. DEKs arrive in the batch and are wiped after use.
 */
import { parentPort } from "node:worker_threads";
import { recoverAddress } from "../keys/ethereum.js";
import { checkSignature, P256KeyCache, verifyP256With, wrapOutcome } from "./crypto.js";
import type { CryptoJob, CryptoResult } from "./crypto-pool.js";

const keys = new P256KeyCache();

function run(job: CryptoJob): CryptoResult {
  switch (job.op) {
    case "verify":
      return { ok: verifyP256With(keys, job.publicKey, job.message, job.signature) };
    case "recover":
      return { address: recoverAddress(job.hash, job.signature) };
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
