import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { eq } from "drizzle-orm";
import { s3Error } from "@s3gw/core";
import { multipartParts, multipartUploads } from "@s3gw/schema-regional";
import { BlobNotFoundError, TenantStorage } from "@s3gw/storage";
import type { Deps } from "../../env.ts";
import { checkContent, type RequestFacts } from "../compliance/access-policy.ts";
import type { Bucket } from "./buckets.ts";
import type { Customer } from "../access/customers.ts";
import { allParts, MAX_PARTS, MIN_PART_SIZE, type PartRow, type UploadRow } from "./multipart.ts";
import { commitObject, type ObjectRow, type WriteCondition } from "./objects.ts";

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

/** The parts' bytes one after another, one part open at a time: memory stays bounded whatever the object's size. */
function concatenation(tenant: TenantStorage, parts: PartRow[]): Readable {
  return Readable.from(
    (async function* () {
      for (const part of parts) {
        const body = await tenant.get(part.storageKey).catch((err: unknown) => {
          throw err instanceof BlobNotFoundError ? s3Error("InvalidPart", `The bytes of part ${part.partNumber} are missing; upload it again`) : err;
        });
        yield* body;
      }
    })(),
    { objectMode: false },
  );
}

/**
 * Assembles the parts into one new blob (hashing the whole object on the way), applies the
 * content rules, then commits the object and removes the upload in one transaction. The
 * upload survives any failure before the commit, so the client may retry or abort.
 */
export async function completeUpload(
  deps: Deps,
  customer: Customer,
  bucket: Bucket,
  upload: UploadRow,
  requested: RequestedPart[],
  opts: { facts: RequestFacts; condition: WriteCondition | undefined; bypassGovernance: boolean },
): Promise<ObjectRow> {
  const parts = selectParts(requested, await allParts(deps.db, upload.uploadId));
  const size = parts.reduce((n, p) => n + p.sizeBytes, 0);
  if (size > MAX_OBJECT_BYTES) throw s3Error("EntityTooLarge");
  // The object lands on the target the upload was created for (residency was judged for it then).
  const provider = await deps.targets.provider(upload.storageProviderId);
  const tenant = new TenantStorage(provider, customer.customerId);
  const blob = await tenant.put(concatenation(tenant, parts), { expectedSize: size });
  try {
    await checkContent(deps, customer, { ...opts.facts, sha256: blob.sha256Hex, size: blob.size, bucketId: bucket.bucketId });
  } catch (err) {
    await tenant.delete(blob.storageKey).catch(() => {});
    throw err;
  }
  let partBlobs: string[] = [];
  const meta = { contentType: upload.contentType, userMetadata: upload.userMetadata, systemMetadata: upload.systemMetadata, tags: upload.tags };
  const row = await commitObject(deps.db, deps.targets, { provider, tenant }, bucket, upload.objectKey, blob, meta, deps.clock.now(), {
    bypassGovernance: opts.bypassGovernance,
    condition: opts.condition,
    multipart: { etag: multipartEtag(parts), partsCount: parts.length },
    inTransaction: async (tx) => {
      const [live] = await tx.select({ id: multipartUploads.uploadId }).from(multipartUploads).where(eq(multipartUploads.uploadId, upload.uploadId)).for("update");
      if (!live) throw s3Error("NoSuchUpload", undefined, { resource: upload.uploadId });
      const current = new Map((await tx.select().from(multipartParts).where(eq(multipartParts.uploadId, upload.uploadId))).map((p) => [p.partNumber, p.storageKey]));
      const replaced = parts.find((p) => current.get(p.partNumber) !== p.storageKey);
      if (replaced) throw s3Error("InvalidPart", `Part ${replaced.partNumber} was uploaded again while the upload was completing`);
      partBlobs = [...current.values()];
      await tx.delete(multipartUploads).where(eq(multipartUploads.uploadId, upload.uploadId));
    },
  });
  for (const key of partBlobs) await tenant.delete(key).catch(() => {}); // a failure leaves a stray for the sweeper
  return row;
}
