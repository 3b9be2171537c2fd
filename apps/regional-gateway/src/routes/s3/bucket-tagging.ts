import { S3_XMLNS, s3Error } from "@s3gw/core";
import type { Context } from "hono";
import type { AppEnv } from "../../env.ts";
import { deleteBucketTags, getBucketTags, putBucketTags, validateBucketTags } from "../../services/objects/bucket-tags.ts";
import { findBucket } from "../../services/objects/buckets.ts";
import { readTagSetBody } from "./tag-set-xml.ts";
import { empty, xml } from "./xml-response.ts";

export async function putBucketTaggingHandler(c: Context<AppEnv>, bucketName: string): Promise<Response> {
  const { deps, customer, op } = c.var;
  const bucket = await findBucket(deps, customer.customerId, bucketName);
  const tags = validateBucketTags(await readTagSetBody(c));
  await putBucketTags(deps, bucket, tags);
  op.info = { tags: tags.length };
  return empty(c, 204);
}

export async function getBucketTaggingHandler(c: Context<AppEnv>, bucketName: string): Promise<Response> {
  const { deps, customer } = c.var;
  const tags = await getBucketTags(deps, await findBucket(deps, customer.customerId, bucketName));
  if (!tags) throw s3Error("NoSuchTagSet", undefined, { resource: bucketName });
  const tagSet = tags.map(([Key, Value]) => ({ Key, Value }));
  return xml(c, { Tagging: { "@_xmlns": S3_XMLNS, TagSet: { Tag: tagSet } } });
}

export async function deleteBucketTaggingHandler(c: Context<AppEnv>, bucketName: string): Promise<Response> {
  const { deps, customer, op } = c.var;
  op.info = { removed: await deleteBucketTags(deps, await findBucket(deps, customer.customerId, bucketName)) };
  return empty(c, 204);
}
