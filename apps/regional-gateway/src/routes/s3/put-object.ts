import { assertObjectKey, checkResidency, s3Error } from "@s3gw/core";
import { TenantStorage } from "@s3gw/storage";
import type { Context } from "hono";
import { isCrossBorder, sourceCountryOf } from "../../source-country.ts";
import type { AppEnv } from "../../env.ts";
import { empty } from "./xml-response.ts";
import { checkContent, checkWrite } from "../../services/access-policy.ts";
import { findBucket } from "../../services/buckets.ts";
import { raiseComplianceEvent } from "../../services/compliance-events.ts";
import { assertMutable } from "../../services/object-lock.ts";
import { commitObject, findObject } from "../../services/objects.ts";
import { requestBody } from "./body.ts";
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
  const meta = readObjectHeaders(c.req.raw.headers);
  const bucket = await findBucket(deps.db, customer.customerId, bucketName);

  // Residency is decided before a single byte is accepted.
  const target = deps.storage.location;
  const decision = checkResidency(
    { customerId: customer.customerId, homeRegionId: customer.regionId, country: customer.country, requirement: customer.dataResidencyRequirement },
    target,
  );
  op.crossBorder = decision.crossBorder || isCrossBorder(sourceCountryOf(c), target.country, customer.country);
  if (!decision.allowed) {
    op.info = { residency: "violation", reason: decision.reason, target };
    await raiseComplianceEvent(deps.db, deps.clock.now(), {
      customerId: customer.customerId,
      eventType: "data_residency_violation",
      severity: "high",
      description: `Write refused: ${decision.reason}`,
      bucketName,
      objectKey: key,
      details: { target, requirement: customer.dataResidencyRequirement, customer_country: customer.country },
      remediationHours: 24,
    });
    throw s3Error("DataResidencyViolation", decision.reason, { resource: `/${bucketName}/${key}` });
  }

  const facts = { bucket: bucketName, key, sourceCountry: sourceCountryOf(c) };
  await checkWrite(deps, customer, { ...facts, contentType: meta.contentType, declaredSize: expectedSize });
  const existing = await findObject(deps.db, bucket, key).catch(() => undefined);
  const lock = { bypassGovernance: existing ? await governanceBypass(c) : false };
  if (existing) assertMutable(existing, deps.clock.now(), key, lock);

  const tenant = new TenantStorage(deps.storage, customer.customerId);
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
  const row = await commitObject(deps.db, deps.storage, tenant, bucket, key, blob, meta, deps.clock.now(), lock);
  op.bytes = blob.size;
  op.info = { ...op.info, residency: "ok", storage_provider: target.providerId, storage_country: target.country, sha256: row.sha256 };
  return empty(c, 200, {
    etag: `"${row.etag}"`,
    "x-amz-checksum-sha256": Buffer.from(row.sha256, "hex").toString("base64"),
  });
}
