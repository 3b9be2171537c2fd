import { assertObjectKey } from "@s3gw/core";
import type { Context } from "hono";
import type { AppEnv } from "../../env.ts";
import { empty } from "./xml-response.ts";
import { findBucket } from "../../services/objects/buckets.ts";
import { deleteObject } from "../../services/objects/objects.ts";
import { governanceBypass } from "./object-lock.ts";

/** S3 answers 204 whether or not the key existed. */
export async function deleteObjectHandler(c: Context<AppEnv>, bucketName: string, key: string): Promise<Response> {
  const { deps, customer, op } = c.var;
  assertObjectKey(key);
  const bucket = await findBucket(deps, customer.customerId, bucketName);
  const bypassGovernance = await governanceBypass(c);
  const existed = await deleteObject(deps.db, deps.targets, bucket, key, deps.clock.now(), { bypassGovernance });
  op.info = { ...op.info, existed };
  return empty(c, 204);
}
