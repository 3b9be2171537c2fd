import { assertObjectKey, s3Error } from "@s3gw/core";
import type { Context } from "hono";
import { sourceCountryOf } from "../../source-country.ts";
import type { AppEnv } from "../../env.ts";
import { empty } from "./xml-response.ts";
import { checkContent, checkWrite } from "../../services/access-policy.ts";
import { findBucket } from "../../services/buckets.ts";
import { assertMutable } from "../../services/object-lock.ts";
import { assertWriteCondition, commitObject, findObject } from "../../services/objects.ts";
import { residencyGate } from "../../services/residency-gate.ts";
import { parseTaggingHeader } from "../../services/tags.ts";
import { requestBody } from "./body.ts";
import { writeCondition } from "./conditions.ts";
import { parseContentMd5, readObjectHeaders } from "./object-headers.ts";
import { governanceBypass } from "./object-lock.ts";

/** S3's single-PUT ceiling; larger objects need multipart. */
const MAX_PUT_BYTES = 5 * 1024 ** 3;

export async function putObjectHandler(c: Context<AppEnv>, bucketName: string, key: string): Promise<Response> {
  const { deps, customer, op } = c.var;
  assertObjectKey(key);
  const body = requestBody(c);
  const expectedSize = body.size;
  if (expectedSize !== undefined && expectedSize > MAX_PUT_BYTES) throw s3Error("EntityTooLarge");
  const contentMd5 = parseContentMd5(c.req.header("content-md5"));
  const meta = { ...readObjectHeaders(c.req.raw.headers, c.var.s3Auth?.verified.headerText), tags: parseTaggingHeader(c.req.header("x-amz-tagging")) ?? {} };
  const condition = writeCondition(c.req.raw.headers);
  const bucket = await findBucket(deps.db, customer.customerId, bucketName);

  // Residency is decided before a single byte is accepted.
  const facts = { bucket: bucketName, key, sourceCountry: sourceCountryOf(c) };
  const write = await residencyGate(deps, customer, op, facts);
  const target = write.provider.location;
  await checkWrite(deps, customer, { ...facts, contentType: meta.contentType, declaredSize: expectedSize });
  const existing = await findObject(deps.db, bucket, key).catch(() => undefined);
  // Conditions and locks are checked before the bytes are accepted, and again at commit.
  assertWriteCondition(existing, condition, key);
  const lock = { bypassGovernance: existing ? await governanceBypass(c) : false };
  if (existing) assertMutable(existing, deps.clock.now(), key, lock);

  const tenant = write.tenant;
  const blob = await tenant.put(body.stream, {
    ...(expectedSize === undefined ? {} : { expectedSize }),
    ...(contentMd5 ? { contentMd5 } : {}),
    maxSize: MAX_PUT_BYTES,
  });
  try {
    await checkContent(deps, customer, { ...facts, sha256: blob.sha256Hex, size: blob.size, bucketId: bucket.bucketId });
  } catch (err) {
    await tenant.delete(blob.storageKey).catch(() => {});
    throw err;
  }
  const row = await commitObject(deps.db, deps.targets, write, bucket, key, blob, meta, deps.clock.now(), { ...lock, condition });
  op.bytes = blob.size;
  op.info = { ...op.info, residency: "ok", storage_provider: target.providerId, storage_country: target.country, sha256: row.sha256 };
  return empty(c, 200, {
    etag: `"${row.etag}"`,
    "x-amz-checksum-sha256": Buffer.from(row.sha256, "hex").toString("base64"),
  });
}
