import fs from "node:fs";

/**
 * Clears Ponder's schema lock in a PGlite directory whose indexer the harness has stopped.
 *
 * Ponder 0.16.10 on PGlite exits on SIGTERM before its shutdown "unlock" query runs, so
 * `_ponder_meta.is_locked` stays 1 and the next `ponder start` on the directory waits out the
 * 25-second heartbeat timeout before it resumes. The lock guards against two live indexers on
 * one database; the harness only reopens a directory after the process that held it exited,
 * so clearing it is safe and saves the wait. Returns whether a lock was cleared.
 */
export async function releaseStalePonderLock(pgliteDir: string, schema = "public"): Promise<boolean> {
  if (!fs.existsSync(pgliteDir) || fs.readdirSync(pgliteDir).length === 0) return false;
  // The PGlite build Ponder depends on: a data directory is only readable by the same version.
  const { PGlite } = await import("@electric-sql/pglite");
  const db = new PGlite(pgliteDir);
  try {
    const table = `"${schema.replaceAll('"', '""')}"."_ponder_meta"`;
    const exists = await db.query<{ t: string | null }>(`SELECT to_regclass($1) AS t`, [table]);
    if (!exists.rows[0]?.t) return false;
    const result = await db.query(
      `UPDATE ${table} SET value = jsonb_set(value, '{is_locked}', to_jsonb(0)) WHERE (value->>'is_locked')::int = 1`,
    );
    return (result.affectedRows ?? 0) > 0;
  } finally {
    await db.close();
  }
}
