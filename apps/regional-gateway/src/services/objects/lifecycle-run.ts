import { like } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";
import type { Deps } from "../../env.ts";
import type { OperationRow } from "../audit/audit.ts";
import type { AuditIntent } from "../audit/audit-intents.ts";
import type { Bucket } from "./buckets.ts";
import type { ObjectEventContext } from "../events/object-events.ts";

const DAY_MS = 86_400_000;
/** The report lists at most this many kept objects (keptTotal counts them all), so a run's memory stays bounded. */
const MAX_KEPT_LISTED = 1000;

export interface KeptObject { bucket: string; key: string; reason: string; versionId?: string }
export interface LifecycleReport {
  expired: number;
  /** Noncurrent versions removed (NoncurrentVersionExpiration). */
  noncurrentExpired: number;
  /** Delete markers removed that hid no version any more (ExpiredObjectDeleteMarker). */
  markersRemoved: number;
  kept: KeptObject[];
  keptTotal: number;
  uploadsAborted: number;
  failedBuckets: number;
}

export type WorkerDeps = Pick<Deps, "db" | "targets" | "audit" | "logger" | "cache" | "clock">;

/** One lifecycle pass: its request id (shared by its audit rows), its clock and what it did. */
export interface Run {
  requestId: string;
  now: Date;
  report: LifecycleReport;
  /** The bucket's `LifecycleExpiration:*` events, where its notification configuration asks for them. */
  events?: ObjectEventContext | undefined;
}

export const likePrefix = (column: AnyPgColumn, prefix: string) => like(column, `${prefix.replace(/[\\%_]/g, "\\$&")}%`);

/** The moment before which a rule's N days have passed; undefined when it lies before any representable date. */
export function cutoff(now: Date, days: number): Date | undefined {
  const at = new Date(now.getTime() - days * DAY_MS);
  return Number.isNaN(at.getTime()) ? undefined : at;
}

/** A change's row; `intent`: the audit intent the change wrote, which the row fulfils. */
export function auditRow(run: Run, bucket: Bucket, operationType: string, key: string, info: Record<string, unknown>, intent?: AuditIntent): OperationRow {
  return {
    intentId: intent?.id,
    requestId: run.requestId, customerId: bucket.customerId, operationType, bucketName: bucket.bucketName, objectKey: key,
    result: "success", statusCode: 204, errorCode: null, bytesTransferred: 0, sourceIp: null, sourceCountry: null,
    crossBorderTransfer: false, complianceInfo: info, durationMs: 0, principal: "lifecycle-worker", createdAt: run.now,
  };
}

export function keep(run: Run, bucket: Bucket, key: string, reason: string, versionId?: string): void {
  run.report.keptTotal++;
  if (run.report.kept.length < MAX_KEPT_LISTED) run.report.kept.push({ bucket: bucket.bucketName, key, reason, ...(versionId ? { versionId } : {}) });
}
