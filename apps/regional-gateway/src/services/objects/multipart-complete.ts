import { createHash } from "node:crypto";
import { eq } from "drizzle-orm";
import { s3Error } from "@s3gw/core";
import { multipartParts, multipartUploads } from "@s3gw/schema-regional";
import { compositeSha256, type StoredBlob } from "@s3gw/storage";
import type { Deps } from "../../env.ts";
import { checkContent, type RequestFacts } from "../compliance/access-policy.ts";
import type { Bucket } from "./buckets.ts";
import type { Customer } from "../access/customers.ts";
import type { AuditIntent } from "../audit/audit-intents.ts";
import { allParts, MAX_PARTS, MIN_PART_SIZE, type PartRow, type UploadRow } from "./multipart.ts";
import { recordManifest, type ManifestEntry } from "./multipart-manifest.ts";
import { commitObject, type ObjectRow, type WriteCondition } from "./objects.ts";
import { objectEventContext, type EventOrigin } from "../events/object-events.ts";
import { takeUploadLock } from "./upload-lock.ts";
import { compositeChecksumHeaders } from "./multipart-checksums.ts";
import { recordCompletion } from "./completed-uploads.ts";

/** S3's largest object. */
const MAX_OBJECT_BYTES = 5 * 1024 ** 4;

export interface RequestedPart { partNumber: number; etag: string }

/**
 * S3's rules for the part list of CompleteMultipartUpload: at least one part, strictly
 * ascending part numbers, each part uploaded with the ETag given, and every part but the
 * last at least 5 MiB. Returns the stored parts in the order they make up the object.
 */
export function selectParts(requested: RequestedPart[], stored: PartRow[]): PartRow[] {
  if (requested.length === 0) throw s3Error("MalformedXML", "You must specify at least one part");
  if (requested.length > MAX_PARTS) throw s3Error("MalformedXML", `At most ${MAX_PARTS} parts may be specified`);
  for (let i = 1; i < requested.length; i++) {
    if (requested[i]!.partNumber <= requested[i - 1]!.partNumber) throw s3Error("InvalidPartOrder");
  }
  const byNumber = new Map(stored.map((p) => [p.partNumber, p]));
  const parts = requested.map((r) => {
    const part = byNumber.get(r.partNumber);
    if (!part || normaliseEtag(r.etag) !== part.etag) throw s3Error("InvalidPart", undefined, { resource: `part ${r.partNumber}` });
    return part;
  });
  const small = parts.slice(0, -1).find((p) => p.sizeBytes < MIN_PART_SIZE);
  if (small) throw s3Error("EntityTooSmall", `Part ${small.partNumber} is ${small.sizeBytes} bytes; every part but the last must be at least ${MIN_PART_SIZE} bytes`);
  return parts;
}

/** The hex MD5 of the concatenated binary MD5s of the parts: S3's multipart ETag before its `-N`. */
export function multipartEtag(parts: Pick<PartRow, "etag">[]): string {
  const md5 = createHash("md5");
  for (const p of parts) md5.update(Buffer.from(p.etag, "hex"));
  return md5.digest("hex");
}

function normaliseEtag(etag: string): string {
  return etag.trim().replace(/^"(.*)"$/, "$1").toLowerCase();
}

/**
 * Makes the parts one object without touching their bytes: the object's storage key is a
 * fresh composite key whose manifest (the parts in order, with their digests) is written in
 * the commit transaction, which also removes the upload. So Complete costs the same whatever
 * the size: no byte is read or written again. The object's SHA-256 is the composite digest
 * of the parts' SHA-256s (`<hex>-N`, see object-parts.ts), which the content rules judge.
 * The upload survives any failure before the commit, so the client may retry or abort.
 */
export async function completeUpload(
  deps: Deps,
  customer: Customer,
  bucket: Bucket,
  upload: UploadRow,
  requested: RequestedPart[],
  opts: { facts: RequestFacts; condition: WriteCondition | undefined; bypassGovernance: boolean; origin?: EventOrigin; intent: AuditIntent },
): Promise<ObjectRow> {
  const parts = selectParts(requested, await allParts(deps.db, upload.uploadId));
  const size = parts.reduce((n, p) => n + p.sizeBytes, 0);
  if (size > MAX_OBJECT_BYTES) throw s3Error("EntityTooLarge");
  // The object lands on the target the upload was created for (residency was judged for it then), where its parts are.
  const provider = await deps.targets.provider(upload.storageProviderId);
  const tenant = await deps.targets.recorded(customer.customerId, upload.storageProviderId);
  const entries: ManifestEntry[] = parts.map((p) => ({ partNumber: p.partNumber, storageKey: p.storageKey, size: p.sizeBytes, md5Hex: p.etag, sha256Hex: p.sha256, encryption: p.encryption }));
  const blob: StoredBlob = { storageKey: tenant.newCompositeKey(), size, md5Hex: multipartEtag(parts), sha256Hex: compositeSha256(entries) };
  await checkContent(deps, customer, { ...opts.facts, sha256: blob.sha256Hex, size, bucketId: bucket.bucketId });
  let unused: string[] = [];
  const { systemMetadata, lock } = takeUploadLock(upload.systemMetadata);
  // The object's flexible checksum is a stored header, answered under x-amz-checksum-mode (object-headers.ts).
  const checksum = await compositeChecksumHeaders(upload, parts);
  const meta = { contentType: upload.contentType, userMetadata: upload.userMetadata, systemMetadata: { ...systemMetadata, ...checksum }, tags: upload.tags, encryption: upload.encryption, ...(lock ? { lock } : {}) };
  const now = deps.clock.now();
  const event = { ctx: await objectEventContext(deps, bucket, opts.origin), name: "s3:ObjectCreated:CompleteMultipartUpload" as const };
  const row = await commitObject(deps.db, deps.targets, { provider, tenant }, bucket, upload.objectKey, blob, meta, now, {
    intent: opts.intent,
    event,
    bypassGovernance: opts.bypassGovernance,
    condition: opts.condition,
    multipart: { etag: blob.md5Hex, partsCount: parts.length },
    inTransaction: async (tx) => {
      const [live] = await tx.select({ id: multipartUploads.uploadId }).from(multipartUploads).where(eq(multipartUploads.uploadId, upload.uploadId)).for("update");
      if (!live) throw s3Error("NoSuchUpload", undefined, { resource: upload.uploadId });
      const current = new Map((await tx.select().from(multipartParts).where(eq(multipartParts.uploadId, upload.uploadId))).map((p) => [p.partNumber, p.storageKey]));
      const replaced = parts.find((p) => current.get(p.partNumber) !== p.storageKey);
      if (replaced) throw s3Error("InvalidPart", `Part ${replaced.partNumber} was uploaded again while the upload was completing`);
      const kept = new Set(parts.map((p) => p.storageKey));
      unused = [...current.values()].filter((k) => !kept.has(k));
      // The parts' blobs pass from the upload to the object in this one transaction: never unowned, never owned twice.
      await recordManifest(tx, blob.storageKey, { customerId: customer.customerId, providerId: provider.location.providerId }, entries, now);
      await recordCompletion(tx, upload, requested, blob.storageKey, now);
      await tx.delete(multipartUploads).where(eq(multipartUploads.uploadId, upload.uploadId));
    },
  });
  for (const key of unused) await tenant.delete(key).catch(() => {}); // parts left out of the list; a failure leaves a stray for the sweeper
  return row;
}
