import { auditCheckpoints, operationsLog } from "@s3gw/schema-regional";
import { and, asc, count, desc, eq, gte, lte, max, min, type SQL } from "drizzle-orm";
import type { RegionalDb } from "../../env.ts";
import { checkpointView } from "./audit-checkpoints.ts";

export type ExportRange = { fromId?: number | undefined; toId?: number | undefined } | { from: Date; to: Date };

/**
 * The id range to export. A time range becomes the ids from the first row at or after `from`
 * to the last at or before `to`, exported contiguously: a chain can only be checked without gaps.
 */
export async function exportIdRange(db: RegionalDb, range: ExportRange): Promise<{ fromId: number; toId: number } | undefined> {
  const l = operationsLog;
  if ("from" in range) {
    const [r] = await db.select({ lo: min(l.id), hi: max(l.id) }).from(l).where(and(gte(l.createdAt, range.from), lte(l.createdAt, range.to)));
    return r?.lo == null || r.hi == null ? undefined : { fromId: Number(r.lo), toId: Number(r.hi) };
  }
  return { fromId: range.fromId ?? 1, toId: range.toId ?? Number.MAX_SAFE_INTEGER };
}

/** One row as exported: every column under its column name, hashes included. */
export function exportedRow(r: typeof operationsLog.$inferSelect) {
  return {
    type: "row",
    id: r.id,
    request_id: r.requestId,
    customer_id: r.customerId,
    operation_type: r.operationType,
    bucket_name: r.bucketName,
    object_key: r.objectKey,
    result: r.result,
    status_code: r.statusCode,
    error_code: r.errorCode,
    bytes_transferred: r.bytesTransferred,
    source_ip: r.sourceIp,
    source_country: r.sourceCountry,
    cross_border_transfer: r.crossBorderTransfer,
    compliance_info: r.complianceInfo,
    duration_ms: r.durationMs,
    principal: r.principal,
    created_at: r.createdAt.toISOString(),
    prev_hash: r.prevHash,
    row_hash: r.rowHash,
  };
}

/**
 * JSON Lines: the rows in id order, then the checkpoints that let the range be verified
 * offline: `start` (its last_hash is the first row's prev_hash) and `end` (the newest whose
 * last_id is inside the range: rows up to it are signed), then a closing summary line.
 */
export async function* exportLines(db: RegionalDb, range: { fromId: number; toId: number }, pageSize = 1000): AsyncGenerator<string> {
  const l = operationsLog;
  let after = range.fromId - 1;
  let first: { id: number; prevHash: string } | undefined;
  let last: { id: number; rowHash: string } | undefined;
  let rows = 0;
  for (;;) {
    const page = await db.select().from(l).where(and(gte(l.id, after + 1), lte(l.id, range.toId))).orderBy(asc(l.id)).limit(pageSize);
    if (page.length === 0) break;
    for (const r of page) {
      first ??= { id: r.id, prevHash: r.prevHash };
      last = { id: r.id, rowHash: r.rowHash };
      rows++;
      yield `${JSON.stringify(exportedRow(r))}\n`;
    }
    after = page.at(-1)!.id;
  }
  const c = auditCheckpoints;
  const conds: SQL[] = [];
  if (first && last) conds.push(gte(c.lastId, first.id), lte(c.lastId, last.id));
  const [end] = first && last ? await db.select().from(c).where(and(...conds)).orderBy(desc(c.lastId), desc(c.id)).limit(1) : [];
  const [start] = first ? await db.select().from(c).where(eq(c.lastHash, first.prevHash)).orderBy(desc(c.id)).limit(1) : [];
  if (start) yield `${JSON.stringify({ type: "checkpoint", role: "start", ...checkpointView(start) })}\n`;
  if (end) yield `${JSON.stringify({ type: "checkpoint", role: "end", ...checkpointView(end) })}\n`;
  yield `${JSON.stringify({
    type: "summary",
    rows,
    first_id: first?.id ?? null,
    last_id: last?.id ?? null,
    signed_through_id: end?.lastId ?? null,
    unsigned_tail_rows: end && last ? await countIds(db, end.lastId + 1, last.id) : rows,
  })}\n`;
}

async function countIds(db: RegionalDb, fromId: number, toId: number): Promise<number> {
  const [r] = await db.select({ n: count() }).from(operationsLog).where(and(gte(operationsLog.id, fromId), lte(operationsLog.id, toId)));
  return r?.n ?? 0;
}
