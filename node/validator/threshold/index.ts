/**
 * This node's part in threshold(m, n) custody (docs/threshold.md): its shares (member.ts), the
 * work list it acts on ahead of reads (work.ts) with the repair of departed members' slots
 * (repairs.ts), and blinded enrollment on both sides (enrollment.ts), started together.
 */
import type { Hex } from "viem";
import { repairThresholdRequest, type ChainClients } from "../../chain/index.js";
import { confirmEnrollmentRequest } from "../../chain/actions/confirmEnrollment.js";
import type { IndexerClient } from "../../indexer-client/index.js";
import type { Logger } from "../../protocol/logger.js";
import type { MetricsRegistry } from "../metrics/index.js";
import type { P2pNode } from "../p2p/index.js";
import type { DekStore } from "../store/index.js";
import type { TxSubmitter } from "../submitter/index.js";
import { ThresholdEnrollment } from "./enrollment.js";
import { ThresholdMember } from "./member.js";
import { ThresholdRepairs } from "./repairs.js";
import { ThresholdWorkLoop } from "./work.js";

export { ThresholdEnrollment, EnrollmentRefusal, enrollmentSession, type EnrollmentFaults, type EnrollmentRefusalCode } from "./enrollment.js";
export { ThresholdMember, type HeldShare } from "./member.js";

export interface ThresholdParts {
  store: DekStore;
  indexer: IndexerClient;
  p2p: P2pNode;
  chain: ChainClients;
  submitter: TxSubmitter;
  /** This node's address. */
  me: Hex;
  metrics: MetricsRegistry;
  logger: Logger;
  /** How often the work list and the repairs are looked at. */
  intervalMs: number;
}

export interface ThresholdNode {
  member: ThresholdMember;
  enrollment: ThresholdEnrollment;
  work: ThresholdWorkLoop;
  repairs: ThresholdRepairs;
  stop(): Promise<void>;
}

export async function startThreshold(p: ThresholdParts): Promise<ThresholdNode> {
  const me = p.me.toLowerCase() as Hex;
  const send = async (request: Parameters<TxSubmitter["sendTransaction"]>[0]) => {
    await p.submitter.sendTransaction(request);
  };
  const member = new ThresholdMember({ store: p.store, indexer: p.indexer, me: p.me, logger: p.logger, onStored: () => p.submitter.notify() });
  const faults = p.metrics.counter("threshold_enrollment_faults_total", "Helpers whose signed enrollment contribution failed its check, by helper and code", ["helper", "code"]);
  const enrollment = new ThresholdEnrollment({
    p2p: p.p2p,
    store: p.store,
    indexer: p.indexer,
    member,
    me: p.me,
    logger: p.logger,
    onFault: (helper, code) => faults.inc({ helper, code }),
    onStored: () => p.submitter.notify(),
  });
  const repairs = new ThresholdRepairs({
    me,
    repair: (contentId, slots) => send(repairThresholdRequest(p.chain, { contentId, slots })),
    logger: p.logger,
  });
  const work = new ThresholdWorkLoop({
    store: p.store,
    indexer: p.indexer,
    member,
    repairs,
    enrollment,
    me,
    confirmEnrollment: (contentId, slots, slot) => send(confirmEnrollmentRequest(p.chain, { contentId, slots, slot })),
    logger: p.logger,
  });
  const events = p.metrics.gauge("threshold_events", "Threshold member counters since start, by kind (opened, enrolled, contributed, enrollments_confirmed, repairs)", ["kind"]);
  p.metrics.collect(() => {
    events.set({ kind: "opened" }, member.opened);
    events.set({ kind: "enrolled" }, enrollment.enrolled);
    events.set({ kind: "contributed" }, enrollment.contributed);
    events.set({ kind: "enrollments_confirmed" }, work.confirmed);
    events.set({ kind: "repairs" }, repairs.repaired);
  });
  await enrollment.start();
  work.start(p.intervalMs);
  return {
    member,
    enrollment,
    work,
    repairs,
    stop: async () => {
      await work.stop();
      await enrollment.stop();
    },
  };
}
