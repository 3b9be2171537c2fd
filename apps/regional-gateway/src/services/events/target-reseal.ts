import type { MasterKeyRing } from "@s3gw/core";
import { notificationTargets } from "@s3gw/schema-regional";
import { and, eq, isNotNull } from "drizzle-orm";
import type { Deps } from "../../env.ts";
import { openTargetSecret, sealTargetSecret } from "./target-secrets.ts";

/**
 * Notification targets' secrets are sealed under the region's master key ring: a master key
 * rotation re-seals them under the active key with the access keys (deleted targets too, so
 * the retired key can be removed from the ring). A row changed meanwhile is left to the next
 * rotation (compare-and-swap on the sealed value); one that does not open is reported.
 */
export async function resealNotificationTargets(deps: Pick<Deps, "db">, ring: MasterKeyRing) {
  const activePrefix = `v1.${ring.activeKeyId}.`;
  let reEncrypted = 0;
  const unreadable: string[] = [];
  const rows = await deps.db
    .select({ id: notificationTargets.targetId, sealed: notificationTargets.sealedSecret })
    .from(notificationTargets)
    .where(isNotNull(notificationTargets.sealedSecret));
  for (const row of rows) {
    const sealed = row.sealed!;
    if (sealed.startsWith(activePrefix)) continue;
    let resealed: string;
    try {
      resealed = sealTargetSecret(ring, row.id, openTargetSecret(ring, row.id, sealed));
    } catch {
      unreadable.push(row.id);
      continue;
    }
    const swapped = await deps.db
      .update(notificationTargets)
      .set({ sealedSecret: resealed })
      .where(and(eq(notificationTargets.targetId, row.id), eq(notificationTargets.sealedSecret, sealed)))
      .returning({ id: notificationTargets.targetId });
    reEncrypted += swapped.length;
  }
  return { re_encrypted: reEncrypted, unreadable, total: rows.length };
}
