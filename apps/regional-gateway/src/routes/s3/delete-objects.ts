import { assertObjectKey, isAppError, S3_XMLNS, s3Error } from "@s3gw/core";
import type { Context } from "hono";
import type { AppEnv } from "../../env.ts";
import { findBucket } from "../../services/objects/buckets.ts";
import { deleteObject } from "../../services/objects/object-delete.ts";
import { parseVersionId } from "../../services/objects/versions.ts";
import { assertBucketPolicyAllows } from "./authorize.ts";
import { governanceBypass } from "./object-lock.ts";
import { elements, readXmlDocument, text } from "./xml-body.ts";
import { xml } from "./xml-response.ts";
import { eventOrigin } from "./event-origin.ts";
import { objectEventContext } from "../../services/events/object-events.ts";
import { requestIntent } from "../../services/audit/audit-intents.ts";

/** S3's batch limit. */
const MAX_KEYS = 1000;
/** How many keys the operations log names per request; the counts are always complete. */
const LOGGED_KEYS = 100;

interface Failure { key: string; versionId: string | undefined; code: string; message: string }
interface Deleted { key: string; versionId: string | undefined; marker: string | undefined }

async function requestedKeys(c: Context<AppEnv>): Promise<{ keys: { key: string; versionId: string | undefined }[]; quiet: boolean }> {
  const doc = await readXmlDocument(c);
  const root = elements(doc.Delete)[0];
  if (!root) throw s3Error("MalformedXML");
  const objects = elements(root.Object);
  if (objects.length === 0 || objects.length > MAX_KEYS) throw s3Error("MalformedXML", `A Delete request names 1 to ${MAX_KEYS} objects`);
  const keys = objects.map((o) => {
    const key = text(o.Key);
    if (key === undefined) throw s3Error("MalformedXML", "Each Object needs a Key");
    return { key, versionId: text(o.VersionId)?.trim() };
  });
  return { keys, quiet: text(root.Quiet)?.trim().toLowerCase() === "true" };
}

/**
 * DeleteObjects (`POST /bucket?delete`): each key is deleted on its own, under the same rules
 * as DeleteObject; a key that may not be deleted (held, retained) is reported as an Error and
 * the others proceed. Quiet mode reports only the errors.
 */
export async function deleteObjectsHandler(c: Context<AppEnv>, bucketName: string): Promise<Response> {
  const { deps, customer, op } = c.var;
  const { keys, quiet } = await requestedKeys(c);
  const bucket = await findBucket(deps.db, customer.customerId, bucketName);
  const bypassGovernance = await governanceBypass(c);
  const event = { ctx: await objectEventContext(deps, bucket, eventOrigin(c)), family: "s3:ObjectRemoved" as const };
  // One intent for the request: its one row covers every key it deletes.
  const intent = requestIntent(op, 200);
  const deleted: Deleted[] = [];
  const failed: Failure[] = [];
  for (const { key, versionId: rawVersionId } of keys) {
    try {
      assertObjectKey(key);
      const versionId = parseVersionId(rawVersionId);
      // Each key is a DeleteObject of its own for the bucket policy (the request named none).
      await assertBucketPolicyAllows(c, { bucket: bucketName, key, action: "s3:DeleteObject", versioned: versionId !== undefined, accessKeyId: c.var.s3Auth?.key.accessKeyId });
      const done = await deleteObject(deps.db, deps.targets, bucket, key, deps.clock.now(), { intent, bypassGovernance, versionId, event });
      deleted.push({ key, versionId, marker: done.deleteMarker ? done.versionId : undefined });
    } catch (err) {
      if (!isAppError(err)) throw err;
      failed.push({ key, versionId: rawVersionId, code: err.code, message: err.message });
    }
  }
  op.info = {
    ...op.info,
    quiet,
    requested: keys.length,
    deleted: deleted.length,
    errors: failed.length,
    deleted_keys: deleted.slice(0, LOGGED_KEYS).map((d) => (d.versionId ? `${d.key}?versionId=${d.versionId}` : d.key)),
    failed_keys: failed.slice(0, LOGGED_KEYS).map((f) => ({ key: f.key, code: f.code })),
  };
  return xml(c, {
    DeleteResult: {
      "@_xmlns": S3_XMLNS,
      Deleted: quiet ? [] : deleted.map((d) => ({
        Key: d.key,
        ...(d.versionId !== undefined ? { VersionId: d.versionId } : {}),
        ...(d.marker !== undefined ? { DeleteMarker: true, DeleteMarkerVersionId: d.marker } : {}),
      })),
      Error: failed.map((f) => ({ Key: f.key, ...(f.versionId !== undefined ? { VersionId: f.versionId } : {}), Code: f.code, Message: f.message })),
    },
  });
}
