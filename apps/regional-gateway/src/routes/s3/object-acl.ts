import { assertObjectKey } from "@s3gw/core";
import type { Context } from "hono";
import type { AppEnv } from "../../env.ts";
import { findBucket } from "../../services/objects/buckets.ts";
import { findObject } from "../../services/objects/objects.ts";
import { ownerOnlyAcl, readOwnerOnlyAcl } from "./acl-document.ts";
import { empty, xml } from "./xml-response.ts";
import { eventOrigin } from "./event-origin.ts";
import { objectEventContext, recordObjectEvent } from "../../services/events/object-events.ts";

/** The object must exist (NoSuchKey otherwise), as in S3; every version has the same, owner-only ACL. */
async function existing(c: Context<AppEnv>, bucketName: string, key: string) {
  const { deps, customer } = c.var;
  assertObjectKey(key);
  const bucket = await findBucket(deps, customer.customerId, bucketName);
  return { bucket, row: await findObject(deps.db, bucket, key) };
}

export async function getObjectAclHandler(c: Context<AppEnv>, bucketName: string, key: string): Promise<Response> {
  await existing(c, bucketName, key);
  return xml(c, ownerOnlyAcl(c.var.customer.customerId));
}

export async function putObjectAclHandler(c: Context<AppEnv>, bucketName: string, key: string): Promise<Response> {
  const { deps } = c.var;
  const { bucket, row } = await existing(c, bucketName, key);
  c.var.op.info = { ...c.var.op.info, acl: await readOwnerOnlyAcl(c) };
  // The ACL stays owner-only, but the call succeeded, and S3 publishes `ObjectAcl:Put` for it.
  const event = await objectEventContext(deps, bucket, eventOrigin(c));
  if (event) await deps.db.transaction((tx) => recordObjectEvent(tx, event, "s3:ObjectAcl:Put", { key, versionId: row.versionId }, deps.clock.now()));
  return empty(c, 200);
}
