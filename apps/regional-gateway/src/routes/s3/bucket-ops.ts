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

export async function createBucketHandler(c: Context<AppEnv>, bucket: string): Promise<Response> {
  const { deps, customer } = c.var;
  // The optional CreateBucketConfiguration names where the bucket should live: only this region is accepted.
  if (hasBody(c)) await checkLocationConstraint(c, bucket, await readXmlDocument(c));
  await createBucket(deps, customer.customerId, deps.config.region.region_id, bucket, deps.clock.now());
  return empty(c, 200, { location: `/${bucket}` });
}

export async function headBucketHandler(c: Context<AppEnv>, bucket: string): Promise<Response> {
  const { deps, customer } = c.var;
  const row = await findBucket(deps, customer.customerId, bucket);
  return empty(c, 200, { "x-amz-bucket-region": row.regionId });
}

export async function deleteBucketHandler(c: Context<AppEnv>, bucket: string): Promise<Response> {
  const { deps, customer } = c.var;
  await deleteBucket(deps, customer.customerId, bucket);
  return empty(c, 204);
}

export async function getBucketLocationHandler(c: Context<AppEnv>, bucket: string): Promise<Response> {
  const { deps, customer } = c.var;
  const row = await findBucket(deps, customer.customerId, bucket);
  return xml(c, { LocationConstraint: { "@_xmlns": "http://s3.amazonaws.com/doc/2006-03-01/", "#text": row.regionId } });
}
