import { assertObjectKey, S3_XMLNS, s3Error } from "@s3gw/core";
import type { Context } from "hono";
import type { AppEnv } from "../../env.ts";
import { sourceCountryOf } from "../../source-country.ts";
import { prepareObjectWrite, storeObject } from "../../services/objects/object-write.ts";
import { checkedCopySource } from "../../services/objects/integrity-read.ts";
import { renderEtag, type NewObject } from "../../services/objects/objects.ts";
import { parseTaggingHeader } from "../../services/objects/tags.ts";
import { writeCondition } from "./conditions.ts";
import { openCopySource, parseCopySource } from "./copy-source.ts";
import { readObjectHeaders } from "./object-headers.ts";
import { governanceBypass } from "./object-lock.ts";
import { parseLockHeaders } from "./object-lock-headers.ts";
import { isoDate, xml } from "./xml-response.ts";
import { findBucket } from "../../services/objects/buckets.ts";
import { versionHeader, writtenVersionHeader } from "../../services/objects/versions.ts";
import { encryptionHeaders, requestedSse } from "./object-encryption.ts";
import { eventOrigin } from "./event-origin.ts";

/** The source version's id goes out as `x-amz-copy-source-version-id`. */
const renameVersionHeader = (h: Record<string, string>): Record<string, string> =>
  h["x-amz-version-id"] === undefined ? {} : { "x-amz-copy-source-version-id": h["x-amz-version-id"] };

/** S3's ceiling for a single CopyObject; larger objects are copied part by part (UploadPartCopy). */
const MAX_COPY_BYTES = 5 * 1024 ** 3;

function directive(c: Context<AppEnv>, name: "metadata" | "tagging"): "COPY" | "REPLACE" {
  const v = c.req.header(`x-amz-${name}-directive`) ?? "COPY";
  if (v !== "COPY" && v !== "REPLACE") throw s3Error("InvalidArgument", `Unknown ${name} directive.`, { resource: `x-amz-${name}-directive` });
  return v;
}

/**
 * CopyObject (`PUT /bucket/key` with `x-amz-copy-source`), within the caller's own buckets.
 * The source is read under the read rules, the destination written through the object-write
 * service (target, residency, rules, lock and condition, bytes, content rules, commit).
 */
export async function copyObjectHandler(c: Context<AppEnv>, bucketName: string, key: string): Promise<Response> {
  const { deps, customer, op } = c.var;
  assertObjectKey(key);
  const src = parseCopySource(c);
  op.info = { ...op.info, copy_source: `${src.bucket}/${src.key}` };
  const metadataDirective = directive(c, "metadata");
  const taggingDirective = directive(c, "tagging");
  const sse = requestedSse(c);
  if (src.bucket === bucketName && src.key === key && src.versionId === undefined && metadataDirective !== "REPLACE" && sse === undefined) {
    throw s3Error("InvalidRequest", "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.");
  }
  const sourceCountry = sourceCountryOf(c);
  const ctx = { deps, customer, op };
  const source = await openCopySource(c, src);
  const checked = checkedCopySource(source);
  try {
    if (source.row.sizeBytes > MAX_COPY_BYTES) {
      throw s3Error("InvalidRequest", `The specified copy source is larger than the maximum allowable size for a copy source: ${MAX_COPY_BYTES}`);
    }
    const headers = metadataDirective === "REPLACE" ? readObjectHeaders(c.req.raw.headers, c.var.s3Auth?.verified.headerText) : source.row;
    const tags = taggingDirective === "REPLACE" ? (parseTaggingHeader(c.req.header("x-amz-tagging")) ?? {}) : source.row.tags;
    const meta: NewObject = { contentType: headers.contentType, userMetadata: headers.userMetadata, systemMetadata: headers.systemMetadata, tags };
    const prepared = await prepareObjectWrite({
      ctx,
      input: { bucketName, key, sourceCountry, contentType: meta.contentType, declaredSize: source.row.sizeBytes, condition: writeCondition(c.req.raw.headers), bypassGovernance: () => governanceBypass(c), lock: parseLockHeaders(c.req.raw.headers, deps.clock.now()), sse, event: { name: "s3:ObjectCreated:Copy", origin: eventOrigin(c) } },
    });
    const row = await storeObject({
      ctx,
      prepared,
      input: {
        key, sourceCountry, meta,
        bytes: (tenant, dataKey) => tenant.put(checked.body, { expectedSize: source.row.sizeBytes }, dataKey),
        // The bytes read must be the bytes the source's metadata vouches for; a damaged source is not copied.
        verify: (blob) => {
          if (!checked.intact(blob)) throw s3Error("InternalError", "The copy source failed its integrity check");
        },
      },
    });
    op.info = { ...op.info, size: row.sizeBytes, ...(row.versionId !== "null" ? { version_id: row.versionId } : {}) };
    const sourceBucket = await findBucket(deps, customer.customerId, src.bucket);
    const versionHeaders = {
      ...writtenVersionHeader(row.versionId),
      ...encryptionHeaders(c, row.encryption, sse, true),
      ...renameVersionHeader(versionHeader(sourceBucket.versioning, source.row.versionId)),
    };
    for (const [name, value] of Object.entries(versionHeaders)) c.header(name, value);
    return xml(c, { CopyObjectResult: { "@_xmlns": S3_XMLNS, LastModified: isoDate(row.lastModified), ETag: renderEtag(row) } });
  } finally {
    source.body.destroy();
  }
}
