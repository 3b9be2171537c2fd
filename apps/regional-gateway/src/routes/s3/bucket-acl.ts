import type { Context } from "hono";
import type { AppEnv } from "../../env.ts";
import { findBucket } from "../../services/objects/buckets.ts";
import { ownerOnlyAcl, readOwnerOnlyAcl } from "./acl-document.ts";
import { empty, xml } from "./xml-response.ts";

export async function getBucketAclHandler(c: Context<AppEnv>, bucketName: string): Promise<Response> {
  const { deps, customer } = c.var;
  await findBucket(deps, customer.customerId, bucketName);
  return xml(c, ownerOnlyAcl(customer.customerId));
}

export async function putBucketAclHandler(c: Context<AppEnv>, bucketName: string): Promise<Response> {
  const { deps, customer, op } = c.var;
  await findBucket(deps, customer.customerId, bucketName);
  op.info = { ...op.info, acl: await readOwnerOnlyAcl(c) };
  return empty(c, 200);
}
