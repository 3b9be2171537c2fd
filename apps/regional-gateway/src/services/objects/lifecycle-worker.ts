import { randomUUID } from "node:crypto";
import { startPeriodic } from "../ops/periodic.ts";
import { and, asc, eq, gt, lt, sql } from "drizzle-orm";
import { isAppError } from "@s3gw/core";
import { bucketLifecycle, buckets, multipartUploads, objectMetadata } from "@s3gw/schema-regional";
import type { Deps } from "../../env.ts";
import type { Bucket } from "./buckets.ts";
import type { LifecycleRule } from "./lifecycle.ts";
import { auditRow, cutoff, keep, likePrefix, type LifecycleReport, type Run, type WorkerDeps } from "./lifecycle-run.ts";
import { applyVersionRules, expireCurrentVersion } from "./lifecycle-versions.ts";
import { abortUpload } from "./multipart.ts";
import { protectionOf } from "./object-lock.ts";
import { removeBlob, type ObjectRow } from "./objects.ts";
import { objectEventContext, recordObjectEvent, systemOrigin } from "../events/object-events.ts";
import { recordIntent, workerIntent } from "../audit/audit-intents.ts";

const BUCKET_PAGE = 20;
const OBJECT_PAGE = 500;
const UPLOAD_PAGE = 100;

export type { KeptObject, LifecycleReport } from "./lifecycle-run.ts";

/** What happened to a due object: deleted (its row), or kept (why). */
type Expiry = { row: ObjectRow; reason?: undefined } | { row?: undefined; reason: string };

/**
 * Deletes one object if, under its row lock, it still matches the rule: an overwrite or a tag
 * change since the scan saves it, and a legal hold or unexpired retention always does.
 */
async function expireOne(deps: WorkerDeps, run: Run, bucket: Bucket, rule: LifecycleRule, key: string, before: Date): Promise<void> {
  // In a versioned bucket the current version becomes noncurrent behind a delete marker, as in S3.
  if (bucket.versioning !== null) return expireCurrentVersion(deps, run, bucket, rule, key, before);
  const intent = workerIntent(run.requestId, "LifecycleExpiration");
  const outcome = await deps.db.transaction(async (tx): Promise<Expiry | undefined> => {
    const [row] = await tx
      .select()
      .from(objectMetadata)
      .where(and(eq(objectMetadata.bucketId, bucket.bucketId), eq(objectMetadata.objectKey, key), eq(objectMetadata.isLatest, true)))
      .for("update");
    if (!row || row.lastModified >= before || Object.entries(rule.tags).some(([k, v]) => row.tags[k] !== v)) return undefined;
    const reason = protectionOf(row, run.now);
    if (reason) return { reason };
    await Promise.all([
      tx.delete(objectMetadata).where(eq(objectMetadata.objectId, row.objectId)),
      recordIntent(tx, intent, { customerId: bucket.customerId, bucketName: bucket.bucketName, key, versionId: undefined }),
    ]);
    await recordObjectEvent(tx, run.events, "s3:LifecycleExpiration:Delete", { key }, run.now);
    return { row };
  });
  if (!outcome) return;
  const { row, reason } = outcome;
  if (!row) return keep(run, bucket, key, reason);
  await removeBlob(deps.targets, row.customerId, row.storageProviderId, row.storageKey);
  run.report.expired++;
  await deps.audit.record(auditRow(run, bucket, "LifecycleExpiration", key, {
    rule_id: rule.id, expiration_days: rule.expirationDays, ...(rule.expirationDate ? { expiration_date: rule.expirationDate } : {}), last_modified: row.lastModified.toISOString(), size_bytes: row.sizeBytes,
  }, intent));
}

async function expireObjects(deps: WorkerDeps, run: Run, bucket: Bucket, rule: LifecycleRule, before: Date): Promise<void> {
  const conds = [eq(objectMetadata.bucketId, bucket.bucketId), eq(objectMetadata.isLatest, true), lt(objectMetadata.lastModified, before)];
  if (rule.prefix) conds.push(likePrefix(objectMetadata.objectKey, rule.prefix));
  if (Object.keys(rule.tags).length > 0) conds.push(sql`${objectMetadata.tags} @> ${JSON.stringify(rule.tags)}::jsonb`);
  let after: string | undefined;
  for (;;) {
    const page = await deps.db
      .select({ key: objectMetadata.objectKey })
      .from(objectMetadata)
      .where(and(...conds, after === undefined ? undefined : gt(objectMetadata.objectKey, after)))
      .orderBy(asc(objectMetadata.objectKey))
      .limit(OBJECT_PAGE);
    for (const { key } of page) await expireOne(deps, run, bucket, rule, key, before);
    if (page.length < OBJECT_PAGE) return;
    after = page.at(-1)!.key;
  }
}

async function abortStaleUploads(deps: WorkerDeps, run: Run, bucket: Bucket, rule: LifecycleRule, before: Date): Promise<void> {
  const conds = [eq(multipartUploads.bucketId, bucket.bucketId), lt(multipartUploads.initiatedAt, before)];
  if (rule.prefix) conds.push(likePrefix(multipartUploads.objectKey, rule.prefix));
  let after: string | undefined;
  for (;;) {
    const page = await deps.db
      .select()
      .from(multipartUploads)
      .where(and(...conds, after === undefined ? undefined : gt(multipartUploads.uploadId, after)))
      .orderBy(asc(multipartUploads.uploadId))
      .limit(UPLOAD_PAGE);
    for (const upload of page) {
      let parts: number;
      try {
        parts = await abortUpload(deps.db, await deps.targets.recorded(upload.customerId, upload.storageProviderId), upload.uploadId);
      } catch (err) {
        // Completed or aborted since the scan: nothing left to do.
        if (isAppError(err) && err.code === "NoSuchUpload") continue;
        throw err;
      }
      run.report.uploadsAborted++;
      await deps.audit.record(auditRow(run, bucket, "LifecycleAbortUpload", upload.objectKey, {
        rule_id: rule.id, abort_after_days: rule.abortIncompleteMultipartUploadDays, upload_id: upload.uploadId, parts,
        initiated_at: upload.initiatedAt.toISOString(),
      }));
    }
    if (page.length < UPLOAD_PAGE) return;
    after = page.at(-1)!.uploadId;
  }
}

/**
 * Objects last modified before this instant are due: `now` less the rule's Days, or, on and after
 * a rule's Date, every current object (written before this run); nothing before that Date.
 */
function expirationCutoff(now: Date, rule: LifecycleRule): Date | undefined {
  if (rule.expirationDate) return now.getTime() >= Date.parse(rule.expirationDate) ? now : undefined;
  return rule.expirationDays === null ? undefined : cutoff(now, rule.expirationDays);
}

async function applyRule(deps: WorkerDeps, run: Run, bucket: Bucket, rule: LifecycleRule): Promise<void> {
  const expireBefore = expirationCutoff(run.now, rule);
  if (expireBefore) await expireObjects(deps, run, bucket, rule, expireBefore);
  const abortBefore = rule.abortIncompleteMultipartUploadDays === null ? undefined : cutoff(run.now, rule.abortIncompleteMultipartUploadDays);
  if (abortBefore) await abortStaleUploads(deps, run, bucket, rule, abortBefore);
  await applyVersionRules(deps, run, bucket, rule);
}

/**
 * One pass over every bucket with lifecycle rules, as of `now`: expires objects older than a
 * rule's Expiration Days or, from its Expiration Date on, all it matches (never one under legal hold or unexpired retention: those are kept and
 * reported) and aborts multipart uploads older than its AbortIncompleteMultipartUpload days.
 * Every deletion and abort is an operations_log row; the run ends with one log line.
 */
export async function runLifecycle(deps: WorkerDeps, now: Date): Promise<LifecycleReport> {
  const report: LifecycleReport = { expired: 0, noncurrentExpired: 0, markersRemoved: 0, kept: [], keptTotal: 0, uploadsAborted: 0, failedBuckets: 0 };
  const run: Run = { requestId: `lifecycle-${randomUUID()}`, now, report };
  let scanned = 0;
  let after: string | undefined;
  for (;;) {
    const page = await deps.db
      .select({ bucket: buckets, rules: bucketLifecycle.rules })
      .from(bucketLifecycle)
      .innerJoin(buckets, eq(buckets.bucketId, bucketLifecycle.bucketId))
      .where(after === undefined ? undefined : gt(bucketLifecycle.bucketId, after))
      .orderBy(asc(bucketLifecycle.bucketId))
      .limit(BUCKET_PAGE);
    for (const { bucket, rules } of page) {
      scanned++;
      try {
        const bucketRun = { ...run, events: await objectEventContext(deps, bucket, systemOrigin("lifecycle-worker", run.requestId)) };
        for (const rule of rules) if (rule.enabled) await applyRule(deps, bucketRun, bucket, rule);
      } catch (err) {
        // One bucket's failure (say, its customer's storage is unreachable) must not stop the others.
        run.report.failedBuckets++;
        deps.logger.warn({ run: run.requestId, customer: bucket.customerId, bucket: bucket.bucketName, err: (err as Error).message }, "lifecycle failed for a bucket");
      }
    }
    if (page.length < BUCKET_PAGE) break;
    after = page.at(-1)!.bucket.bucketId;
  }
  const { expired, noncurrentExpired, markersRemoved, keptTotal, uploadsAborted, failedBuckets } = run.report;
  deps.logger.info({ run: run.requestId, buckets: scanned, expired, noncurrentExpired, markersRemoved, kept: keptTotal, uploadsAborted, failedBuckets }, "lifecycle run");
  return run.report;
}

/** Runs the lifecycle now and every `intervalMs` after, never two runs at once; returns the stop function. */
export function startLifecycleWorker(deps: WorkerDeps, intervalMs: number): () => void {
  return startPeriodic("lifecycle run", async () => void (await runLifecycle(deps, deps.clock.now())), intervalMs, deps.logger);
}
