import { objectDeleteMarkers, objectMetadata } from "@s3gw/schema-regional";
import { isCompositeKey } from "@s3gw/storage";
import { and, asc, eq, sql } from "drizzle-orm";
import { z } from "zod";
import type { Deps } from "../../env.ts";
import { objectBytes } from "../encryption/object-bytes.ts";
import { blobKeyOf } from "../encryption/object-sealing.ts";
import type { ObjectRow } from "../objects/objects.ts";
import { saveCursor, type MoveJob } from "./move-job.ts";
import { callTarget, sendObject, type PeerRegion } from "./move-peer.ts";
import { MARKER_BATCH, MISSING_BATCH } from "./move-wire.ts";

const missingAnswer = z.object({ missing: z.array(z.number().int().min(0).max(MISSING_BATCH - 1)).max(MISSING_BATCH) });
const iso = (d: Date | null) => (d ? d.toISOString() : null);

/**
 * Copies every object version to the target in (bucket, key, version id) order, in batches: the
 * target says which of a batch it lacks, those are sent one by one (each acknowledged only once
 * the target verified its SHA-256), then the cursor is committed. A resumed copy starts after
 * the cursor and a re-sent batch sends only what is missing, so nothing is copied twice.
 */
export async function copyObjects(deps: Deps, job: MoveJob, peer: PeerRegion) {
  const id = job.customerId;
  let cursor = job.cursor;
  let sent = 0;
  let bytes = 0;
  let present = 0;
  for (;;) {
    const seek = cursor ? sql`(${objectMetadata.bucketName}, ${objectMetadata.objectKey}, ${objectMetadata.versionId} collate "C") > (${cursor.bucket}, ${cursor.key}, ${cursor.versionId} collate "C")` : undefined;
    const rows: ObjectRow[] = await deps.db
      .select()
      .from(objectMetadata)
      .where(and(eq(objectMetadata.customerId, id), seek))
      .orderBy(asc(objectMetadata.bucketName), asc(objectMetadata.objectKey), sql`${objectMetadata.versionId} collate "C"`)
      .limit(MISSING_BATCH);
    if (rows.length === 0) break;
    const answer = missingAnswer.safeParse(await callTarget(deps, peer, id, "missing", { versions: rows.map((r) => ({ bucket: r.bucketName, key: r.objectKey, version_id: r.versionId, sha256: r.sha256 })) }));
    if (!answer.success) throw new Error(`region ${peer.regionId} answered the version comparison with something else than {missing: [indexes]}`);
    const missing = new Set(answer.data.missing);
    let batchBytes = 0;
    for (const [i, row] of rows.entries()) {
      if (!missing.has(i)) continue;
      await sendVersion(deps, peer, row);
      batchBytes += row.sizeBytes;
    }
    sent += missing.size;
    present += rows.length - missing.size;
    bytes += batchBytes;
    const last = rows[rows.length - 1]!;
    cursor = { bucket: last.bucketName, key: last.objectKey, versionId: last.versionId };
    await saveCursor(deps, id, cursor, { versions: missing.size, bytes: batchBytes });
    if (rows.length < MISSING_BATCH) break;
  }
  return { versions_sent: sent, versions_already_there: present, bytes_sent: bytes };
}

/** One version: its plaintext (each sealed blob opened with its data key, a multipart object's parts in order) and its metadata. */
async function sendVersion(deps: Deps, peer: PeerRegion, row: ObjectRow): Promise<void> {
  const tenant = await deps.targets.recorded(row.customerId, row.storageProviderId);
  if (row.encryption?.mode === "SSE-C") throw new Error(`${row.bucketName}/${row.objectKey} is SSE-C: its bytes cannot be opened without the customer's key`);
  const parts = isCompositeKey(row.storageKey)
    ? (await tenant.partsOf(row.storageKey)).map((p) => ({ part_number: p.partNumber, size: p.size, md5: p.md5Hex, sha256: p.sha256Hex }))
    : null;
  const { body } = await objectBytes(tenant, row, (customerId, enc) => blobKeyOf(deps, customerId, enc, undefined));
  const enc = row.encryption;
  const meta = {
    bucket: row.bucketName, key: row.objectKey, version_id: row.versionId, version_stamp: row.versionStamp, is_latest: row.isLatest, size: row.sizeBytes,
    etag: row.etag, sha256: row.sha256, content_type: row.contentType, user_metadata: row.userMetadata, system_metadata: row.systemMetadata, tags: row.tags,
    parts_count: row.partsCount, compliance_status: row.complianceStatus, legal_hold: row.legalHold, legal_hold_reason: row.legalHoldReason,
    legal_hold_set_by: row.legalHoldSetBy, legal_hold_set_at: iso(row.legalHoldSetAt), retention_mode: row.retentionMode, retention_until: iso(row.retentionUntil),
    processing_restricted: row.processingRestricted, data_subject_id: row.dataSubjectId, data_classification: row.dataClassification, last_verified_at: iso(row.lastVerifiedAt),
    encryption: enc ? { mode: enc.mode, key_id: enc.keyId, ...(enc.kmsContext ? { kms_context: enc.kmsContext } : {}), ...(enc.bucketKeyEnabled ? { bucket_key_enabled: true } : {}) } : null,
    parts, created_at: row.createdAt.toISOString(), last_modified: row.lastModified.toISOString(),
  };
  try {
    await sendObject(deps, peer, row.customerId, meta, body);
  } finally {
    body.destroy();
  }
}

/** Every delete marker, in batches; the target keeps those it has, so a resumed step simply sends them all again. */
export async function copyMarkers(deps: Deps, job: MoveJob, peer: PeerRegion) {
  let after: { b: string; k: string; v: string } | undefined;
  let sent = 0;
  let added = 0;
  for (;;) {
    const seek = after ? sql`(${objectDeleteMarkers.bucketName}, ${objectDeleteMarkers.objectKey}, ${objectDeleteMarkers.versionId} collate "C") > (${after.b}, ${after.k}, ${after.v} collate "C")` : undefined;
    const rows = await deps.db
      .select()
      .from(objectDeleteMarkers)
      .where(and(eq(objectDeleteMarkers.customerId, job.customerId), seek))
      .orderBy(asc(objectDeleteMarkers.bucketName), asc(objectDeleteMarkers.objectKey), sql`${objectDeleteMarkers.versionId} collate "C"`)
      .limit(MARKER_BATCH);
    if (rows.length === 0) break;
    const answer = (await callTarget(deps, peer, job.customerId, "markers", {
      markers: rows.map((m) => ({ bucket: m.bucketName, key: m.objectKey, version_id: m.versionId, version_stamp: m.versionStamp, is_latest: m.isLatest, last_modified: m.lastModified.toISOString() })),
    })) as { added?: unknown };
    sent += rows.length;
    added += typeof answer.added === "number" ? answer.added : 0;
    if (rows.length < MARKER_BATCH) break;
    const last = rows[rows.length - 1]!;
    after = { b: last.bucketName, k: last.objectKey, v: last.versionId };
  }
  return { markers_sent: sent, markers_added: added };
}
