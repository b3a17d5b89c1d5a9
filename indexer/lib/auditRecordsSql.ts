// Audit records, unpacked in SQL. `rewrap_batch` keeps each batch's records as the
// RewrapBatchRecorded event carries them: 92 bytes each, back to back,
//
//   contentId (32) ‖ requester (20) ‖ requestDigest (32) ‖ servedAt (uint64, big endian, 8)
//
// (node/protocol/auditRecords.ts). The `rewrap` view and GET /audit both read records with these
// expressions, so the two cannot disagree on a field. Why packed and not a row per record:
// Ponder journals every row it writes (a reorg shadow row and a live-query trigger each), and at
// thousands of rewraps a second those per-row costs were the indexer's largest load and the
// validator's largest source of latency on a shared machine (docs/indexer.md, docs/http.md).
import { sql } from "ponder";
import { AUDIT_RECORD_BYTES } from "../../node/protocol/auditRecords.js";

type SQL = ReturnType<typeof sql>;

const RECORD_BYTES = sql.raw(String(AUDIT_RECORD_BYTES));

/**
 * One row per record of the batches of `batches` (alias `b`), newest first: the batch's columns,
 * `i` (the record's index in its batch) and `rec` (its 92 bytes). This is the `rewrap` view's
 * form: the record index comes from a set-returning function in the select list, not in FROM,
 * because Ponder's SQL-over-HTTP parser (which reads views to find their tables) refuses
 * functions in FROM. Each record slices the batch's stored bytes on its own.
 */
export function viewRecords(batches: SQL): SQL {
  const index = sql.raw(`generate_series(b.count - 1, 0, -1)`);
  return sql`(SELECT b.block_number, b.log_index, b.validator, b.batch_id, b.block_timestamp, b.tx_hash,
      ${index} AS i, substring(b.records from ${index} * ${RECORD_BYTES} + 1 for ${RECORD_BYTES}) AS rec
    FROM ${batches} b ORDER BY b.block_number DESC, b.log_index DESC)`;
}

/**
 * The same rows, plus `bytes` (the batch's records), for the batches `where` selects, as GET
 * /audit reads them. The batch's bytes are read whole once: the OFFSET 0 keeps the planner from
 * folding that into every record, where each slice is a TOAST lookup of its own (1.1 against
 * 0.16 µs a record on PostgreSQL). The joins keep the batches' index order, so a page unpacks
 * only the batches it reaches.
 */
export function pageRecords(batches: SQL, where: SQL): SQL {
  return sql`(SELECT b.block_number, b.log_index, b.validator, b.batch_id, b.block_timestamp, b.tx_hash,
      i, d.bytes, substring(d.bytes from i * ${RECORD_BYTES} + 1 for ${RECORD_BYTES}) AS rec
    FROM ${batches} b CROSS JOIN LATERAL (SELECT b.records || '\\x'::bytea AS bytes OFFSET 0) d
      CROSS JOIN LATERAL generate_series(b.count - 1, 0, -1) AS i
    WHERE ${where})`;
}

/** The `rewrap` view's columns (snake_case, as Ponder names them) of a `viewRecords` or `pageRecords` row `s`. */
export function recordColumns(s: string): SQL {
  const hex = (from: number, length: number) => `'0x' || encode(substring(${s}.rec from ${from} for ${length}), 'hex')`;
  // uint64 from two unsigned 32-bit halves: a bit(64) cast would read values ≥ 2^63 as negative.
  const half = (from: number) => `('x' || encode(substring(${s}.rec from ${from} for 4), 'hex'))::bit(32)::bigint`;
  return sql.raw(`${s}.block_number, ${s}.log_index, ${s}.i AS record_index,
    ${hex(1, 32)} AS content_id, ${hex(33, 20)} AS requester, ${s}.validator, ${hex(53, 32)} AS request_digest,
    (${half(85)}::numeric * 4294967296 + ${half(89)})::numeric(78, 0) AS served_at,
    ${s}.batch_id, ${s}.block_timestamp, ${s}.tx_hash`);
}

/**
 * A condition on a `pageRecords` row: its record's field at byte `from` (1-based) equals `value`
 * (0x-hex). It compares in the batch's bytes, the field's first byte alone first, so a record
 * that does not match costs one integer comparison (a cid query reads every record of the
 * batches that hold the content).
 */
export function recordFieldIs(s: string, from: number, value: string): SQL {
  const hex = value.slice(2).toLowerCase();
  const at = sql.raw(`${s}.i * ${AUDIT_RECORD_BYTES} + ${from}`);
  return sql`(get_byte(${sql.raw(`${s}.bytes`)}, ${at} - 1) = ${sql.raw(String(parseInt(hex.slice(0, 2), 16)))}
    AND substring(${sql.raw(`${s}.bytes`)} from ${at} for ${sql.raw(String(hex.length / 2))}) = decode(${hex}, 'hex'))`;
}
