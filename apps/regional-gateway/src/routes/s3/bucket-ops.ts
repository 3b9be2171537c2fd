import { s3Error } from "@s3gw/core";
import type { Context } from "hono";
import type { AppEnv } from "../../env.ts";
import { createBucket, deleteBucket, findBucket } from "../../services/objects/buckets.ts";
import { empty, xml } from "./xml-response.ts";
import { readXmlDocument } from "./xml-body.ts";
import { checkLocationConstraint } from "./location-constraint.ts";

function hasBody(c: Context<AppEnv>): boolean {
  const length = c.req.header("content-length");
  return c.req.header("transfer-encoding") !== undefined || (length !== undefined && length !== "0");
}

/**
 * Re-creating a bucket the customer already owns answers as AWS in us-east-1 when no location
 * is named (our "the customer's home region", the analogue of that legacy default): 200, and
 * nothing about the bucket changes. Naming the region, as outside us-east-1, or asking for
 * object lock the bucket lacks (which a 200 would claim was done) stays 409 BucketAlreadyOwnedByYou.
 * Names are per customer: another customer's bucket of the same name is never seen here.
 */
export async function createBucketHandler(c: Context<AppEnv>, bucket: string): Promise<Response> {
  const { deps, customer, op } = c.var;
  // The optional CreateBucketConfiguration names where the bucket should live: only this region is accepted.
  const namedHere = hasBody(c) ? await checkLocationConstraint(c, bucket, await readXmlDocument(c)) : false;
  const objectLock = objectLockRequested(c);
  const outcome = await createBucket(deps, customer.customerId, deps.config.region.region_id, bucket, deps.clock.now(), { objectLock });
  if (!outcome.created) {
    if (namedHere || (objectLock && !outcome.existing.objectLockEnabled)) throw s3Error("BucketAlreadyOwnedByYou", undefined, { resource: bucket });
    // Audited as what it was: no bucket made, none changed.
    op.info = { ...op.info, already_owned: true };
  }
  return empty(c, 200, { location: `/${bucket}` });
}

/** `x-amz-bucket-object-lock-enabled: true` creates the bucket with object lock (and versioning) on. */
function objectLockRequested(c: Context<AppEnv>): boolean {
  const v = c.req.header("x-amz-bucket-object-lock-enabled")?.trim().toLowerCase();
  if (v !== undefined && v !== "true" && v !== "false") throw s3Error("InvalidArgument", "x-amz-bucket-object-lock-enabled must be true or false", { resource: "x-amz-bucket-object-lock-enabled" });
  return v === "true";
}

export async function headBucketHandler(c: Context<AppEnv>, bucket: string): Promise<Response> {
  const { deps, customer } = c.var;
  const row = await findBucket(deps, customer.customerId, bucket);
  return empty(c, 200, { "x-amz-bucket-region": row.regionId });
}

export async function deleteBucketHandler(c: Context<AppEnv>, bucket: string): Promise<Response> {
  const { deps, customer, op } = c.var;
  const aborted = await deleteBucket(deps, customer.customerId, bucket);
  if (aborted.length > 0) op.info = { aborted_uploads: aborted.length };
  // After the commit; bytes a failure leaves behind are unreferenced, and the stray sweeper removes them.
  for (const upload of aborted) {
    const tenant = await deps.targets.recorded(customer.customerId, upload.providerId).catch(() => undefined);
    for (const key of upload.storageKeys) await tenant?.delete(key).catch(() => {});
  }
  return empty(c, 204);
}

export async function getBucketLocationHandler(c: Context<AppEnv>, bucket: string): Promise<Response> {
  const { deps, customer } = c.var;
  const row = await findBucket(deps, customer.customerId, bucket);
  return xml(c, { LocationConstraint: { "@_xmlns": "http://s3.amazonaws.com/doc/2006-03-01/", "#text": row.regionId } });
}
