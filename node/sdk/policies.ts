/**
 * Policy helpers (PolicyRegistry): terms as the SDK takes them — attributes as
 * "namespace/value" text, the replication spec as "all" | "stake:K" | "xor:K" | "threshold:M/N" | { explicit } —
 * turned into the contract's PolicyInput.
 */
import { parseEventLogs, type Address, type Hex } from "viem";
import { policyRegistryAbi, sendContractWrite, type ChainClients, type WriteResult } from "../chain/index.js";
import type { IndexerClient, PolicyInfo } from "../indexer-client/index.js";
import type { Attributes } from "./attributes.js";
import { clientError, DekmeshClientError } from "./errors.js";
import { ConditionError, encodeConditions, parseCondition, type Condition, type ConditionNode } from "../protocol/conditions.js";
import { MAX_THRESHOLD_MEMBERS, MIN_THRESHOLD } from "../protocol/limits.js";
import { parseThresholdSpec, thresholdK } from "../protocol/threshold.js";

export type ReplicationSpec = "validators" | "all" | `stake:${number}` | `xor:${number}` | `threshold:${number}/${number}` | { explicit: Address[] };

export interface PolicyTerms {
  /** Required attribute values, "namespace/value". */
  attributes?: string[];
  /** Readers allowed; empty or absent = anyone who meets the attributes. */
  allowlist?: Address[];
  /** Unix seconds; 0/absent = open. notAfter is inclusive. */
  notBefore?: bigint | number;
  notAfter?: bigint | number;
  /** Default "all". Fixed once the policy exists. */
  replication?: ReplicationSpec;
  /**
   * A condition tree every reader but the publisher must satisfy, in the grammar of
   * docs/conditions.md (`and(erc20:0x…>=100, time<=1800000000)`) or already parsed. Absent = none;
   * an update without it makes a version without conditions.
   */
  conditions?: string | Condition;
}

/** The chain's condition nodes for `conditions`; CLIENT_INVALID_ARGUMENT (with the parser's code and position) for bad text. */
export function conditionNodes(conditions: string | Condition | undefined): ConditionNode[] {
  if (conditions === undefined) return [];
  try {
    return encodeConditions(typeof conditions === "string" ? parseCondition(conditions) : conditions);
  } catch (error) {
    if (!(error instanceof ConditionError)) throw error;
    throw new DekmeshClientError("CLIENT_INVALID_ARGUMENT", `conditions: ${error.message}`, { details: { code: error.code, ...error.details }, cause: error });
  }
}

interface PolicyInput {
  requirements: { namespace: Hex; value: number }[];
  allowlist: Address[];
  notBefore: bigint;
  notAfter: bigint;
  mode: number;
  k: number;
  explicitMembers: Address[];
}

const MODES = { all: 0, stake: 1, xor: 2, explicit: 3, threshold: 4 } as const;

/** The mode number of threshold(m, n) (ReplicationMode.Threshold). */
export const THRESHOLD_MODE = MODES.threshold;

/** m and n of a "threshold:M/N" spec, or undefined for another kind of spec; CLIENT_INVALID_ARGUMENT outside 2 ≤ M ≤ N ≤ 16. */
export function parseThreshold(spec: unknown): { m: number; n: number } | undefined {
  if (typeof spec !== "string" || !spec.startsWith("threshold")) return undefined;
  const threshold = parseThresholdSpec(spec);
  if (threshold === undefined) {
    throw new DekmeshClientError("CLIENT_INVALID_ARGUMENT", `replication "${spec}": threshold must be "threshold:M/N" with ${MIN_THRESHOLD} ≤ M ≤ N ≤ ${MAX_THRESHOLD_MEMBERS}`, {
      details: { replication: spec },
    });
  }
  return threshold;
}

export function parseReplication(spec: ReplicationSpec | undefined): { mode: number; k: number; explicitMembers: Address[] } {
  if (spec === undefined || spec === "all" || spec === "validators") return { mode: MODES.all, k: 0, explicitMembers: [] };
  if (typeof spec === "object" && spec !== null && Array.isArray(spec.explicit)) return { mode: MODES.explicit, k: 0, explicitMembers: [...spec.explicit] };
  const threshold = parseThreshold(spec);
  if (threshold !== undefined) return { mode: MODES.threshold, k: thresholdK(threshold.m, threshold.n)!, explicitMembers: [] };
  const match = typeof spec === "string" ? /^(stake|xor):(\d{1,2})$/.exec(spec) : null;
  if (match === null) throw new DekmeshClientError("CLIENT_INVALID_ARGUMENT", 'replication must be "all", "stake:K", "xor:K", "threshold:M/N" or { explicit: [addresses] }');
  return { mode: MODES[match[1] as "stake" | "xor"], k: Number(match[2]), explicitMembers: [] };
}

function seconds(value: bigint | number | undefined, name: string): bigint {
  const v = BigInt(value ?? 0);
  if (v < 0n || v >= 1n << 64n) throw new DekmeshClientError("CLIENT_INVALID_ARGUMENT", `${name} must be unix seconds`);
  return v;
}

export class Policies {
  readonly #clients: ChainClients;
  readonly #attributes: Attributes;
  readonly #indexer: IndexerClient;

  constructor(clients: ChainClients, attributes: Attributes, indexer: IndexerClient) {
    this.#clients = clients;
    this.#attributes = attributes;
    this.#indexer = indexer;
  }

  /**
   * The contract's PolicyInput for `terms` (requirements resolved, sorted, distinct) and the
   * condition nodes: everything that defines the policy (upload reuses a policy whose input is
   * equal, so the conditions belong in it).
   */
  async input(terms: PolicyTerms): Promise<PolicyInput & { conditions: ConditionNode[] }> {
    const conditions = conditionNodes(terms.conditions);
    const resolved = await Promise.all((terms.attributes ?? []).map((text) => this.#attributes.resolve(text)));
    const requirements = resolved
      .map(({ namespace, value }) => ({ namespace, value }))
      .sort((a, b) => (a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : a.value - b.value))
      .filter((r, i, all) => i === 0 || r.namespace !== all[i - 1]!.namespace || r.value !== all[i - 1]!.value);
    return {
      requirements,
      allowlist: [...(terms.allowlist ?? [])],
      notBefore: seconds(terms.notBefore, "notBefore"),
      notAfter: seconds(terms.notAfter, "notAfter"),
      ...parseReplication(terms.replication),
      conditions,
    };
  }

  /** Creates a policy owned by this client's account; returns its id. */
  async create(terms: PolicyTerms): Promise<bigint> {
    const { conditions, ...input } = await this.input(terms);
    const { result } = conditions.length === 0 ? await this.#send("createPolicy", [input]) : await this.#send("createPolicyWithConditions", [input, conditions]);
    const created = parseEventLogs({ abi: policyRegistryAbi, logs: result.receipt.logs, eventName: "PolicyCreated" })[0];
    if (created === undefined) throw new DekmeshClientError("CLIENT_CHAIN", "createPolicy emitted no PolicyCreated event");
    return created.args.policyId;
  }

  /** Replaces the terms (the replication mode and k cannot change); returns the new version. */
  async update(policyId: bigint, terms: PolicyTerms): Promise<number> {
    const { conditions, ...input } = await this.input(terms);
    const { result } = conditions.length === 0 ? await this.#send("updatePolicy", [policyId, input]) : await this.#send("updatePolicyWithConditions", [policyId, input, conditions]);
    const updated = parseEventLogs({ abi: policyRegistryAbi, logs: result.receipt.logs, eventName: "PolicyUpdated" })[0];
    if (updated === undefined) throw new DekmeshClientError("CLIENT_CHAIN", "updatePolicy emitted no PolicyUpdated event");
    return Number(updated.args.version);
  }

  async revoke(policyId: bigint): Promise<void> {
    await this.#send("revokePolicy", [policyId]);
  }

  /** The current version as the indexer has it (requirements by namespace id and value index). */
  async get(policyId: bigint): Promise<PolicyInfo> {
    try {
      return await this.#indexer.policy(policyId);
    } catch (error) {
      throw clientError((error as { code?: string }).code === "INDEXER_NOT_FOUND" ? "CLIENT_NOT_FOUND" : "CLIENT_INDEXER", "cannot read the policy", error);
    }
  }

  async #send(functionName: string, args: readonly unknown[]): Promise<{ result: WriteResult }> {
    try {
      return { result: await sendContractWrite(this.#clients, { address: this.#clients.deployment.addresses.policyRegistry, abi: policyRegistryAbi, functionName, args }) };
    } catch (error) {
      throw clientError("CLIENT_CHAIN", `PolicyRegistry.${functionName} failed`, error);
    }
  }
}
