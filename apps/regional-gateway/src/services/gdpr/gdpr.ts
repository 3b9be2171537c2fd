import { and, desc, eq, inArray, lt, or, sql, type SQL } from "drizzle-orm";
import {
  apiError,
  CUSTOMER_ID_RE,
  GDPR_REQUEST_TYPES,
  GDPR_STATUSES,
  gdprDeadlineState,
  gdprResponseDeadline,
  OPEN_GDPR_STATUSES,
} from "@s3gw/core";
import { dataSubjectRequests } from "@s3gw/schema-regional";
import { z } from "zod";
import type { RegionalDb } from "../../env.ts";
import type { Customer } from "../access/customers.ts";
import { publishDsrEvent } from "./gdpr-events.ts";

export type DsrRow = typeof dataSubjectRequests.$inferSelect;
export type Tx = Parameters<Parameters<RegionalDb["transaction"]>[0]>[0];

const customerId = z.string().regex(CUSTOMER_ID_RE, "malformed customer id");

export const createDsrSchema = z.strictObject({
  customer_id: customerId,
  data_subject_id: z.string().min(1).max(256),
  request_type: z.enum(GDPR_REQUEST_TYPES),
  notes: z.string().max(10_000).optional(),
});

export const listDsrSchema = z.strictObject({
  customer_id: customerId.optional(),
  status: z.enum(GDPR_STATUSES).optional(),
  overdue: z.enum(["true", "false"]).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(200).optional(),
});

export const requestIdSchema = z.uuid("request id must be a UUID");

export function dsrView(row: DsrRow, now: Date) {
  const state = gdprDeadlineState(row.status, row.responseDeadline, now);
  return {
    request_id: row.requestId,
    customer_id: row.customerId,
    data_subject_id: row.dataSubjectId,
    request_type: row.requestType,
    status: row.status,
    received_at: row.receivedAt.toISOString(),
    response_deadline: row.responseDeadline.toISOString(),
    deadline_state: state,
    overdue: state === "overdue",
    affected_objects: row.affectedObjects,
    result: row.result ?? null,
    notes: row.notes,
    requested_by: row.requestedBy,
    updated_at: row.updatedAt.toISOString(),
    completed_at: row.completedAt?.toISOString() ?? null,
  };
}

export async function createDsr(db: RegionalDb, customer: Customer, input: z.infer<typeof createDsrSchema>, requestedBy: string, now: Date): Promise<DsrRow> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(dataSubjectRequests)
      .values({
        customerId: customer.customerId,
        dataSubjectId: input.data_subject_id,
        requestType: input.request_type,
        status: "pending",
        receivedAt: now,
        responseDeadline: gdprResponseDeadline(now),
        notes: input.notes ? noteLine(now, requestedBy, input.notes) : null,
        requestedBy,
        updatedAt: now,
      })
      .returning();
    await publishDsrEvent(tx, "gdpr.request.created", row!, now);
    return row!;
  });
}

/** A request the caller may see: another customer's request answers 404, as an unknown id does. */
export async function findDsr(db: RegionalDb, id: string, scope: string | undefined): Promise<DsrRow> {
  const [row] = await db.select().from(dataSubjectRequests).where(eq(dataSubjectRequests.requestId, id)).limit(1);
  if (!row || (scope !== undefined && row.customerId !== scope)) throw apiError.notFound(`no data-subject request ${id}`);
  return row;
}

// Keyset on millisecond-truncated receipt time: rows may carry microseconds a JS Date cannot hold.
const receivedMs = sql`date_trunc('milliseconds', ${dataSubjectRequests.receivedAt})`;

function decodeCursor(raw: string): { t: Date; id: string } {
  try {
    const v = JSON.parse(Buffer.from(raw, "base64url").toString("utf8")) as { t: string; id: string };
    const t = new Date(v.t);
    if (Number.isNaN(t.getTime()) || !requestIdSchema.safeParse(v.id).success) throw new Error("bad cursor");
    return { t, id: v.id };
  } catch {
    throw apiError.badRequest("malformed cursor");
  }
}

/** Newest first. `overdue=true`: open requests past their deadline; `false`: all the others. */
export async function listDsrs(db: RegionalDb, q: z.infer<typeof listDsrSchema>, now: Date) {
  const conds: SQL[] = [];
  if (q.customer_id) conds.push(eq(dataSubjectRequests.customerId, q.customer_id));
  if (q.status) conds.push(eq(dataSubjectRequests.status, q.status));
  const overdue = and(inArray(dataSubjectRequests.status, [...OPEN_GDPR_STATUSES]), lt(dataSubjectRequests.responseDeadline, now))!;
  if (q.overdue === "true") conds.push(overdue);
  if (q.overdue === "false") conds.push(sql`not (${overdue})`);
  if (q.cursor) {
    const c = decodeCursor(q.cursor);
    const t = sql`${c.t.toISOString()}::timestamptz`;
    conds.push(or(sql`${receivedMs} < ${t}`, and(sql`${receivedMs} = ${t}`, lt(dataSubjectRequests.requestId, c.id)))!);
  }
  const rows = await db
    .select()
    .from(dataSubjectRequests)
    .where(and(...conds))
    .orderBy(desc(receivedMs), desc(dataSubjectRequests.requestId))
    .limit(q.limit + 1);
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  const next = rows.length > q.limit && last ? Buffer.from(JSON.stringify({ t: last.receivedAt.toISOString(), id: last.requestId })).toString("base64url") : null;
  return { items: page.map((r) => dsrView(r, now)), next_cursor: next };
}

/** Notes accumulate, each line stamped with when and by whom, so the request keeps its own history. */
export function noteLine(now: Date, by: string, note: string): string {
  return `[${now.toISOString()} ${by}] ${note}`;
}

export function appendNote(existing: string | null, line: string | undefined): string | null {
  if (!line) return existing;
  return existing ? `${existing}\n${line}` : line;
}

export { raiseDeadlineAlerts, startGdprDeadlineTimer } from "./gdpr-deadlines.ts";
