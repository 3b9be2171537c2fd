import { assertObjectKey, S3_XMLNS, s3Error } from "@s3gw/core";
import type { StoredBlob } from "@s3gw/storage";
import type { Context } from "hono";
import type { AppEnv } from "../../env.ts";
import { sourceCountryOf } from "../../source-country.ts";
import { checkContent, checkWrite } from "../../services/access-policy.ts";
import { findBucket } from "../../services/buckets.ts";
import { assertMutable } from "../../services/object-lock.ts";
import { assertWriteCondition, commitObject, findObject, renderEtag, type NewObject } from "../../services/objects.ts";
import { residencyGate } from "../../services/residency-gate.ts";
import { parseTaggingHeader } from "../../services/tags.ts";
import { writeCondition } from "./conditions.ts";
import { openCopySource, parseCopySource } from "./copy-source.ts";
import { readObjectHeaders } from "./object-headers.ts";
import { governanceBypass } from "./object-lock.ts";
import { isoDate, xml } from "./xml-response.ts";

/** S3's ceiling for a single CopyObject; larger objects are copied part by part (UploadPartCopy). */
const MAX_COPY_BYTES = 5 * 1024 ** 3;

function directive(c: Context<AppEnv>, name: "metadata" | "tagging"): "COPY" | "REPLACE" {
  const v = c.req.header(`x-amz-${name}-directive`) ?? "COPY";
  if (v !== "COPY" && v !== "REPLACE") throw s3Error("InvalidArgument", `Unknown ${name} directive.`, { resource: `x-amz-${name}-directive` });
  return v;
}

/**
 * CopyObject (`PUT /bucket/key` with `x-amz-copy-source`), within the caller's own buckets.
 * The source is read under the read rules, the destination written under the write rules
 * (residency, content rules, object lock, conditional write); bytes stream blob to blob.
 */
export async function copyObjectHandler(c: Context<AppEnv>, bucketName: string, key: string): Promise<Response> {
  const { deps, customer, op } = c.var;
  assertObjectKey(key);
  const src = parseCopySource(c);
  op.info = { ...op.info, copy_source: `${src.bucket}/${src.key}` };
  const metadataDirective = directive(c, "metadata");
  const taggingDirective = directive(c, "tagging");
  if (src.bucket === bucketName && src.key === key && metadataDirective !== "REPLACE") {
    throw s3Error("InvalidRequest", "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.");
  }
  const condition = writeCondition(c.req.raw.headers);
  const bucket = await findBucket(deps.db, customer.customerId, bucketName);
  const facts = { bucket: bucketName, key, sourceCountry: sourceCountryOf(c) };
  const write = await residencyGate(deps, customer, op, facts);
  const target = write.provider.location;

  const source = await openCopySource(c, src);
  const tenant = write.tenant;
  let blob: StoredBlob;
  let meta: NewObject;
  let lock: { bypassGovernance: boolean };
  try {
    if (source.row.sizeBytes > MAX_COPY_BYTES) {
      throw s3Error("InvalidRequest", `The specified copy source is larger than the maximum allowable size for a copy source: ${MAX_COPY_BYTES}`);
    }
    const headers = metadataDirective === "REPLACE" ? readObjectHeaders(c.req.raw.headers, c.var.s3Auth?.verified.headerText) : source.row;
    const tags = taggingDirective === "REPLACE" ? (parseTaggingHeader(c.req.header("x-amz-tagging")) ?? {}) : source.row.tags;
    meta = { contentType: headers.contentType, userMetadata: headers.userMetadata, systemMetadata: headers.systemMetadata, tags };
    await checkWrite(deps, customer, { ...facts, contentType: meta.contentType, declaredSize: source.row.sizeBytes });
    const existing = await findObject(deps.db, bucket, key).catch(() => undefined);
    assertWriteCondition(existing, condition, key);
    lock = { bypassGovernance: existing ? await governanceBypass(c) : false };
    if (existing) assertMutable(existing, deps.clock.now(), key, lock);
    blob = await tenant.put(source.body, { expectedSize: source.row.sizeBytes });
  } finally {
    source.body.destroy();
  }
  try {
    // The bytes read must be the bytes the source's metadata vouches for; a damaged source is not copied.
    if (blob.sha256Hex !== source.row.sha256) throw s3Error("InternalError", "The copy source failed its integrity check");
    await checkContent(deps, customer, { ...facts, sha256: blob.sha256Hex, size: blob.size, bucketId: bucket.bucketId });
  } catch (err) {
    await tenant.delete(blob.storageKey).catch(() => {});
    throw err;
  }
  const row = await commitObject(deps.db, deps.targets, write, bucket, key, blob, meta, deps.clock.now(), { ...lock, condition });
  op.info = { ...op.info, size: blob.size, residency: "ok", storage_provider: target.providerId, storage_country: target.country, sha256: row.sha256 };
  return xml(c, { CopyObjectResult: { "@_xmlns": S3_XMLNS, LastModified: isoDate(row.lastModified), ETag: renderEtag(row) } });
}
