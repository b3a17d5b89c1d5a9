// The reads behind the REST endpoints, each one indexed query (see ponder.schema.ts), run
// inside a snapshot (version.ts) through its reader.
import {
  attributeGrant,
  content,
  holding,
  kasKey,
  namespace,
  namespaceValue,
  policy,
  replicaSlot,
  validator,
} from "ponder:schema";
import { and, asc, eq, inArray, ne } from "ponder";
import type { Address, Hex } from "viem";
import type { Reader } from "./version.js";

export type ContentRow = typeof content.$inferSelect;
export type PolicyRow = typeof policy.$inferSelect;
export type ValidatorRow = typeof validator.$inferSelect;

export async function findContent(db: Reader, contentId: Hex): Promise<ContentRow | undefined> {
  const rows = await db.select().from(content).where(eq(content.contentId, contentId)).limit(1);
  return rows[0];
}

export async function findPolicy(db: Reader, id: bigint): Promise<PolicyRow | undefined> {
  const rows = await db.select().from(policy).where(eq(policy.id, id)).limit(1);
  return rows[0];
}

/** The active set, ordered by node address. */
export async function activeValidators(db: Reader): Promise<ValidatorRow[]> {
  return db.select().from(validator).where(eq(validator.status, "active")).orderBy(asc(validator.node));
}

/** The non-revoked KAS keys of `nodes` (current and rotated). */
export async function liveKasKeys(db: Reader, nodes: readonly Hex[]) {
  if (nodes.length === 0) return [];
  return db
    .select()
    .from(kasKey)
    .where(and(inArray(kasKey.node, [...nodes]), ne(kasKey.status, "revoked")))
    .orderBy(asc(kasKey.node), asc(kasKey.addedBlock));
}

export async function replicaSlots(db: Reader, contentId: Hex) {
  return db.select().from(replicaSlot).where(eq(replicaSlot.contentId, contentId)).orderBy(asc(replicaSlot.slot));
}

export async function holdings(db: Reader, contentId: Hex) {
  return db.select().from(holding).where(eq(holding.contentId, contentId));
}

export async function namespacesById(db: Reader, ids: readonly Hex[]) {
  if (ids.length === 0) return [];
  return db.select().from(namespace).where(inArray(namespace.id, [...ids]));
}

export async function valueNames(db: Reader, ids: readonly Hex[]) {
  if (ids.length === 0) return [];
  return db.select().from(namespaceValue).where(inArray(namespaceValue.namespace, [...ids]));
}

/** The account's grants in `namespaces` (live or not: expiry is judged at the decision time). */
export async function grantsOf(db: Reader, account: Address, namespaces: readonly Hex[]) {
  if (namespaces.length === 0) return [];
  return db
    .select()
    .from(attributeGrant)
    .where(and(eq(attributeGrant.account, account), inArray(attributeGrant.namespace, [...namespaces])));
}
