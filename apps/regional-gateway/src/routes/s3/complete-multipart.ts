import { assertObjectKey, isAppError, S3_XMLNS, s3Error } from "@s3gw/core";
import type { Context } from "hono";
import { z } from "zod";
import type { AppEnv } from "../../env.ts";
import { sourceCountryOf } from "../../source-country.ts";
import { findBucket } from "../../services/objects/buckets.ts";
import { allParts, findUpload } from "../../services/objects/multipart.ts";
import { checkExpectedChecksum, checkListedChecksums, checksumResultElements, listedPartChecksums } from "../../services/objects/multipart-checksums.ts";
import { completeUpload, type RequestedPart } from "../../services/objects/multipart-complete.ts";
import { requestIntent } from "../../services/audit/audit-intents.ts";
import { renderEtag, type ObjectRow } from "../../services/objects/objects.ts";
import { findRetriedCompletion } from "../../services/objects/completed-uploads.ts";
import { writtenVersionHeader } from "../../services/objects/versions.ts";
import { writeCondition } from "./conditions.ts";
import { governanceBypass } from "./object-lock.ts";
import { elements, readXmlDocument, text } from "./xml-body.ts";
import { xml } from "./xml-response.ts";
import { encryptionHeaders } from "./object-encryption.ts";
import { eventOrigin } from "./event-origin.ts";


const partElement = z.object({
  PartNumber: z.string().trim().regex(/^\d{1,5}$/).transform(Number),
  ETag: z.string().trim().min(1),
});

async function requestedParts(c: Context<AppEnv>): Promise<(RequestedPart & { checksums: Record<string, string> })[]> {
  const doc = await readXmlDocument(c);
  const root = elements(doc.CompleteMultipartUpload)[0];
  if (!root) throw s3Error("MalformedXML");
  return elements(root.Part).map((p) => {
    const parsed = partElement.safeParse({ PartNumber: text(p.PartNumber), ETag: text(p.ETag) });
    if (!parsed.success) throw s3Error("MalformedXML", "Each Part needs a PartNumber and an ETag");
    return { partNumber: parsed.data.PartNumber, etag: parsed.data.ETag, checksums: listedPartChecksums(p) };
  });
}

/**
 * CompleteMultipartUpload (`POST /bucket/key?uploadId=`): the listed parts become one
 * object with the ETag `"<md5 of part md5s>-N"`. Honours If-None-Match / If-Match and
 * object lock like PutObject.
 */
export async function completeMultipartUploadHandler(c: Context<AppEnv>, bucketName: string, key: string): Promise<Response> {
  const { deps, customer, op } = c.var;
  assertObjectKey(key);
  const condition = writeCondition(c.req.raw.headers);
  const bucket = await findBucket(deps.db, customer.customerId, bucketName);
  const uploadId = c.var.s3Target.query.get("uploadId") ?? "";
  const upload = await findUpload(deps.db, bucket, key, uploadId).catch((err: unknown) => {
    if (isAppError(err) && err.code === "NoSuchUpload") return undefined;
    throw err;
  });
  if (!upload) {
    // Completed already? The same part list is answered again, as S3 answers a retried Complete.
    const done = await findRetriedCompletion(deps.db, bucket, key, uploadId, await requestedParts(c));
    if (!done) throw s3Error("NoSuchUpload", undefined, { resource: uploadId });
    op.info = { ...op.info, upload_id: uploadId, retried: true };
    return completeResult(c, bucketName, key, done);
  }
  op.info = { ...op.info, upload_id: upload.uploadId };
  const parts = await requestedParts(c);
  const stored = await allParts(deps.db, upload.uploadId);
  checkListedChecksums(upload, parts, stored);
  await checkExpectedChecksum(upload, parts, stored, (name) => c.req.header(name));
  const row = await completeUpload(deps, customer, bucket, upload, parts, {
    facts: { bucket: bucketName, key, sourceCountry: sourceCountryOf(c) },
    condition,
    bypassGovernance: await governanceBypass(c),
    origin: eventOrigin(c),
    intent: requestIntent(op, 200),
  });
  // The bytes arrived with the parts (and were counted there); this request only assembles them.
  op.info = { ...op.info, parts: parts.length, size: row.sizeBytes, storage_provider: row.storageProviderId, storage_country: row.storageCountry, sha256: row.sha256 };
  return completeResult(c, bucketName, key, row);
}

function completeResult(c: Context<AppEnv>, bucketName: string, key: string, row: ObjectRow): Response {
  const url = new URL(c.req.url);
  for (const [name, value] of Object.entries({ ...writtenVersionHeader(row.versionId), ...encryptionHeaders(c, row.encryption) })) c.header(name, value);
  return xml(c, {
    CompleteMultipartUploadResult: { "@_xmlns": S3_XMLNS, Location: `${url.origin}${c.var.s3Target.rawPath}`, Bucket: bucketName, Key: key, ETag: renderEtag(row), ...checksumResultElements(row.systemMetadata) },
  });
}
