import { assertObjectKey, pastPrefix, S3_XMLNS, s3Error } from "@s3gw/core";
import type { Context } from "hono";
import { z } from "zod";
import type { AppEnv, RegionalDb } from "../../env.ts";
import type { Bucket } from "../../services/objects/buckets.ts";
import { findBucket } from "../../services/objects/buckets.ts";
import { findUpload, pageOfParts, pageOfUploads, type UploadCursor, type UploadRow } from "../../services/objects/multipart.ts";
import { isoDate, xml } from "./xml-response.ts";

const count = (name: string) => z.string().regex(/^\d{1,9}$/, `${name} must be a non-negative integer`).transform(Number).optional();

const partsQuery = z.object({
  uploadId: z.string().min(1).max(128),
  "max-parts": count("max-parts"),
  "part-number-marker": count("part-number-marker"),
  "encoding-type": z.enum(["url"]).optional(),
});

const uploadsQuery = z.object({
  prefix: z.string().max(1024).default(""),
  // An empty delimiter means none, as in S3 (rclone sends `delimiter=` for recursive listings).
  delimiter: z.string().max(64).optional().transform((d) => d || undefined),
  "key-marker": z.string().max(1024).optional(),
  "upload-id-marker": z.string().max(128).optional(),
  "max-uploads": count("max-uploads"),
  "encoding-type": z.enum(["url"]).optional(),
});

function parseQuery<T extends z.ZodType>(schema: T, c: Context<AppEnv>): z.infer<T> {
  const parsed = schema.safeParse(Object.fromEntries(c.var.s3Target.query));
  if (!parsed.success) throw s3Error("InvalidArgument", parsed.error.issues[0]?.message);
  return parsed.data;
}

const urlEncoder = (on: boolean) => (s: string) => (on ? encodeURIComponent(s).replace(/%2F/g, "/") : s);

/** ListParts (`GET /bucket/key?uploadId=`), paged by part number. */
export async function listPartsHandler(c: Context<AppEnv>, bucketName: string, key: string): Promise<Response> {
  const { deps, customer } = c.var;
  assertObjectKey(key);
  const q = parseQuery(partsQuery, c);
  const bucket = await findBucket(deps.db, customer.customerId, bucketName);
  const upload = await findUpload(deps.db, bucket, key, q.uploadId);
  const maxParts = Math.min(q["max-parts"] ?? 1000, 1000);
  const marker = q["part-number-marker"] ?? 0;
  const rows = maxParts === 0 ? [] : await pageOfParts(deps.db, upload.uploadId, marker, maxParts + 1);
  const page = rows.slice(0, maxParts);
  const owner = { ID: customer.customerId, DisplayName: customer.customerId };
  const enc = urlEncoder(q["encoding-type"] === "url");
  return xml(c, {
    ListPartsResult: {
      "@_xmlns": S3_XMLNS,
      Bucket: bucketName,
      Key: enc(key),
      UploadId: upload.uploadId,
      PartNumberMarker: marker,
      NextPartNumberMarker: page.at(-1)?.partNumber ?? marker,
      MaxParts: maxParts,
      IsTruncated: rows.length > maxParts,
      Part: page.map((p) => ({
        PartNumber: p.partNumber, LastModified: isoDate(p.uploadedAt), ETag: `"${p.etag}"`, Size: p.sizeBytes,
        ...(upload.checksumAlgorithm && p.checksum ? { [`Checksum${upload.checksumAlgorithm}`]: p.checksum } : {}),
      })),
      ...(upload.checksumAlgorithm ? { ChecksumAlgorithm: upload.checksumAlgorithm, ChecksumType: upload.checksumType ?? "COMPOSITE" } : {}),
      Initiator: owner,
      Owner: owner,
      StorageClass: "STANDARD",
      ...(q["encoding-type"] ? { EncodingType: q["encoding-type"] } : {}),
    },
  });
}

/** A key-marker that is a common prefix returned as NextKeyMarker resumes after everything under it. */
function startCursor(keyMarker: string | undefined, uploadIdMarker: string | undefined, prefix: string, delimiter: string | undefined): UploadCursor | undefined {
  if (keyMarker === undefined || keyMarker === "") return undefined;
  if (uploadIdMarker) return { key: keyMarker, inclusive: false, uploadId: uploadIdMarker };
  const rest = keyMarker.slice(prefix.length);
  if (delimiter && keyMarker.startsWith(prefix) && rest.indexOf(delimiter) === rest.length - delimiter.length) return pastPrefix(keyMarker);
  return { key: keyMarker, inclusive: false };
}

/** S3 listing with delimiter grouping over (key, upload id) order; a common prefix counts as one entry. */
async function listUploads(db: RegionalDb, bucket: Bucket, prefix: string, delimiter: string | undefined, max: number, start: UploadCursor | undefined) {
  const uploads: UploadRow[] = [];
  const prefixes: string[] = [];
  let cursor = start;
  let last: { key: string; uploadId?: string } | undefined;
  if (max === 0) return { uploads, prefixes, truncated: false, last };
  for (;;) {
    const rows = await pageOfUploads(db, bucket, prefix, cursor, max + 1);
    let reseek = false;
    for (const row of rows) {
      const lastPrefix = prefixes.at(-1);
      if (lastPrefix !== undefined && row.objectKey.startsWith(lastPrefix)) {
        cursor = { key: row.objectKey, inclusive: false, uploadId: row.uploadId };
        continue;
      }
      if (uploads.length + prefixes.length === max) return { uploads, prefixes, truncated: true, last };
      const rest = row.objectKey.slice(prefix.length);
      const at = delimiter ? rest.indexOf(delimiter) : -1;
      if (at >= 0) {
        const common = prefix + rest.slice(0, at + delimiter!.length);
        prefixes.push(common);
        last = { key: common };
        cursor = pastPrefix(common);
        reseek = true;
        break;
      }
      uploads.push(row);
      last = { key: row.objectKey, uploadId: row.uploadId };
      cursor = { key: row.objectKey, inclusive: false, uploadId: row.uploadId };
    }
    if (!reseek && rows.length <= max) return { uploads, prefixes, truncated: false, last };
  }
}

/** ListMultipartUploads (`GET /bucket?uploads`): uploads in progress, in key order. */
export async function listMultipartUploadsHandler(c: Context<AppEnv>, bucketName: string): Promise<Response> {
  const { deps, customer } = c.var;
  const q = parseQuery(uploadsQuery, c);
  const bucket = await findBucket(deps.db, customer.customerId, bucketName);
  const max = Math.min(q["max-uploads"] ?? 1000, 1000);
  // S3 ignores upload-id-marker without a key-marker.
  const uploadIdMarker = q["key-marker"] ? q["upload-id-marker"] : undefined;
  const page = await listUploads(deps.db, bucket, q.prefix, q.delimiter, max, startCursor(q["key-marker"], uploadIdMarker, q.prefix, q.delimiter));
  const enc = urlEncoder(q["encoding-type"] === "url");
  const owner = { ID: customer.customerId, DisplayName: customer.customerId };
  return xml(c, {
    ListMultipartUploadsResult: {
      "@_xmlns": S3_XMLNS,
      Bucket: bucketName,
      KeyMarker: enc(q["key-marker"] ?? ""),
      UploadIdMarker: uploadIdMarker ?? "",
      NextKeyMarker: page.truncated && page.last ? enc(page.last.key) : "",
      NextUploadIdMarker: page.truncated ? (page.last?.uploadId ?? "") : "",
      ...(q.delimiter ? { Delimiter: enc(q.delimiter) } : {}),
      Prefix: enc(q.prefix),
      MaxUploads: max,
      IsTruncated: page.truncated,
      Upload: page.uploads.map((u) => ({ Key: enc(u.objectKey), UploadId: u.uploadId, Initiator: owner, Owner: owner, StorageClass: "STANDARD", Initiated: isoDate(u.initiatedAt) })),
      CommonPrefixes: page.prefixes.map((p) => ({ Prefix: enc(p) })),
      ...(q["encoding-type"] ? { EncodingType: q["encoding-type"] } : {}),
    },
  });
}
