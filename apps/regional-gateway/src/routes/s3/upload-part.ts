import { assertObjectKey, s3Error, type ChecksumAlgorithm } from "@s3gw/core";
import type { Context } from "hono";
import { z } from "zod";
import type { AppEnv } from "../../env.ts";
import { isCrossBorder, sourceCountryOf } from "../../source-country.ts";
import { findBucket } from "../../services/objects/buckets.ts";
import { findUpload, MAX_PART_SIZE, MAX_PARTS, recordPart, type UploadRow } from "../../services/objects/multipart.ts";
import { requestBody } from "./body.ts";
import { bodyChecksumSpec, checksummed, checksumResponseHeader } from "./body-checksum.ts";
import { parseContentMd5 } from "./object-headers.ts";
import { empty } from "./xml-response.ts";
import { newBlobKey } from "../../services/encryption/object-sealing.ts";
import { encryptionHeaders, givenCustomerKey, partSealing } from "./object-encryption.ts";

const partQuery = z.object({
  partNumber: z.string().regex(/^\d{1,5}$/).transform(Number).refine((n) => n >= 1 && n <= MAX_PARTS),
  uploadId: z.string().min(1).max(128),
});

/** The upload a part request names, checked to be this bucket's and key's and still bound for this region's storage. */
export async function partTarget(c: Context<AppEnv>, bucketName: string, key: string): Promise<{ upload: UploadRow; partNumber: number }> {
  const { deps, customer, op } = c.var;
  assertObjectKey(key);
  const q = partQuery.safeParse(Object.fromEntries(c.var.s3Target.query));
  if (!q.success) throw s3Error("InvalidArgument", `Part number must be an integer between 1 and ${MAX_PARTS}, inclusive`, { resource: "partNumber" });
  const bucket = await findBucket(deps.db, customer.customerId, bucketName);
  const upload = await findUpload(deps.db, bucket, key, q.data.uploadId);
  // Residency was decided at create for the storage target recorded then; parts go there and nowhere else.
  op.crossBorder = isCrossBorder(sourceCountryOf(c), upload.storageCountry, customer.country);
  op.info = { ...op.info, upload_id: upload.uploadId, part_number: q.data.partNumber };
  return { upload, partNumber: q.data.partNumber };
}

/**
 * UploadPart (`PUT /bucket/key?partNumber=N&uploadId=`): the part streams to its own blob. Its
 * flexible checksum (header or trailer; the upload's algorithm, computed here if not sent) is
 * checked on the way and kept with the part. Uploading a part number again replaces the part.
 */
export async function uploadPartHandler(c: Context<AppEnv>, bucketName: string, key: string): Promise<Response> {
  const { deps, customer, op } = c.var;
  const body = requestBody(c);
  if (body.size !== undefined && body.size > MAX_PART_SIZE) throw s3Error("EntityTooLarge");
  const contentMd5 = parseContentMd5(c.req.header("content-md5"));
  const { upload, partNumber } = await partTarget(c, bucketName, key);
  const spec = bodyChecksumSpec(c, upload.checksumAlgorithm as ChecksumAlgorithm | null);
  const checked = spec && checksummed(body.stream, spec);
  const tenant = await deps.targets.recorded(customer.customerId, upload.storageProviderId);
  const given = givenCustomerKey(c);
  const sealed = await newBlobKey(deps, customer.customerId, await partSealing(c, upload, given, tenant.provider));
  const blob = await tenant.put(checked?.stream ?? body.stream, {
    ...(body.size === undefined ? {} : { expectedSize: body.size }),
    ...(contentMd5 ? { contentMd5 } : {}),
    maxSize: MAX_PART_SIZE,
  }, sealed.dataKey);
  // Only the upload's own algorithm is kept: the object's composite checksum is made of those.
  const checksum = checked && upload.checksumAlgorithm ? checked.value() : null;
  const part = await recordPart(deps.db, tenant, upload, { partNumber, blob, encryption: sealed.encryption, checksum }, deps.clock.now());
  op.bytes = blob.size;
  return empty(c, 200, { etag: `"${part.etag}"`, ...encryptionHeaders(c, upload.encryption, given), ...(spec && checked ? checksumResponseHeader(spec, checked.value()) : {}) });
}
