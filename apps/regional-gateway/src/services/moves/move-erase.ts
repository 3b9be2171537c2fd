import { accessKeys, apiTokens, buckets, complianceRules, customerKeys, customerKeyVersions, customers, dataSubjectRequests, multipartUploads, objectDeleteMarkers, objectMetadata } from "@s3gw/schema-regional";
import { and, eq, inArray, isNull } from "drizzle-orm";
import type { Deps } from "../../env.ts";
import { abortUpload } from "../objects/multipart.ts";

const PAGE = 200;

/**
 * After the switch, the source's copy goes: every object version (held or retained ones too:
 * their copy on the target keeps the hold and the retention) with its bytes, delete markers,
 * uploads, buckets with their settings, rules, GDPR requests, access keys; the customer's key
 * material is destroyed (a blob the eraser missed can no longer be read) and its scoped tokens
 * revoked. The customer row stays as the tombstone (status moved, moved_to_region), without
 * its contacts. The operations log is untouched: append-only, the audit trail of the move.
 * Rows go before bytes, page by page, so a run that stops half-way is simply run again.
 */
export async function eraseSource(deps: Pick<Deps, "db" | "clock" | "targets" | "logger">, customerId: string, toRegion: string) {
  let versions = 0;
  let bytes = 0;
  let byteDeletesFailed = 0;
  for (;;) {
    const gone = await deps.db.transaction(async (tx) => {
      const page = await tx.select({ id: objectMetadata.objectId }).from(objectMetadata).where(eq(objectMetadata.customerId, customerId)).limit(PAGE).for("update");
      if (page.length === 0) return [];
      return tx
        .delete(objectMetadata)
        .where(inArray(objectMetadata.objectId, page.map((p) => p.id)))
        .returning({ key: objectMetadata.storageKey, provider: objectMetadata.storageProviderId, size: objectMetadata.sizeBytes });
    });
    for (const g of gone) {
      versions++;
      bytes += g.size;
      await (await deps.targets.recorded(customerId, g.provider)).delete(g.key).catch((err: Error) => {
        byteDeletesFailed++;
        deps.logger.warn({ err: err.message, customerId }, "move: source bytes not removed; the stray sweeper will remove them");
      });
    }
    if (gone.length < PAGE) break;
  }
  const markers = await deps.db.delete(objectDeleteMarkers).where(eq(objectDeleteMarkers.customerId, customerId)).returning({ id: objectDeleteMarkers.markerId });
  let uploads = 0;
  for (const u of await deps.db.select({ id: multipartUploads.uploadId, providerId: multipartUploads.storageProviderId }).from(multipartUploads).where(eq(multipartUploads.customerId, customerId))) {
    await abortUpload(deps.db, await deps.targets.recorded(customerId, u.providerId), u.id).then(() => uploads++, () => {});
  }
  const now = deps.clock.now();
  const rest = await deps.db.transaction(async (tx) => {
    // Settings, lifecycle and completed uploads go with their bucket (ON DELETE CASCADE).
    const b = await tx.delete(buckets).where(eq(buckets.customerId, customerId)).returning({ id: buckets.bucketId });
    const r = await tx.delete(complianceRules).where(eq(complianceRules.customerId, customerId)).returning({ id: complianceRules.ruleId });
    const g = await tx.delete(dataSubjectRequests).where(eq(dataSubjectRequests.customerId, customerId)).returning({ id: dataSubjectRequests.requestId });
    const k = await tx.delete(accessKeys).where(eq(accessKeys.customerId, customerId)).returning({ id: accessKeys.accessKeyId });
    const shredded = await tx.update(customerKeyVersions).set({ material: null, destroyedAt: now }).where(and(eq(customerKeyVersions.customerId, customerId), isNull(customerKeyVersions.destroyedAt))).returning({ v: customerKeyVersions.version });
    await tx.update(customerKeys).set({ state: "Destroyed", updatedAt: now }).where(eq(customerKeys.customerId, customerId));
    const t = await tx.update(apiTokens).set({ revokedAt: now }).where(and(eq(apiTokens.customerId, customerId), isNull(apiTokens.revokedAt))).returning({ id: apiTokens.tokenId });
    await tx
      .update(customers)
      .set({ status: "moved", movedToRegion: toRegion, customerName: `moved to ${toRegion}`, primaryContactEmail: "", complianceOfficerEmail: "", legalBasis: null, suspendedReason: null, suspendedAt: null, updatedAt: now })
      .where(eq(customers.customerId, customerId));
    return { buckets: b.length, rules: r.length, gdpr_requests: g.length, access_keys: k.length, key_versions_destroyed: shredded.length, tokens_revoked: t.length };
  });
  return { object_versions: versions, bytes, byte_deletes_failed: byteDeletesFailed, delete_markers: markers.length, uploads_aborted: uploads, ...rest, tombstone: { status: "moved", moved_to_region: toRegion } };
}
