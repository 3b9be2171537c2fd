import { and, asc, count, eq, sql } from "drizzle-orm";
import { buckets, objectMetadata } from "@s3gw/schema-regional";
import type { Deps } from "../../env.ts";

/** At most this many versions are listed in the job record; the totals always cover all. */
export const MANIFEST_LIMIT = 10_000;
const PAGE = 500;

/**
 * The export step: a JSON manifest of the customer's buckets and every object version's
 * metadata (bucket, key, version, size, SHA-256, content type, last modified, holds and
 * retention), written to the job record. Not the bytes: those the customer copies out with its
 * own S3 client before offboarding (reads are refused once frozen). Past MANIFEST_LIMIT
 * versions the list is cut and says so.
 */
export async function exportManifest(deps: Pick<Deps, "db" | "clock">, customerId: string) {
  const bucketRows = await deps.db
    .select({ name: buckets.bucketName, versioning: buckets.versioning, createdAt: buckets.createdAt })
    .from(buckets)
    .where(eq(buckets.customerId, customerId))
    .orderBy(asc(buckets.bucketName));
  const [total] = await deps.db
    .select({ n: count(), bytes: sql<number>`coalesce(sum(${objectMetadata.sizeBytes}), 0)`.mapWith(Number) })
    .from(objectMetadata)
    .where(eq(objectMetadata.customerId, customerId));
  const versions: Record<string, unknown>[] = [];
  let after: { b: string; k: string; v: string } | undefined;
  while (versions.length < MANIFEST_LIMIT) {
    const seek = after ? sql`(${objectMetadata.bucketName}, ${objectMetadata.objectKey}, ${objectMetadata.versionId} collate "C") > (${after.b}, ${after.k}, ${after.v} collate "C")` : undefined;
    const rows = await deps.db
      .select()
      .from(objectMetadata)
      .where(and(eq(objectMetadata.customerId, customerId), seek))
      .orderBy(asc(objectMetadata.bucketName), asc(objectMetadata.objectKey), sql`${objectMetadata.versionId} collate "C"`)
      .limit(Math.min(PAGE, MANIFEST_LIMIT - versions.length));
    for (const o of rows) {
      versions.push({
        bucket: o.bucketName, key: o.objectKey, version_id: o.versionId, is_latest: o.isLatest, size: o.sizeBytes, sha256: o.sha256,
        content_type: o.contentType, last_modified: o.lastModified.toISOString(), legal_hold: o.legalHold,
        retention_mode: o.retentionMode, retention_until: o.retentionUntil?.toISOString() ?? null,
      });
    }
    if (rows.length === 0 || rows.length < PAGE) break;
    const last = rows[rows.length - 1]!;
    after = { b: last.bucketName, k: last.objectKey, v: last.versionId };
  }
  return {
    kind: "manifest",
    note: "object metadata only (no bytes, no operations log); the operations log stays in the region, intact (region-wide export: GET /api/audit/export)",
    generated_at: deps.clock.now().toISOString(),
    buckets: bucketRows.map((b) => ({ name: b.name, versioning: b.versioning ?? "Disabled", created_at: b.createdAt.toISOString() })),
    object_versions_total: total?.n ?? 0,
    bytes_total: total?.bytes ?? 0,
    truncated: (total?.n ?? 0) > versions.length,
    object_versions: versions,
  };
}
