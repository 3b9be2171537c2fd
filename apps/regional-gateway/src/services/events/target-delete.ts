import { apiError } from "@s3gw/core";
import { buckets, bucketSettings, notificationTargets } from "@s3gw/schema-regional";
import { and, asc, eq, isNull, sql } from "drizzle-orm";
import type { Deps } from "../../env.ts";
import { NOTIFICATION_KIND } from "./bucket-notifications.ts";
import { findTargetRow, targetView, type TargetDeps } from "./targets.ts";

/** The buckets (customer and name) whose notification configuration names the target. */
async function bucketsNaming(ctx: Pick<Deps, "db">, targetId: string): Promise<{ customer_id: string; bucket: string }[]> {
  const rows = await ctx.db
    .select({ customerId: buckets.customerId, bucketName: buckets.bucketName })
    .from(bucketSettings)
    .innerJoin(buckets, eq(buckets.bucketId, bucketSettings.bucketId))
    .where(and(eq(bucketSettings.kind, NOTIFICATION_KIND), sql`${bucketSettings.document} -> 'rules' @> ${JSON.stringify([{ targetId }])}::jsonb`))
    .orderBy(asc(buckets.customerId), asc(buckets.bucketName));
  return rows.map((r) => ({ customer_id: r.customerId, bucket: r.bucketName }));
}

/**
 * Marks the target deleted: it receives nothing more (the dispatcher sends only to live
 * targets), and its row stays for the deliveries that name it. While bucket configurations
 * name it the delete is refused with them listed, unless `force`: an admin must be able to
 * stop a target at once (a leaking endpoint) without waiting for every bucket owner; those
 * configurations keep naming it, their events to it are not sent, and re-PUTting such a
 * configuration is refused until it names a live target. A configuration PUT while the delete
 * runs may still come to name it: the same outcome as a forced delete, never a delivery.
 */
export async function deleteTarget({ ctx, input }: { ctx: TargetDeps; input: { targetId: string; force: boolean } }) {
  const current = await findTargetRow(ctx, input.targetId);
  if (current.deletedAt) return { target: targetView(current, ctx.config.region.region_id), still_named_by: [] as { customer_id: string; bucket: string }[] };
  const naming = await bucketsNaming(ctx, input.targetId);
  if (naming.length > 0 && !input.force) {
    const list = naming.slice(0, 20).map((b) => `${b.customer_id}/${b.bucket}`).join(", ");
    throw apiError.conflict(`target ${input.targetId} is named by ${naming.length} bucket notification configuration(s): ${list}${naming.length > 20 ? ", ..." : ""}; change them first, or delete with force=true`);
  }
  const [row] = await ctx.db
    .update(notificationTargets)
    .set({ deletedAt: ctx.clock.now() })
    .where(and(eq(notificationTargets.targetId, input.targetId), isNull(notificationTargets.deletedAt)))
    .returning();
  return { target: targetView(row ?? (await findTargetRow(ctx, input.targetId)), ctx.config.region.region_id), still_named_by: naming };
}
