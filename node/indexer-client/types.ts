/**
 * The indexer's REST responses (docs/indexer.md), typed and checked field by field: the node
 * decides who gets a DEK from these, so a response of the wrong shape is refused
 * (INDEXER_BAD_RESPONSE) rather than half-read. Unknown extra fields are ignored so the
 * indexer can grow its answers without breaking nodes.
 */
import { IndexerClientError } from "./errors.js";

export type Hex = `0x${string}`;
export type Address = `0x${string}`;

/** The latest block the indexer had processed when it answered. */
export interface IndexedBlock {
  number: number;
  /** Unix seconds. */
  timestamp: number;
}

import { ACCESS_REASONS, type AccessReason } from "../protocol/accessReasons.js";
import { REPLICATION_MODES, type ReplicationModeName } from "../protocol/limits.js";
import { isAddress, isBytes32 } from "../protocol/ids.js";

export { ACCESS_REASONS, type AccessReason };

/** GET /access/:cid/:account — the policy's decision for the account at the indexed head. */
export interface AccessDecision {
  contentId: Hex;
  policyId: bigint;
  account: Address;
  allowed: boolean;
  reason: AccessReason;
  /** For ConditionNotMet/ConditionCallFailed: the condition node that decided (prefix index, docs/conditions.md). */
  condition?: number;
  /** Unix seconds the decision was evaluated at (the indexed head's timestamp). */
  at: bigint;
  block: IndexedBlock;
}

export type HolderState = "confirmed" | "initial" | "assigned" | "computed";

export interface Holder {
  node: Address;
  state: HolderState;
  inReplicaSet: boolean;
  confirmedBlock: bigint | null;
  endpoint: string;
  /** libp2p peer id text (base58btc multihash). */
  peerId: string;
  multiaddrs: string[];
  kid: Hex;
  kasPublicKey: Hex;
}

/** GET /holders/:cid */
export interface HoldersInfo {
  block: IndexedBlock;
  contentId: Hex;
  policyId: bigint;
  publisher: Address;
  initialValidator: Address;
  mode: ReplicationModeName;
  /** Active validators that hold (or should hold) the DEK, strongest claim first. */
  holders: Holder[];
  /** A threshold content's dealing and slots (docs/threshold.md); undefined in the other modes. */
  threshold?: ThresholdDealing;
}

/** A threshold content's m, n, Feldman commitments (m compressed points, concatenated) and slots. */
export interface ThresholdDealing {
  m: number;
  n: number;
  commitments: Hex;
  slots: ThresholdSlot[];
}

/** A slot as the contract commits to it: member, share index, the member it replaces while enrolling. */
export interface ThresholdSlot {
  slot: number;
  member: Address;
  index: number;
  previous: Address | null;
  /** The dealt share sealed to the member; null once the slot was repaired (the share comes by enrollment). */
  sealedShare: Hex | null;
}

export interface ActiveValidator {
  node: Address;
  operator: Address;
  peerId: string;
  multiaddrs: string[];
  endpoint: string;
  kid: Hex;
  kasPublicKey: Hex;
  stake: bigint;
}

/** GET /validators/active */
export interface ActiveValidators {
  block: IndexedBlock;
  validators: ActiveValidator[];
}

export interface PolicyRequirement {
  namespace: Hex;
  value: number;
}

/** GET /policies/:id (the current version). */
export interface PolicyInfo {
  block: IndexedBlock;
  id: bigint;
  publisher: Address;
  version: number;
  revoked: boolean;
  notBefore: bigint;
  notAfter: bigint;
  allowlist: Address[];
  requirements: PolicyRequirement[];
  mode: ReplicationModeName;
  k: number;
  /** The condition tree in the grammar of docs/conditions.md; null = none. */
  conditions: string | null;
}

// ------------------------------------------------------------------------------ parsing

const HEX = /^0x[0-9a-fA-F]*$/;
const UINT = /^\d{1,78}$/;
const HOLDER_STATES: ReadonlySet<string> = new Set(["confirmed", "initial", "assigned", "computed"]);

/** Reads fields of an untrusted JSON value; the first mismatch throws INDEXER_BAD_RESPONSE. */
export class Fields {
  constructor(
    readonly value: Record<string, unknown>,
    readonly where: string,
  ) {}

  static of(value: unknown, where: string): Fields {
    if (typeof value !== "object" || value === null || Array.isArray(value)) throw bad(where, "not an object");
    return new Fields(value as Record<string, unknown>, where);
  }

  object(name: string): Fields {
    return Fields.of(this.value[name], `${this.where}.${name}`);
  }

  array(name: string): unknown[] {
    const value = this.value[name];
    if (!Array.isArray(value)) throw bad(`${this.where}.${name}`, "not an array");
    return value;
  }

  string(name: string): string {
    const value = this.value[name];
    if (typeof value !== "string") throw bad(`${this.where}.${name}`, "not a string");
    return value;
  }

  /** A replication mode name; anything else is a bad response (callers then need no check of their own). */
  mode(name: string): ReplicationModeName {
    const value = this.string(name);
    if (!(REPLICATION_MODES as readonly string[]).includes(value)) throw bad(`${this.where}.${name}`, "not a replication mode");
    return value as ReplicationModeName;
  }

  boolean(name: string): boolean {
    const value = this.value[name];
    if (typeof value !== "boolean") throw bad(`${this.where}.${name}`, "not a boolean");
    return value;
  }

  integer(name: string): number {
    const value = this.value[name];
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) throw bad(`${this.where}.${name}`, "not a non-negative integer");
    return value;
  }

  /** A uint as the API writes bigints: a decimal string (numbers are accepted too). */
  uint(name: string): bigint {
    const value = this.value[name];
    if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
    if (typeof value !== "string" || !UINT.test(value)) throw bad(`${this.where}.${name}`, "not a decimal uint");
    return BigInt(value);
  }

  uintOrNull(name: string): bigint | null {
    return this.value[name] === null ? null : this.uint(name);
  }

  address(name: string): Address {
    const value = this.string(name);
    if (!isAddress(value)) throw bad(`${this.where}.${name}`, "not an address");
    return value.toLowerCase() as Address;
  }

  bytes32(name: string): Hex {
    const value = this.string(name);
    if (!isBytes32(value)) throw bad(`${this.where}.${name}`, "not 32 bytes of hex");
    return value.toLowerCase() as Hex;
  }

  hex(name: string): Hex {
    const value = this.string(name);
    if (!HEX.test(value) || value.length % 2 !== 0) throw bad(`${this.where}.${name}`, "not hex");
    return value.toLowerCase() as Hex;
  }

  strings(name: string): string[] {
    return this.array(name).map((item, i) => {
      if (typeof item !== "string") throw bad(`${this.where}.${name}[${i}]`, "not a string");
      return item;
    });
  }
}

function bad(where: string, what: string): IndexerClientError {
  return new IndexerClientError("INDEXER_BAD_RESPONSE", `indexer response: ${where} is ${what}`, { details: { field: where } });
}

export function parseBlock(body: unknown, where: string): IndexedBlock {
  const block = Fields.of(body, where).object("block");
  return { number: block.integer("number"), timestamp: block.integer("timestamp") };
}

export function parseAccess(body: unknown): AccessDecision {
  const f = Fields.of(body, "access");
  if ((body as { needsChain?: unknown }).needsChain === true) {
    throw new IndexerClientError("INDEXER_NEEDS_CHAIN", "the indexer cannot decide this policy's conditions; the chain must", { details: { condition: (body as { condition?: unknown }).condition } });
  }
  const reason = f.string("reason");
  if (!(ACCESS_REASONS as readonly string[]).includes(reason)) throw bad("access.reason", "not a known access reason");
  const allowed = f.boolean("allowed");
  if (allowed !== (reason === "Granted" || reason === "Publisher")) throw bad("access.allowed", "inconsistent with its reason");
  return {
    contentId: f.bytes32("contentId"),
    policyId: f.uint("policyId"),
    account: f.address("account"),
    allowed,
    reason: reason as AccessReason,
    ...(reason.startsWith("Condition") ? { condition: f.integer("condition") } : {}),
    at: f.uint("at"),
    block: parseBlock(body, "access"),
  };
}

export function parseHolders(body: unknown): HoldersInfo {
  const f = Fields.of(body, "holders");
  const content = f.object("content");
  const replication = f.object("replication");
  return {
    block: parseBlock(body, "holders"),
    contentId: content.bytes32("contentId"),
    policyId: content.uint("policyId"),
    publisher: content.address("publisher"),
    initialValidator: content.address("initialValidator"),
    mode: replication.mode("mode"),
    holders: f.array("holders").map((item, i) => {
      const h = Fields.of(item, `holders.holders[${i}]`);
      const state = h.string("state");
      if (!HOLDER_STATES.has(state)) throw bad(`holders.holders[${i}].state`, "not a holder state");
      return {
        node: h.address("node"),
        state: state as HolderState,
        inReplicaSet: h.boolean("inReplicaSet"),
        confirmedBlock: h.uintOrNull("confirmedBlock"),
        endpoint: h.string("endpoint"),
        peerId: h.string("peerId"),
        multiaddrs: h.strings("multiaddrs"),
        kid: h.hex("kid"),
        kasPublicKey: h.hex("kasPublicKey"),
      };
    }),
    ...(replication.value.threshold !== undefined && { threshold: parseThresholdDealing(replication.object("threshold")) }),
  };
}

export function parseThresholdDealing(t: Fields): ThresholdDealing {
  return {
    m: t.integer("m"),
    n: t.integer("n"),
    commitments: t.hex("commitments"),
    slots: t.array("slots").map((item, i) => {
      const s = Fields.of(item, `${t.where}.slots[${i}]`);
      return {
        slot: s.integer("slot"),
        member: s.address("member"),
        index: s.integer("index"),
        previous: s.value.previous === null ? null : s.address("previous"),
        sealedShare: s.value.sealedShare === null ? null : s.hex("sealedShare"),
      };
    }),
  };
}

export function parseActiveValidators(body: unknown): ActiveValidators {
  const f = Fields.of(body, "validators");
  return {
    block: parseBlock(body, "validators"),
    validators: f.array("validators").map((item, i) => {
      const v = Fields.of(item, `validators.validators[${i}]`);
      return {
        node: v.address("node"),
        operator: v.address("operator"),
        peerId: v.string("peerId"),
        multiaddrs: v.strings("multiaddrs"),
        endpoint: v.string("endpoint"),
        kid: v.hex("kid"),
        kasPublicKey: v.hex("kasPublicKey"),
        stake: v.uint("stake"),
      };
    }),
  };
}

export function parsePolicy(body: unknown): PolicyInfo {
  const p = Fields.of(body, "policy").object("policy");
  const replication = p.object("replication");
  return {
    block: parseBlock(body, "policy"),
    id: p.uint("id"),
    publisher: p.address("publisher"),
    version: p.integer("version"),
    revoked: p.boolean("revoked"),
    notBefore: p.uint("notBefore"),
    notAfter: p.uint("notAfter"),
    allowlist: p.array("allowlist").map((a, i) => {
      if (typeof a !== "string" || !isAddress(a)) throw bad(`policy.allowlist[${i}]`, "not an address");
      return a.toLowerCase() as Address;
    }),
    requirements: p.array("requirements").map((r, i) => {
      const q = Fields.of(r, `policy.requirements[${i}]`);
      return { namespace: q.bytes32("namespace"), value: q.integer("value") };
    }),
    mode: replication.mode("mode"),
    k: replication.integer("k"),
    conditions: policyConditions(body),
  };
}

/** The policy's condition text; null when it has none (or the indexer predates conditions). */
function policyConditions(body: unknown): string | null {
  const conditions = (body as { policy: { conditions?: unknown } }).policy.conditions;
  if (conditions === undefined || conditions === null) return null;
  if (typeof conditions !== "string") throw bad("policy.conditions", "not a string");
  return conditions;
}
