import { assertObjectKey } from "@s3gw/core";
import type { Context } from "hono";
import type { AppEnv } from "../../env.ts";
import { findBucket } from "../../services/objects/buckets.ts";
import { findObject } from "../../services/objects/objects.ts";
import { ownerOnlyAcl, readOwnerOnlyAcl } from "./acl-document.ts";
import { empty, xml } from "./xml-response.ts";

/** The object must exist (NoSuchKey otherwise), as in S3; every version has the same, owner-only ACL. */
async function existing(c: Context<AppEnv>, bucketName: string, key: string): Promise<void> {
  const { deps, customer } = c.var;
  assertObjectKey(key);
  await findObject(deps.db, await findBucket(deps, customer.customerId, bucketName), key);
}

export async function getObjectAclHandler(c: Context<AppEnv>, bucketName: string, key: string): Promise<Response> {
  await existing(c, bucketName, key);
  return xml(c, ownerOnlyAcl(c.var.customer.customerId));
}

export async function putObjectAclHandler(c: Context<AppEnv>, bucketName: string, key: string): Promise<Response> {
  await existing(c, bucketName, key);
  c.var.op.info = { ...c.var.op.info, acl: await readOwnerOnlyAcl(c) };
  return empty(c, 200);
}
