import { isAppError } from "@s3gw/core";
import type { Deps } from "../../../env.ts";
import { findHomedCustomer } from "../../access/customers.ts";
import type { Bucket } from "../../objects/buckets.ts";
import { deleteObject } from "../../objects/object-delete.ts";
import { NULL_VERSION } from "../../objects/versions.ts";
import { objectEventContext, systemOrigin } from "../object-events.ts";
import { recordCommandAudit, type CommandRun } from "./command-audit.ts";
import { workerIntent } from "../../audit/audit-intents.ts";
import { bucketsById, cursorOf, ENTITY_TAG, orphanMarkers, taggedVersionPage, type TaggedVersion, type VersionCursor } from "./entity-objects.ts";
import type { EntityDeletedCommand } from "./message.ts";
import { claimProcessed } from "./processed.ts";

const PAGE = 200;
/** Items listed in the processed_events row and the summary audit row; the counts are always complete. */
const REPORT_ITEMS = 100;

type Action = "archived" | "erased" | "marker_removed" | "kept" | "refused";
interface Item { bucket: string; key: string; version_id?: string; action: Action; reason?: string }
interface Report { counts: Record<Action, number>; items: Item[] }

type Run = CommandRun & { principal: string };

/**
 * `entity.deleted`: the cascade of an upstream entity's deletion to the customer's objects
 * tagged `entity-id=<entity id>`, through the S3 delete service (its key locks, its object
 * locks, its object events), one audited DeleteObject per object version touched.
 *
 * - archive: a delete marker over each current tagged object in a versioned bucket (a soft
 *   delete: every version is kept). Where a marker would destroy the current version (a bucket
 *   never versioned, or a suspended one whose current version is the null version) the object
 *   is refused and reported.
 * - erase: every tagged version removed for good, except those a legal hold or retention
 *   protects (kept and reported); a key left without versions loses its delete markers too.
 *
 * Each object is its own transaction (the delete service's), and the processed_events row is
 * written after the last one: a crash in between means the next delivery runs the cascade
 * again, which is idempotent (archived objects are no longer current, erased ones are gone),
 * so the window costs a second pass, never a second effect. The same holds for two copies of
 * a command running at once on two instances: each object's key lock orders them, and the
 * second finds the marker already written or the version already gone.
 */
export async function runEntityDeleted(deps: Deps, cmd: EntityDeletedCommand, run: Run): Promise<Record<string, unknown>> {
  await findHomedCustomer(deps, cmd.customer_id);
  const report: Report = { counts: { archived: 0, erased: 0, marker_removed: 0, kept: 0, refused: 0 }, items: [] };
  const latest = cmd.data.action === "archive";
  let from: VersionCursor | undefined;
  for (;;) {
    const page = await taggedVersionPage(deps.db, cmd.customer_id, cmd.data.entity_id, { latest, from, limit: PAGE });
    const owners = await bucketsById(deps.db, page.map((v) => v.bucketId));
    for (const v of page) {
      const bucket = owners.get(v.bucketId);
      if (!bucket) continue; // deleted since the page was read, and its objects with it
      if (latest) await archive(deps, run, cmd, bucket, v, report);
      else await erase(deps, run, bucket, v, report);
    }
    if (page.length < PAGE) break;
    from = cursorOf(page.at(-1)!);
  }
  const summary = { entity_id: cmd.data.entity_id, action: cmd.data.action, ...report.counts, items: report.items, items_truncated: report.items.length < Object.values(report.counts).reduce((a, b) => a + b, 0) };
  // A duplicate on another instance that ran alongside and finished first has recorded it (its changes were its own).
  if (!(await claimProcessed(deps.db, { eventId: cmd.id, command: cmd.type, outcome: "done", detail: summary, now: deps.clock.now() }))) return { duplicate: true };
  return summary;
}

function note(report: Report, item: Item): void {
  report.counts[item.action]++;
  if (report.items.length < REPORT_ITEMS) report.items.push(item);
}

const eventOf = async (deps: Deps, run: Run, bucket: Bucket) =>
  ({ ctx: await objectEventContext(deps, bucket, systemOrigin(run.principal, run.requestId)), family: "s3:ObjectRemoved" as const });

async function archive(deps: Deps, run: Run, cmd: EntityDeletedCommand, bucket: Bucket, v: TaggedVersion, report: Report): Promise<void> {
  const item = { bucket: bucket.bucketName, key: v.key };
  const refusal = bucket.versioning === null
    ? "the bucket was never versioned: a delete would destroy the object, not archive it"
    : bucket.versioning === "Suspended" && v.versionId === NULL_VERSION
      ? "versioning is suspended and the current version is the null version, which a delete would replace"
      : undefined;
  if (refusal) {
    note(report, { ...item, action: "refused", reason: refusal });
    await recordCommandAudit(deps, run, { operation: "DeleteObject", result: "denied", statusCode: 409, errorCode: "InvalidBucketState", bucket: item.bucket, key: v.key, info: { action: "archive", refused: refusal } });
    return;
  }
  // Judged again under the key's lock: an overwrite or a tag change since the page was read saves the object.
  const intent = workerIntent(run.requestId, "DeleteObject");
  const done = await deleteObject(deps.db, deps.targets, bucket, v.key, deps.clock.now(), {
    intent,
    onlyIf: (cur) => cur !== undefined && cur.tags[ENTITY_TAG] === cmd.data.entity_id && (bucket.versioning === "Enabled" || cur.versionId !== NULL_VERSION),
    event: await eventOf(deps, run, bucket),
  });
  if (!done.changed) return;
  note(report, { ...item, version_id: done.versionId!, action: "archived" });
  await recordCommandAudit(deps, run, { operation: "DeleteObject", result: "success", statusCode: 204, bucket: item.bucket, key: v.key, info: { action: "archive", version_id: done.versionId, delete_marker: true }, intent });
}

async function erase(deps: Deps, run: Run, bucket: Bucket, v: TaggedVersion, report: Report): Promise<void> {
  const item = { bucket: bucket.bucketName, key: v.key, version_id: v.versionId };
  const event = await eventOf(deps, run, bucket);
  const intent = workerIntent(run.requestId, "DeleteObject");
  try {
    const done = await deleteObject(deps.db, deps.targets, bucket, v.key, deps.clock.now(), { intent, versionId: v.versionId, event });
    if (!done.changed) return;
  } catch (err) {
    // The delete service's refusal of a version a legal hold or retention protects.
    if (!isAppError(err) || err.code !== "AccessDenied") throw err;
    note(report, { ...item, action: "kept", reason: err.message });
    await recordCommandAudit(deps, run, { operation: "DeleteObject", result: "denied", statusCode: 403, errorCode: "AccessDenied", bucket: item.bucket, key: v.key, info: { action: "erase", version_id: v.versionId, kept: err.message } });
    return;
  }
  note(report, { ...item, action: "erased" });
  await recordCommandAudit(deps, run, { operation: "DeleteObject", result: "success", statusCode: 204, bucket: item.bucket, key: v.key, info: { action: "erase", version_id: v.versionId }, intent });
  for (const versionId of await orphanMarkers(deps.db, bucket, v.key)) {
    const markerIntent = workerIntent(run.requestId, "DeleteObject");
    const done = await deleteObject(deps.db, deps.targets, bucket, v.key, deps.clock.now(), { intent: markerIntent, versionId, event });
    if (!done.changed) continue;
    note(report, { bucket: item.bucket, key: v.key, version_id: versionId, action: "marker_removed" });
    await recordCommandAudit(deps, run, { operation: "DeleteObject", result: "success", statusCode: 204, bucket: item.bucket, key: v.key, info: { action: "erase", version_id: versionId, delete_marker: true }, intent: markerIntent });
  }
}
