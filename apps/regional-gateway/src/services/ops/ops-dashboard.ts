import { complianceEvents, cryptoShredRequests, customerKeys, dataSubjectRequests, objectMetadata } from "@s3gw/schema-regional";
import { and, count, desc, gt, gte, inArray, isNull, lt, ne, sql } from "drizzle-orm";
import type { Deps, RegionalDb } from "../../env.ts";
import type { WindowSummary } from "./request-stats.ts";

const DAY_MS = 86_400_000;
/** GDPR requests due within this many days count as near their deadline. */
export const GDPR_DUE_SOON_DAYS = 7;

export interface CustomerUsageRow { customer_id: string; objects: number; bytes: number }

export interface RegionalDashboard {
  service: "regional-gateway";
  region: { region_id: string; name: string; jurisdiction: string };
  generated_at: string;
  health: {
    status: "healthy" | "unhealthy";
    database: "ok" | "down";
    storage: { status: "ok" | "down"; provider_id: string; type: string; country: string };
    audit_queue_depth: number;
  };
  requests: { last_5m: WindowSummary; last_60m: WindowSummary };
  /** Null while the database is down. */
  storage: {
    customers: CustomerUsageRow[];
    customers_shown: number;
    total_customers: number;
    total_objects: number;
    total_bytes: number;
  } | null;
  /** Null while the database is down. */
  compliance: {
    open_violations: { total: number; critical: number; high: number; medium: number };
    gdpr_requests: { pending: number; overdue: number; due_soon: number; due_soon_days: number };
    legal_holds: number;
    retained_objects: number;
    /** Customer keys (KEKs) by state, and crypto-shred requests waiting out their delay. */
    keys: { enabled: number; disabled: number; pending_deletion: number; destroyed: number; shreds_pending: number };
  } | null;
}

/** The region's state for operators: traffic from memory, everything else from the region's rows. */
export async function buildDashboard(deps: Deps, opts: { top: number }): Promise<RegionalDashboard> {
  const now = deps.clock.now();
  const [dbOk, storage] = await Promise.all([deps.ping().catch(() => false), deps.storage.health().catch(() => ({ ok: false }))]);
  const region = deps.config.region;
  const rows = dbOk ? await regionRows(deps.db, now, opts.top) : null;
  return {
    service: "regional-gateway",
    region: { region_id: region.region_id, name: region.name, jurisdiction: region.country },
    generated_at: now.toISOString(),
    health: {
      status: dbOk && storage.ok ? "healthy" : "unhealthy",
      database: dbOk ? "ok" : "down",
      storage: { status: storage.ok ? "ok" : "down", provider_id: deps.storage.location.providerId, type: deps.storage.type, country: deps.storage.location.country },
      audit_queue_depth: deps.audit.queueDepth(),
    },
    requests: { last_5m: deps.stats.window(now, 5), last_60m: deps.stats.window(now, 60) },
    storage: rows?.storage ?? null,
    compliance: rows?.compliance ?? null,
  };
}

async function regionRows(db: RegionalDb, now: Date, top: number) {
  const bytes = sql<number>`coalesce(sum(${objectMetadata.sizeBytes}), 0)`.mapWith(Number);
  const dueSoon = new Date(now.getTime() + GDPR_DUE_SOON_DAYS * DAY_MS);
  const [perCustomer, [totals], violations, [gdpr], keyStates, [shreds]] = await Promise.all([
    db
      .select({ customer_id: objectMetadata.customerId, objects: count(), bytes })
      .from(objectMetadata)
      .groupBy(objectMetadata.customerId)
      .orderBy(desc(bytes), objectMetadata.customerId)
      .limit(top),
    db
      .select({
        customers: sql<number>`count(distinct ${objectMetadata.customerId})`.mapWith(Number),
        objects: count(),
        bytes,
        held: sql<number>`count(*) filter (where ${objectMetadata.legalHold})`.mapWith(Number),
        retained: sql<number>`count(*) filter (where ${gt(objectMetadata.retentionUntil, now)})`.mapWith(Number),
      })
      .from(objectMetadata),
    db
      .select({ severity: complianceEvents.severity, n: count() })
      .from(complianceEvents)
      .where(and(isNull(complianceEvents.resolvedAt), ne(complianceEvents.severity, "low")))
      .groupBy(complianceEvents.severity),
    db
      .select({
        pending: count(),
        overdue: sql<number>`count(*) filter (where ${lt(dataSubjectRequests.responseDeadline, now)})`.mapWith(Number),
        dueSoon: sql<number>`count(*) filter (where ${and(gte(dataSubjectRequests.responseDeadline, now), lt(dataSubjectRequests.responseDeadline, dueSoon))})`.mapWith(Number),
      })
      .from(dataSubjectRequests)
      .where(inArray(dataSubjectRequests.status, ["pending", "in_progress"])),
    db.select({ state: customerKeys.state, n: count() }).from(customerKeys).groupBy(customerKeys.state),
    db.select({ n: count() }).from(cryptoShredRequests).where(sql`${cryptoShredRequests.status} = 'pending'`),
  ]);
  const keysIn = (state: string) => keyStates.find((k) => k.state === state)?.n ?? 0;
  const bySeverity = (s: string) => violations.find((v) => v.severity === s)?.n ?? 0;
  return {
    storage: {
      customers: perCustomer,
      customers_shown: perCustomer.length,
      total_customers: totals?.customers ?? 0,
      total_objects: totals?.objects ?? 0,
      total_bytes: totals?.bytes ?? 0,
    },
    compliance: {
      open_violations: {
        total: violations.reduce((n, v) => n + v.n, 0),
        critical: bySeverity("critical"),
        high: bySeverity("high"),
        medium: bySeverity("medium"),
      },
      gdpr_requests: { pending: gdpr?.pending ?? 0, overdue: gdpr?.overdue ?? 0, due_soon: gdpr?.dueSoon ?? 0, due_soon_days: GDPR_DUE_SOON_DAYS },
      legal_holds: totals?.held ?? 0,
      retained_objects: totals?.retained ?? 0,
      keys: { enabled: keysIn("Enabled"), disabled: keysIn("Disabled"), pending_deletion: keysIn("PendingDeletion"), destroyed: keysIn("Destroyed"), shreds_pending: shreds?.n ?? 0 },
    },
  };
}
