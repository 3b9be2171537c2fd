import { and, asc, eq, gt, notExists, type SQL } from "drizzle-orm";
import { isAppError } from "@s3gw/core";
import { objectDeleteMarkers, objectMetadata } from "@s3gw/schema-regional";
import type { Bucket } from "./buckets.ts";
import type { LifecycleRule } from "./lifecycle.ts";
import { auditRow, cutoff, keep, likePrefix, type Run, type WorkerDeps } from "./lifecycle-run.ts";
import { deleteObject, type DeleteOutcome } from "./object-delete.ts";
import type { ObjectRow } from "./objects.ts";
import { workerIntent } from "../audit/audit-intents.ts";

const KEY_PAGE = 500;

const tagsMatch = (rule: LifecycleRule, tags: Record<string, string>) => Object.entries(rule.tags).every(([k, v]) => tags[k] === v);

const lifecycleEvent = (run: Run) => ({ ctx: run.events, family: "s3:LifecycleExpiration" as const });

/**
 * Deletes through DeleteObject's own rules; a version (or a suspended bucket's null version)
 * under hold or retention is kept and reported, never forced.
 */
async function deleteOrKeep(deps: WorkerDeps, run: Run, bucket: Bucket, key: string, opts: Parameters<typeof deleteObject>[5]): Promise<DeleteOutcome | undefined> {
  try {
    return await deleteObject(deps.db, deps.targets, bucket, key, run.now, { ...opts, event: lifecycleEvent(run) });
  } catch (err) {
    if (!isAppError(err) || err.code !== "AccessDenied") throw err;
    keep(run, bucket, key, err.message.replace(/^Object is protected: /, ""), opts?.versionId);
    return undefined;
  }
}

/**
 * Expiration Days in a versioned (or suspended) bucket: the current version, if it still is
 * old enough and matches under the key's lock, goes behind a delete marker, as S3 does; the
 * version itself stays, noncurrent, for NoncurrentVersionExpiration.
 */
export async function expireCurrentVersion(deps: WorkerDeps, run: Run, bucket: Bucket, rule: LifecycleRule, key: string, before: Date): Promise<void> {
  const due = (latest: ObjectRow | undefined) => latest !== undefined && latest.lastModified < before && tagsMatch(rule, latest.tags);
  const intent = workerIntent(run.requestId, "LifecycleExpiration");
  const done = await deleteOrKeep(deps, run, bucket, key, { intent, onlyIf: due });
  if (!done?.changed) return;
  run.report.expired++;
  await deps.audit.record(auditRow(run, bucket, "LifecycleExpiration", key, { rule_id: rule.id, expiration_days: rule.expirationDays, ...(rule.expirationDate ? { expiration_date: rule.expirationDate } : {}), delete_marker_version_id: done.versionId }, intent));
}

/** NoncurrentVersionExpiration and ExpiredObjectDeleteMarker; a bucket never versioned has neither noncurrent versions nor markers. */
export async function applyVersionRules(deps: WorkerDeps, run: Run, bucket: Bucket, rule: LifecycleRule): Promise<void> {
  if (bucket.versioning === null) return;
  const before = rule.noncurrentDays == null ? undefined : cutoff(run.now, rule.noncurrentDays);
  if (before) await eachKey(deps, bucket, rule, eq(objectMetadata.isLatest, false), (key) => expireNoncurrentOf(deps, run, bucket, rule, key, before));
  if (rule.expiredObjectDeleteMarker) await removeExpiredMarkers(deps, run, bucket, rule);
}

async function eachKey(deps: WorkerDeps, bucket: Bucket, rule: LifecycleRule, cond: SQL, act: (key: string) => Promise<void>): Promise<void> {
  let after: string | undefined;
  for (;;) {
    const page = await deps.db
      .selectDistinct({ key: objectMetadata.objectKey })
      .from(objectMetadata)
      .where(and(eq(objectMetadata.bucketId, bucket.bucketId), cond, rule.prefix ? likePrefix(objectMetadata.objectKey, rule.prefix) : undefined, after === undefined ? undefined : gt(objectMetadata.objectKey, after)))
      .orderBy(asc(objectMetadata.objectKey))
      .limit(KEY_PAGE);
    for (const { key } of page) await act(key);
    if (page.length < KEY_PAGE) return;
    after = page.at(-1)!.key;
  }
}

/**
 * A noncurrent version became noncurrent when the next newer version (or marker) was written;
 * it expires NoncurrentDays after that, unless it is among the NewerNoncurrentVersions newest
 * noncurrent versions, which are always kept.
 */
async function expireNoncurrentOf(deps: WorkerDeps, run: Run, bucket: Bucket, rule: LifecycleRule, key: string, before: Date): Promise<void> {
  const om = objectMetadata;
  const dm = objectDeleteMarkers;
  const versions = await deps.db.select({ versionId: om.versionId, stamp: om.versionStamp, lastModified: om.lastModified, tags: om.tags }).from(om)
    .where(and(eq(om.bucketId, bucket.bucketId), eq(om.objectKey, key)));
  const markers = await deps.db.select({ versionId: dm.versionId, stamp: dm.versionStamp, lastModified: dm.lastModified }).from(dm)
    .where(and(eq(dm.bucketId, bucket.bucketId), eq(dm.objectKey, key)));
  const history = [...versions.map((v) => ({ ...v, marker: false })), ...markers.map((m) => ({ ...m, tags: {}, marker: true }))].sort((a, b) => b.stamp - a.stamp);
  let noncurrent = 0;
  for (let i = 1; i < history.length; i++) {
    const v = history[i]!;
    if (v.marker) continue;
    noncurrent++;
    const since = history[i - 1]!.lastModified;
    if (noncurrent <= (rule.newerNoncurrentVersions ?? 0) || since >= before || !tagsMatch(rule, v.tags)) continue;
    const intent = workerIntent(run.requestId, "LifecycleNoncurrentExpiration");
    const done = await deleteOrKeep(deps, run, bucket, key, { intent, versionId: v.versionId });
    if (!done?.changed) continue;
    run.report.noncurrentExpired++;
    await deps.audit.record(auditRow(run, bucket, "LifecycleNoncurrentExpiration", key, {
      rule_id: rule.id, version_id: v.versionId, noncurrent_since: since.toISOString(), noncurrent_days: rule.noncurrentDays,
    }, intent));
  }
}

/** ExpiredObjectDeleteMarker: a latest delete marker with no version left behind it hides nothing and goes. */
async function removeExpiredMarkers(deps: WorkerDeps, run: Run, bucket: Bucket, rule: LifecycleRule): Promise<void> {
  const dm = objectDeleteMarkers;
  const om = objectMetadata;
  let after: string | undefined;
  for (;;) {
    const page = await deps.db
      .select({ key: dm.objectKey, versionId: dm.versionId })
      .from(dm)
      .where(and(
        eq(dm.bucketId, bucket.bucketId), eq(dm.isLatest, true),
        notExists(deps.db.select({ one: om.objectId }).from(om).where(and(eq(om.bucketId, dm.bucketId), eq(om.objectKey, dm.objectKey)))),
        rule.prefix ? likePrefix(dm.objectKey, rule.prefix) : undefined,
        after === undefined ? undefined : gt(dm.objectKey, after),
      ))
      .orderBy(asc(dm.objectKey))
      .limit(KEY_PAGE);
    for (const m of page) {
      const intent = workerIntent(run.requestId, "LifecycleDeleteMarkerExpiration");
      const done = await deleteObject(deps.db, deps.targets, bucket, m.key, run.now, { intent, versionId: m.versionId, event: lifecycleEvent(run) });
      if (!done.changed) continue;
      run.report.markersRemoved++;
      await deps.audit.record(auditRow(run, bucket, "LifecycleDeleteMarkerExpiration", m.key, { rule_id: rule.id, version_id: m.versionId }, intent));
    }
    if (page.length < KEY_PAGE) return;
    after = page.at(-1)!.key;
  }
}
