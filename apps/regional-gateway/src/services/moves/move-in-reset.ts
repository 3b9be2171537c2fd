import { objectDeleteMarkers, objectMetadata } from "@s3gw/schema-regional";
import { eq, inArray } from "drizzle-orm";
import type { Deps } from "../../env.ts";

const PAGE = 200;

/**
 * Drops every object version and delete marker received so far for a customer this region is
 * still receiving (never serving: the caller checked it is moving_in), so the source can copy
 * them again after the manifests differed. Rows go before bytes; a byte left behind is a stray
 * for the sweeper.
 */
export async function resetReceivedObjects(deps: Pick<Deps, "db" | "targets" | "logger">, customerId: string) {
  let versions = 0;
  for (;;) {
    const gone = await deps.db.transaction(async (tx) => {
      const page = await tx.select({ id: objectMetadata.objectId }).from(objectMetadata).where(eq(objectMetadata.customerId, customerId)).limit(PAGE).for("update");
      if (page.length === 0) return [];
      return tx.delete(objectMetadata).where(inArray(objectMetadata.objectId, page.map((p) => p.id))).returning({ key: objectMetadata.storageKey, provider: objectMetadata.storageProviderId });
    });
    for (const g of gone) {
      await (await deps.targets.recorded(customerId, g.provider)).delete(g.key).catch((err: Error) => {
        deps.logger.warn({ err: err.message, customerId }, "move reset: bytes not removed; the stray sweeper will remove them");
      });
    }
    versions += gone.length;
    if (gone.length < PAGE) break;
  }
  const markers = await deps.db.delete(objectDeleteMarkers).where(eq(objectDeleteMarkers.customerId, customerId)).returning({ id: objectDeleteMarkers.markerId });
  return { versions_dropped: versions, markers_dropped: markers.length };
}
