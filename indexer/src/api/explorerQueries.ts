// The reads behind the REST endpoints the audit explorer added (docs/explorer.md): audit
// batches, one validator's history, and rewraps over time. Like queries.ts, each is one SQL
// statement selecting the version columns next to its data as JSON.
import { content, holding, rewrapBatch, stakeChange, validator, validatorStatusChange, weightChange } from "ponder:schema";
import { sql } from "ponder";
import type { Address, Hex } from "viem";
import type { AuditPosition } from "../../lib/cursor.js";
import { selectWithVersion, type Reader, type Version } from "./version.js";

type Fragment = ReturnType<typeof sql>;

/** Most holdings a validator's answer lists (newest first); `holdingCount` counts them all. */
export const VALIDATOR_HOLDINGS = 100;
/** Most stake and status changes a validator's answer lists (newest first). */
export const VALIDATOR_HISTORY = 500;

const batchJson = sql.raw(`json_build_object('validator', b.validator, 'batchId', b.batch_id::text, 'count', b.count,
  'blockNumber', b.block_number, 'logIndex', b.log_index, 'blockTimestamp', b.block_timestamp, 'txHash', b.tx_hash)`);

export interface BatchJson {
  validator: Hex;
  batchId: string;
  count: number;
  blockNumber: number;
  logIndex: number;
  blockTimestamp: number;
  txHash: Hex;
}

// ---------------------------------------------------------------- /audit/batches

export interface BatchFilter {
  validator?: Address;
  /** Only batches strictly older than this position (a record cursor: batches before its batch). */
  before?: AuditPosition;
  limit: number;
}

export function readBatches(db: Reader, q: BatchFilter): Promise<{ version: Version; row: { batches: BatchJson[] } }> {
  const where: Fragment[] = [sql`TRUE`];
  if (q.validator) where.push(sql`b.validator = ${q.validator}`);
  if (q.before) where.push(sql`(b.block_number, b.log_index) < (${q.before.blockNumber}, ${q.before.logIndex})`);
  return selectWithVersion(
    db,
    sql`(SELECT coalesce(json_agg(${batchJson} ORDER BY b.block_number DESC, b.log_index DESC), '[]')
         FROM (SELECT * FROM ${rewrapBatch} b WHERE ${sql.join(where, sql` AND `)}
               ORDER BY b.block_number DESC, b.log_index DESC LIMIT ${q.limit + 1}) b) AS batches`,
  );
}

// ---------------------------------------------------------------- /audit/batches/:validator/:batchId

export interface BatchData {
  batch: (BatchJson & { records: Hex }) | null;
  /** CID text of each content the batch names, where it is registered with a valid CID. */
  cids: Record<Hex, string> | null;
}

export function readBatch(db: Reader, node: Address, batchId: bigint): Promise<{ version: Version; row: BatchData }> {
  const b = sql`(SELECT * FROM ${rewrapBatch} WHERE validator = ${node} AND batch_id = ${batchId}) b`;
  return selectWithVersion(
    db,
    sql`(SELECT ${batchJson}::jsonb || jsonb_build_object('records', '0x' || encode(b.records, 'hex')) FROM ${b}) AS batch,
       (SELECT json_object_agg(c.content_id, c.cid) FROM ${content} c, ${b}
         WHERE c.content_id = ANY(b.content_ids) AND c.cid IS NOT NULL) AS cids`,
  );
}

// ---------------------------------------------------------------- /validators/:node

export interface ValidatorData {
  validator: {
    node: Hex;
    operator: Hex;
    status: string;
    revoked: boolean;
    stake: string;
    weight: string;
    slashedTotal: string;
    unbondingEndsAt: string;
    endpoint: string;
    peerId: string;
    multiaddrs: string[];
    kid: Hex;
    auditBatches: string;
    registeredBlock: number;
    registeredAt: number;
    activatedAt: number | null;
  } | null;
  stakeChanges: { kind: string; amount: string; stakeAfter: string; reason: Hex | null; blockNumber: number; blockTimestamp: number; txHash: Hex }[];
  statusChanges: { cause: string; fromStatus: string | null; toStatus: string; blockNumber: number; blockTimestamp: number; txHash: Hex }[];
  weightChanges: { weight: string; blockNumber: number; blockTimestamp: number }[];
  holdingCount: number;
  holdings: { contentId: Hex; cid: string | null; firstConfirmedBlock: number; firstConfirmedAt: number; confirmations: number }[];
  rewrapsServed: number;
}

export function readValidator(db: Reader, node: Address): Promise<{ version: Version; row: ValidatorData }> {
  return selectWithVersion(
    db,
    sql`(SELECT json_build_object('node', v.node, 'operator', v.operator, 'status', v.status, 'revoked', v.revoked,
           'stake', v.stake::text, 'weight', v.weight::text, 'slashedTotal', v.slashed_total::text,
           'unbondingEndsAt', v.unbonding_ends_at::text, 'endpoint', v.endpoint, 'peerId', v.peer_id,
           'multiaddrs', v.multiaddrs, 'kid', v.current_kid, 'auditBatches', v.audit_batches::text,
           'registeredBlock', v.registered_block, 'registeredAt', v.registered_at, 'activatedAt', v.activated_at)
         FROM ${validator} v WHERE v.node = ${node}) AS validator,
       (SELECT coalesce(json_agg(json_build_object('kind', s.kind, 'amount', s.amount::text, 'stakeAfter', s.stake_after::text,
           'reason', s.reason, 'blockNumber', s.block_number, 'blockTimestamp', s.block_timestamp, 'txHash', s.tx_hash)
           ORDER BY s.block_number DESC, s.log_index DESC), '[]')
         FROM (SELECT * FROM ${stakeChange} WHERE node = ${node}
               ORDER BY block_number DESC, log_index DESC LIMIT ${VALIDATOR_HISTORY}) s) AS "stakeChanges",
       (SELECT coalesce(json_agg(json_build_object('cause', s.cause, 'fromStatus', s.from_status, 'toStatus', s.to_status,
           'blockNumber', s.block_number, 'blockTimestamp', s.block_timestamp, 'txHash', s.tx_hash)
           ORDER BY s.block_number DESC, s.log_index DESC), '[]')
         FROM (SELECT * FROM ${validatorStatusChange} WHERE node = ${node}
               ORDER BY block_number DESC, log_index DESC LIMIT ${VALIDATOR_HISTORY}) s) AS "statusChanges",
       (SELECT coalesce(json_agg(json_build_object('weight', w.weight::text, 'blockNumber', w.block_number, 'blockTimestamp', w.block_timestamp)
           ORDER BY w.block_number DESC, w.log_index DESC), '[]')
         FROM (SELECT * FROM ${weightChange} WHERE node = ${node}
               ORDER BY block_number DESC, log_index DESC LIMIT ${VALIDATOR_HISTORY}) w) AS "weightChanges",
       (SELECT count(*)::int FROM ${holding} WHERE validator = ${node}) AS "holdingCount",
       (SELECT coalesce(json_agg(json_build_object('contentId', h.content_id, 'cid', c.cid,
           'firstConfirmedBlock', h.first_confirmed_block, 'firstConfirmedAt', h.first_confirmed_at,
           'confirmations', h.confirmations) ORDER BY h.first_confirmed_block DESC, h.content_id), '[]')
         FROM (SELECT * FROM ${holding} WHERE validator = ${node}
               ORDER BY first_confirmed_block DESC, content_id LIMIT ${VALIDATOR_HOLDINGS}) h
         LEFT JOIN ${content} c ON c.content_id = h.content_id) AS holdings,
       (SELECT coalesce(sum(b.count), 0)::int FROM ${rewrapBatch} b WHERE b.validator = ${node}) AS "rewrapsServed"`,
  );
}

// ---------------------------------------------------------------- /audit/series

export interface SeriesQuery {
  contentId?: Hex;
  validator?: Address;
  /** Inclusive bounds on the recording block's timestamp; `step` seconds per bucket. */
  from: bigint;
  to: bigint;
  step: bigint;
}

export interface SeriesData {
  /** Per validator and bucket (bucket i covers [from + i·step, from + (i+1)·step)), the records counted. */
  points: { validator: Hex; bucket: number; rewraps: number }[];
}

/**
 * Rewraps over time per validator, from the batches' time index without unpacking a record: a
 * batch's `count` is its rewraps, and `content_counts` its rewraps of each content it names.
 */
export function readSeries(db: Reader, q: SeriesQuery): Promise<{ version: Version; row: SeriesData }> {
  const where: Fragment[] = [sql`b.block_timestamp >= ${q.from}`, sql`b.block_timestamp <= ${q.to}`];
  if (q.validator) where.push(sql`b.validator = ${q.validator}`);
  if (q.contentId) where.push(sql`b.content_ids @> ARRAY[${q.contentId}]::text[]`);
  const rewraps = q.contentId ? sql`b.content_counts[array_position(b.content_ids, ${q.contentId}::text)]` : sql`b.count`;
  const counted = sql`(SELECT b.validator, ((b.block_timestamp - ${q.from}) / ${q.step})::int AS bucket, sum(${rewraps})::int AS rewraps
    FROM ${rewrapBatch} b WHERE ${sql.join(where, sql` AND `)} GROUP BY 1, 2)`;
  return selectWithVersion(
    db,
    sql`(SELECT coalesce(json_agg(json_build_object('validator', p.validator, 'bucket', p.bucket, 'rewraps', p.rewraps)
           ORDER BY p.validator, p.bucket), '[]') FROM ${counted} p) AS points`,
  );
}
