import { assertObjectKey, S3_XMLNS } from "@s3gw/core";
import type { Context } from "hono";
import type { AppEnv } from "../../env.ts";
import { sourceCountryOf } from "../../source-country.ts";
import { findBucket } from "../../services/objects/buckets.ts";
import { abortUpload, createUpload, findUpload } from "../../services/objects/multipart.ts";
import { prepareObjectWrite } from "../../services/objects/object-write.ts";
import { parseTaggingHeader } from "../../services/objects/tags.ts";
import { readObjectHeaders } from "./object-headers.ts";
import { governanceBypass } from "./object-lock.ts";
import { parseLockHeaders } from "./object-lock-headers.ts";
import { withUploadLock } from "../../services/objects/upload-lock.ts";
import { requestedUploadChecksum } from "../../services/objects/multipart-checksums.ts";
import { empty, xml } from "./xml-response.ts";
import { encryptionHeaders, requestedSse } from "./object-encryption.ts";

/**
 * CreateMultipartUpload (`POST /bucket/key?uploads`). Residency and the write rules are
 * decided here, before any part is accepted; the storage target is recorded on the upload.
 * A protected key is refused now rather than after the client has sent every part.
 */
export async function createMultipartUploadHandler(c: Context<AppEnv>, bucketName: string, key: string): Promise<Response> {
  const { deps, customer, op } = c.var;
  assertObjectKey(key);
  const meta = readObjectHeaders(c.req.raw.headers, c.var.s3Auth?.verified.headerText);
  const checksum = requestedUploadChecksum(c.req.header("x-amz-checksum-algorithm"), c.req.header("x-amz-checksum-type"));
  const tags = parseTaggingHeader(c.req.header("x-amz-tagging")) ?? {};
  const sse = requestedSse(c);
  const { bucket, write, objectLock, sealing } = await prepareObjectWrite({
    ctx: { deps, customer, op },
    input: { bucketName, key, sourceCountry: sourceCountryOf(c), contentType: meta.contentType, declaredSize: undefined, bypassGovernance: () => governanceBypass(c), lock: parseLockHeaders(c.req.raw.headers, deps.clock.now()), sse },
  });
  const target = write.provider.location;

  const upload = await createUpload(deps.db, {
    customerId: customer.customerId,
    bucketId: bucket.bucketId,
    bucketName,
    objectKey: key,
    storageProviderId: target.providerId,
    storageCountry: target.country,
    contentType: meta.contentType,
    userMetadata: meta.userMetadata,
    systemMetadata: withUploadLock(meta.systemMetadata, objectLock),
    tags,
    checksumAlgorithm: checksum?.algorithm ?? null,
    checksumType: checksum?.type ?? null,
    encryption: sealing?.selection ?? null,
    initiatedAt: deps.clock.now(),
  });
  for (const [name, value] of Object.entries(encryptionHeaders(c, sealing?.selection ?? null, sse, true))) c.header(name, value);
  if (checksum) {
    c.header("x-amz-checksum-algorithm", checksum.algorithm);
    c.header("x-amz-checksum-type", checksum.type);
  }
  op.info = { ...op.info, upload_id: upload.uploadId, residency: "ok", storage_provider: target.providerId, storage_country: target.country };
  return xml(c, { InitiateMultipartUploadResult: { "@_xmlns": S3_XMLNS, Bucket: bucketName, Key: key, UploadId: upload.uploadId } });
}

/** AbortMultipartUpload (`DELETE /bucket/key?uploadId=`): the parts' bytes and rows are removed. */
export async function abortMultipartUploadHandler(c: Context<AppEnv>, bucketName: string, key: string): Promise<Response> {
  const { deps, customer, op } = c.var;
  assertObjectKey(key);
  const bucket = await findBucket(deps.db, customer.customerId, bucketName);
  const upload = await findUpload(deps.db, bucket, key, c.var.s3Target.query.get("uploadId") ?? "");
  const removed = await abortUpload(deps.db, await deps.targets.recorded(customer.customerId, upload.storageProviderId), upload.uploadId);
  op.info = { upload_id: upload.uploadId, parts_removed: removed };
  return empty(c, 204);
}
