import { sql, type SQL } from "drizzle-orm";
import type { Deps, RegionalDb } from "../../env.ts";
import type { LocalKeyProvider } from "./local-key-provider.ts";

/** Rows per SELECT and at most this many batches per table per pass, so one pass stays bounded. */
export const REWRAP_BATCH = 200;
const MAX_BATCHES_PER_PASS = 50;

/** The tables whose rows carry a blob's own wrapped data key, and where each finds its customer. */
const TABLES: { name: string; from: SQL; customer: SQL }[] = [
  { name: "object_metadata", from: sql.raw("object_metadata t"), customer: sql.raw("t.customer_id") },
  { name: "object_parts", from: sql.raw("object_parts t"), customer: sql.raw("t.customer_id") },
  { name: "multipart_parts", from: sql.raw("multipart_parts t join multipart_uploads u on u.upload_id = t.upload_id"), customer: sql.raw("u.customer_id") },
];

interface StaleRow { storage_key: string; customer_id: string; key_id: string; key_version: number; wrapped: string }

function rowsOf<T>(res: unknown): T[] {
  return (Array.isArray(res) ? res : (res as { rows: unknown[] }).rows) as T[];
}

/** Data keys wrapped by an older version than their (Enabled) key's current one, after `after` in storage-key order. */
async function staleBatch(db: RegionalDb, t: (typeof TABLES)[number], after: string): Promise<StaleRow[]> {
  const res = await db.execute(sql`
    select t.storage_key, ${t.customer} as customer_id, t.encryption->>'keyId' as key_id,
           (t.encryption->'dataKey'->>'keyVersion')::int as key_version, t.encryption->'dataKey'->>'wrapped' as wrapped
    from ${t.from}
    join customer_keys k on k.key_id = t.encryption->>'keyId' and k.customer_id = ${t.customer}
    where t.encryption->'dataKey' is not null and k.state = 'Enabled'
      and (t.encryption->'dataKey'->>'keyVersion')::int < k.current_version
      and t.storage_key > ${after}
    order by t.storage_key
    limit ${REWRAP_BATCH}`);
  return rowsOf<StaleRow>(res);
}

/**
 * One pass of the re-wrap after rotation: each stale data key is unwrapped with its old version
 * and wrapped with the current one; the blob's bytes are untouched (the data key is the same).
 * A row is swapped only if its wrapped key is still the one read, so a concurrent write wins.
 * Rows that do not unwrap (altered, or SSE-C layering this job cannot see into) are skipped.
 */
export async function rewrapPass(deps: Pick<Deps, "db" | "logger">, keys: LocalKeyProvider): Promise<{ rewrapped: number; skipped: number }> {
  let rewrapped = 0;
  let skipped = 0;
  for (const t of TABLES) {
    let after = "";
    for (let batch = 0; batch < MAX_BATCHES_PER_PASS; batch++) {
      const rows = await staleBatch(deps.db, t, after);
      for (const r of rows) {
        const next = await keys.rewrap(r.customer_id, r.key_id, { keyVersion: Number(r.key_version), wrapped: r.wrapped }).catch(() => undefined);
        if (!next) {
          skipped++;
          continue;
        }
        const res = await deps.db.execute(sql`
          update ${sql.raw(t.name)} set encryption = jsonb_set(encryption, '{dataKey}',
            (encryption->'dataKey') || jsonb_build_object('keyVersion', ${next.keyVersion}::int, 'wrapped', ${next.wrapped}::text))
          where storage_key = ${r.storage_key} and encryption->'dataKey'->>'wrapped' = ${r.wrapped}
          returning storage_key`);
        if (rowsOf(res).length > 0) rewrapped++;
      }
      if (rows.length < REWRAP_BATCH) break;
      after = rows.at(-1)!.storage_key;
    }
  }
  if (rewrapped || skipped) deps.logger.info({ rewrapped, skipped }, "re-wrapped data keys under their keys' current versions");
  return { rewrapped, skipped };
}
