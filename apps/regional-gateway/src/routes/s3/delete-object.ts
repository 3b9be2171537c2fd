import { assertObjectKey } from "@s3gw/core";
import type { Context } from "hono";
import type { AppEnv } from "../../env.ts";
import { empty } from "./xml-response.ts";
import { findBucket } from "../../services/objects/buckets.ts";
import { deleteObject } from "../../services/objects/object-delete.ts";
import { objectEventContext } from "../../services/events/object-events.ts";
import { parseVersionId } from "../../services/objects/versions.ts";
import { governanceBypass } from "./object-lock.ts";
import { eventOrigin } from "./event-origin.ts";
import { requestIntent } from "../../services/audit/audit-intents.ts";

/** S3 answers 204 whether or not the key (or version) existed; the version touched is in the headers. */
export async function deleteObjectHandler(c: Context<AppEnv>, bucketName: string, key: string): Promise<Response> {
  const { deps, customer, op } = c.var;
  assertObjectKey(key);
  const versionId = parseVersionId(c.var.s3Target.query.get("versionId"));
  const bucket = await findBucket(deps, customer.customerId, bucketName);
  const bypassGovernance = await governanceBypass(c);
  const event = { ctx: await objectEventContext(deps, bucket, eventOrigin(c)), family: "s3:ObjectRemoved" as const };
  const done = await deleteObject(deps.db, deps.targets, bucket, key, deps.clock.now(), { intent: requestIntent(op, 204), bypassGovernance, versionId, event });
  op.info = { ...op.info, existed: done.changed, ...(done.versionId ? { version_id: done.versionId } : {}), ...(done.deleteMarker ? { delete_marker: true } : {}) };
  const headers: Record<string, string> = {};
  if (done.versionId !== undefined) headers["x-amz-version-id"] = done.versionId;
  if (done.deleteMarker) headers["x-amz-delete-marker"] = "true";
  return empty(c, 204, headers);
}
