/**
 * The validator node's durable, encrypted store: DEKs, KAS keys, the audit outbox and replay
 * nonces (docs/architecture.md#the-validator-node). See docs/store.md.
 */
export { DekStore, type DekStoreOptions, type StoreStats } from "./store.js";
export { StoreError, type StoreErrorCode } from "./errors.js";
export type { FsyncFn, WalSyncStats } from "./walSync.js";
export type { BytesLike, Hex } from "./codec.js";
export type { Confirmation, DekInfo, DekMeta, DekSource, ListUnconfirmedOptions, ReplicationMode } from "./deks.js";
export type { KasKeyInfo } from "./kasKeys.js";
export type { ShareInfo } from "./shares.js";
export type { AuditBatch, AuditBatchState, AuditRecord, AuditRecordInput, ReconcileResult } from "./audit.js";

