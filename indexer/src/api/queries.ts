// The reads behind the REST endpoints. Each is ONE SQL statement (PGlite pays ~1 ms per
// statement, and one statement is one consistent snapshot) that selects the version columns
// and the answer's data as JSON. Column names are the tables' snake_case names (Ponder's
// casing); uint64/uint256 columns are cast to text so no value passes through a double.
import {
  attributeGrant,
  content,
  holding,
  kasKey,
  namespace,
  namespaceValue,
  policy,
  replicaSlot,
  rewrapBatch,
  thresholdDealing,
  thresholdSlot,
  validator,
} from "ponder:schema";
import { sql } from "ponder";
import type { Address, Hex } from "viem";
import { pageRecords, recordColumns, recordFieldIs } from "../../lib/auditRecordsSql.js";
import type { AuditPosition } from "../../lib/cursor.js";
import { selectWithVersion, type Reader, type Version } from "./version.js";

type Fragment = ReturnType<typeof sql>;

/** A validator as discovery needs it (stake and weight as decimal strings). */
export interface ValidatorJson {
  node: Hex;
  operator: Hex;
  stake: string;
  weight: string;
  endpoint: string;
  peerId: string;
  multiaddrs: string[];
  kid: Hex;
  kasPublicKey: Hex;
  xorId: Hex;
  activatedAt: number | null;
}

const validatorJson = (v: string) =>
  sql.raw(`json_build_object('node', ${v}.node, 'operator', ${v}.operator, 'stake', ${v}.stake::text,
    'weight', ${v}.weight::text, 'endpoint', ${v}.endpoint, 'peerId', ${v}.peer_id, 'multiaddrs', ${v}.multiaddrs,
    'kid', ${v}.current_kid, 'kasPublicKey', ${v}.kas_public_key, 'xorId', ${v}.xor_id, 'activatedAt', ${v}.activated_at)`);

const activeSet = sql`(SELECT coalesce(json_agg(${validatorJson("v")} ORDER BY v.node), '[]')
  FROM ${validator} v WHERE v.status = 'active')`;

// ---------------------------------------------------------------- /holders

export interface HoldersData {
  content: {
    contentId: Hex;
    cid: string | null;
    policyId: string;
    publisher: Hex;
    initialValidator: Hex;
    registeredBlock: number;
    /** Set once the initial validator reported the content unusable (ContentReportedUnusable). */
    unusableReason: string | null;
    unusableBlock: number | null;
    mode: "all" | "stake" | "xor" | "explicit" | "threshold";
    k: number;
    explicitMembers: Hex[];
  } | null;
  active: ValidatorJson[];
  holdings: { validator: Hex; firstConfirmedBlock: number }[];
  slots: (Hex | null)[];
  /** A threshold content's dealing (null for the other modes). */
  threshold: { m: number; n: number; commitments: Hex } | null;
  /**
 * A threshold content's slots in order: member, share index, the member it replaces while
 * enrolling, and the dealt share sealed to the member (null once the slot was repaired).
 */
  thresholdSlots: ThresholdSlotJson[];
}

export interface ThresholdSlotJson {
  slot: number;
  member: Hex;
  index: number;
  previous: Hex | null;
  sealedShare: Hex | null;
}

export function readHolders(db: Reader, contentId: Hex): Promise<{ version: Version; row: HoldersData }> {
  return selectWithVersion<HoldersData>(
    db,
    sql`(SELECT json_build_object('contentId', c.content_id, 'cid', c.cid, 'policyId', c.policy_id::text,
           'publisher', c.publisher, 'initialValidator', c.initial_validator, 'registeredBlock', c.registered_block,
           'unusableReason', c.unusable_reason, 'unusableBlock', c.unusable_block,
           'mode', p.mode, 'k', p.k, 'explicitMembers', p.explicit_members)
         FROM ${content} c JOIN ${policy} p ON p.id = c.policy_id WHERE c.content_id = ${contentId}) AS content,
       ${activeSet} AS active,
       (SELECT coalesce(json_agg(json_build_object('validator', h.validator, 'firstConfirmedBlock', h.first_confirmed_block)), '[]')
         FROM ${holding} h WHERE h.content_id = ${contentId}) AS holdings,
       (SELECT coalesce(json_agg(s.validator ORDER BY s.slot), '[]')
         FROM ${replicaSlot} s WHERE s.content_id = ${contentId}) AS slots,
       (SELECT json_build_object('m', d.m, 'n', d.n, 'commitments', d.commitments)
         FROM ${thresholdDealing} d WHERE d.content_id = ${contentId}) AS threshold,
       (SELECT coalesce(json_agg(json_build_object('slot', t.slot, 'member', t.member, 'index', t.share_index, 'previous', t.previous,
             'sealedShare', t.sealed_share)
           ORDER BY t.slot), '[]')
         FROM ${thresholdSlot} t WHERE t.content_id = ${contentId}) AS "thresholdSlots"`,
  );
}

// ---------------------------------------------------------------- /validators/active

export interface ActiveData {
  active: ValidatorJson[];
  keys: { node: Hex; kid: Hex; publicKey: Hex; status: string }[];
}

export function readActive(db: Reader): Promise<{ version: Version; row: ActiveData }> {
  return selectWithVersion<ActiveData>(
    db,
    sql`${activeSet} AS active,
       (SELECT coalesce(json_agg(json_build_object('node', k.node, 'kid', k.kid, 'publicKey', k.public_key, 'status', k.status)
           ORDER BY k.node, k.added_block), '[]')
         FROM ${kasKey} k JOIN ${validator} v ON v.node = k.node
         WHERE v.status = 'active' AND k.status <> 'revoked') AS keys`,
  );
}

// ---------------------------------------------------------------- /policies/:id and /access

export interface PolicyJson {
  id: string;
  publisher: Hex;
  version: number;
  revoked: boolean;
  notBefore: string;
  notAfter: string;
  allowlist: Hex[];
  requirements: { namespace: Hex; value: number }[];
  mode: string;
  k: number;
  explicitMembers: Hex[];
  /** docs/conditions.md grammar; null = none. */
  conditions: string | null;
  createdBlock: number;
  createdAt: number;
  updatedBlock: number;
  updatedAt: number;
  revokedBlock: number | null;
  revokedAt: number | null;
}

const policyJson = sql.raw(`json_build_object('id', p.id::text, 'publisher', p.publisher, 'version', p.version,
  'revoked', p.revoked, 'notBefore', p.not_before::text, 'notAfter', p.not_after::text, 'allowlist', p.allowlist,
  'requirements', p.requirements, 'mode', p.mode, 'k', p.k, 'explicitMembers', p.explicit_members, 'conditions', p.conditions,
  'createdBlock', p.created_block, 'createdAt', p.created_at, 'updatedBlock', p.updated_block,
  'updatedAt', p.updated_at, 'revokedBlock', p.revoked_block, 'revokedAt', p.revoked_at)`);

/** Namespaces the policy `p` requires, as `json_agg` input. */
const requiredNamespaces = sql.raw(`(SELECT DISTINCT r->>'namespace' FROM json_array_elements(p.requirements) r)`);

export interface PolicyData {
  policy: PolicyJson | null;
  namespaces: { id: Hex; name: string; rule: string }[];
  values: { namespace: Hex; value: number; name: string }[];
}

export function readPolicy(db: Reader, id: bigint): Promise<{ version: Version; row: PolicyData }> {
  const p = sql`(SELECT * FROM ${policy} WHERE id = ${id}) p`;
  return selectWithVersion<PolicyData>(
    db,
    sql`(SELECT ${policyJson} FROM ${p}) AS policy,
       (SELECT coalesce(json_agg(json_build_object('id', n.id, 'name', n.name, 'rule', n.rule)), '[]')
         FROM ${namespace} n, ${p} WHERE n.id IN ${requiredNamespaces}) AS namespaces,
       (SELECT coalesce(json_agg(json_build_object('namespace', nv.namespace, 'value', nv.value, 'name', nv.name)), '[]')
         FROM ${namespaceValue} nv, ${p} WHERE nv.namespace IN ${requiredNamespaces}) AS values`,
  );
}

// ---------------------------------------------------------------- /contents/policies

export interface ContentPolicyJson {
  contentId: Hex;
  policyId: string;
}

/** The policies of up to 1,000 contents: the ids are one JSON parameter, so the statement's text never varies. */
export function readContentPolicies(db: Reader, contentIds: readonly Hex[]): Promise<{ version: Version; row: { contents: ContentPolicyJson[] } }> {
  return selectWithVersion(
    db,
    sql`(SELECT coalesce(json_agg(json_build_object('contentId', c.content_id, 'policyId', c.policy_id::text)), '[]')
         FROM ${content} c WHERE c.content_id IN (SELECT json_array_elements_text(${JSON.stringify(contentIds)}::json))) AS contents`,
  );
}

export interface AccessData {
  policy: PolicyJson | null;
  /** Whether the content exists (its policy may in principle be missing). */
  found: boolean;
  policyId: string | null;
  rules: { id: Hex; ruleCode: number }[];
  grants: { namespace: Hex; value: number; expiresAt: string; active: boolean }[];
}

export function readAccess(db: Reader, contentId: Hex, account: Address): Promise<{ version: Version; row: AccessData }> {
  const p = sql`(SELECT pp.* FROM ${policy} pp JOIN ${content} c ON c.policy_id = pp.id WHERE c.content_id = ${contentId}) p`;
  return selectWithVersion<AccessData>(
    db,
    sql`EXISTS (SELECT 1 FROM ${content} WHERE content_id = ${contentId}) AS found,
       (SELECT policy_id::text FROM ${content} WHERE content_id = ${contentId}) AS "policyId",
       (SELECT ${policyJson} FROM ${p}) AS policy,
       (SELECT coalesce(json_agg(json_build_object('id', n.id, 'ruleCode', n.rule_code)), '[]')
         FROM ${namespace} n, ${p} WHERE n.id IN ${requiredNamespaces}) AS rules,
       (SELECT coalesce(json_agg(json_build_object('namespace', g.namespace, 'value', g.value,
           'expiresAt', g.expires_at::text, 'active', g.active)), '[]')
         FROM ${attributeGrant} g, ${p} WHERE g.account = ${account} AND g.namespace IN ${requiredNamespaces}) AS grants`,
  );
}

// ---------------------------------------------------------------- /audit

export interface AuditFilter {
  contentId?: Hex;
  requester?: Address;
  validator?: Address;
  /** Inclusive bounds on the recording block's timestamp. */
  from?: bigint;
  to?: bigint;
  /** Only records strictly older than this position. */
  before?: AuditPosition;
  limit: number;
}

export interface AuditRecordJson {
  contentId: Hex;
  cid: string | null;
  requester: Hex;
  validator: Hex;
  requestDigest: Hex;
  servedAt: string;
  batchId: string;
  blockNumber: number;
  logIndex: number;
  /** Position in its batch (the batch is one event, at logIndex). */
  recordIndex: number;
  blockTimestamp: number;
  txHash: Hex;
}

/** Block timestamps fit int8; larger bounds are clamped so the comparison stays in range. */
const INT8_MAX = (1n << 63n) - 1n;

export function readAudit(db: Reader, q: AuditFilter): Promise<{ version: Version; row: { records: AuditRecordJson[] } }> {
  const clamp = (t: bigint) => (t > INT8_MAX ? INT8_MAX : t);
  // Conditions on a batch, which its indexes answer, then on each record of the batches found.
  const batch: Fragment[] = [sql`TRUE`];
  const record: Fragment[] = [sql`TRUE`];
  if (q.contentId) {
    batch.push(sql`b.content_ids @> ARRAY[${q.contentId}]::text[]`);
    record.push(recordFieldIs("s", 1, q.contentId));
  }
  if (q.requester) {
    batch.push(sql`b.requesters @> ARRAY[${q.requester}]::text[]`);
    record.push(recordFieldIs("s", 33, q.requester));
  }
  if (q.validator) batch.push(sql`b.validator = ${q.validator}`);
  if (q.from !== undefined) batch.push(sql`b.block_timestamp >= ${clamp(q.from)}`);
  if (q.to !== undefined) batch.push(sql`b.block_timestamp <= ${clamp(q.to)}`);
  if (q.before) {
    const { blockNumber, logIndex, recordIndex } = q.before;
    batch.push(sql`(b.block_number, b.log_index) <= (${blockNumber}, ${logIndex})`);
    record.push(sql`(s.block_number, s.log_index, s.i) < (${blockNumber}, ${logIndex}, ${recordIndex})`);
  }
  const and = (conditions: Fragment[]) => sql.join(conditions, sql` AND `);
  // The batches found, newest first, before any is unpacked: a GIN (cid, requester) or time
  // index gives them unordered, and unordered batches made the planner unpack every record of
  // every one of them to sort the page (20,000 records for a content in every batch; 29 ms on
  // PGlite). Ordered, an incremental sort stops after the batches the page needs (1.4 ms).
  const batches = sql`(SELECT * FROM ${rewrapBatch} b WHERE ${and(batch)} ORDER BY b.block_number DESC, b.log_index DESC)`;
  // One more than asked for: its presence says another page exists. The page is chosen on the
  // records' bytes; only its own records are unpacked into columns.
  return selectWithVersion<{ records: AuditRecordJson[] }>(
    db,
    sql`(SELECT coalesce(json_agg(json_build_object('contentId', r.content_id, 'cid', c.cid, 'requester', r.requester,
           'validator', r.validator, 'requestDigest', r.request_digest, 'servedAt', r.served_at::text,
           'batchId', r.batch_id::text, 'blockNumber', r.block_number, 'logIndex', r.log_index, 'recordIndex', r.record_index,
           'blockTimestamp', r.block_timestamp, 'txHash', r.tx_hash) ORDER BY r.block_number DESC, r.log_index DESC, r.record_index DESC), '[]')
         FROM (SELECT ${recordColumns("p")}
               FROM (SELECT * FROM ${pageRecords(batches, sql`TRUE`)} s WHERE ${and(record)}
                     ORDER BY s.block_number DESC, s.log_index DESC, s.i DESC LIMIT ${q.limit + 1}) p) r
         LEFT JOIN ${content} c ON c.content_id = r.content_id) AS records`,
  );
}
