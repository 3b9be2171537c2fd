import { apiError } from "@s3gw/core";
import { buckets, customerMoveIns, customers, objectDeleteMarkers, objectMetadata } from "@s3gw/schema-regional";
import { and, eq, or } from "drizzle-orm";
import type { z } from "zod";
import type { Deps } from "../../env.ts";
import { lookupRouterHome } from "../access/home-region.ts";
import { customerManifest } from "./move-manifest.ts";
import type { markersWire, missingWire, verifyWire } from "./move-wire.ts";

type Ctx = Pick<Deps, "db" | "config" | "clock">;

/** A batch of delete markers, kept with their version ids, stamps and latest flags; one already here is left as it is. */
export async function receiveMarkers(deps: Ctx, customerId: string, batch: z.infer<typeof markersWire>) {
  const ids = new Map<string, string>();
  for (const b of await deps.db.select({ id: buckets.bucketId, name: buckets.bucketName }).from(buckets).where(eq(buckets.customerId, customerId))) ids.set(b.name, b.id);
  const rows = batch.markers.map((m) => {
    const bucketId = ids.get(m.bucket);
    if (!bucketId) throw apiError.conflict(`bucket ${m.bucket} of customer ${customerId} is not here: the snapshot comes first`);
    return { customerId, bucketId, bucketName: m.bucket, objectKey: m.key, versionId: m.version_id, versionStamp: m.version_stamp, isLatest: m.is_latest, lastModified: new Date(m.last_modified) };
  });
  const added = rows.length ? await deps.db.insert(objectDeleteMarkers).values(rows).onConflictDoNothing().returning({ id: objectDeleteMarkers.markerId }) : [];
  return { received: rows.length, added: added.length };
}

/**
 * This region's manifest of the customer, compared with the source's. Equal, the copy is complete
 * and verified: from then on reads are served here (as the customer's standing allows), so they
 * keep working between the router's switch and the activation; writes wait for the activation.
 */
export async function verifyHere(deps: Ctx, customerId: string, source: z.infer<typeof verifyWire>) {
  const mine = await customerManifest(deps.db, customerId);
  const match = mine.versions === source.versions && mine.markers === source.markers && mine.digest === source.digest;
  const [moveIn] = await deps.db.select({ prior: customerMoveIns.prior }).from(customerMoveIns).where(eq(customerMoveIns.customerId, customerId));
  const reads = match && moveIn && !(moveIn.prior.status === "suspended" && moveIn.prior.suspendedReads !== "allowed") ? "allowed" : "refused";
  await deps.db.update(customers).set({ suspendedReads: reads, updatedAt: deps.clock.now() }).where(and(eq(customers.customerId, customerId), eq(customers.status, "moving_in")));
  return { ...mine, match };
}

/**
 * The target takes over: only once the global router routes the customer here (so the source
 * stopped being asked), the customer gets back the standing it had before the move. Repeating
 * it (a source that did not see the answer) changes nothing.
 */
export async function activateHere(deps: Pick<Deps, "db" | "config" | "clock">, customerId: string, fromRegion: string) {
  const here = deps.config.region.region_id;
  const home = await lookupRouterHome(deps, customerId);
  if (home !== undefined && !(home.routed && home.primaryRegion === here)) {
    throw apiError.conflict(`customer ${customerId} is not routed to ${here} yet; the routing switches first`);
  }
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const [moveIn] = await tx.select().from(customerMoveIns).where(eq(customerMoveIns.customerId, customerId)).for("update");
    if (!moveIn) throw apiError.conflict(`customer ${customerId} is not being moved into region ${here}`);
    if (moveIn.fromRegion !== fromRegion) throw apiError.conflict(`customer ${customerId} is being moved here from ${moveIn.fromRegion}, not from ${fromRegion}`);
    const p = moveIn.prior;
    const standing = p.status === "suspended"
      ? { status: "suspended" as const, suspendedReason: p.suspendedReason, suspendedReads: p.suspendedReads, suspendedAt: now }
      : { status: "active" as const, suspendedReason: null, suspendedReads: null, suspendedAt: null };
    await tx.update(customers).set({ ...standing, updatedAt: now }).where(and(eq(customers.customerId, customerId), eq(customers.status, "moving_in")));
    await tx.update(customerMoveIns).set({ status: "active", activatedAt: moveIn.activatedAt ?? now, updatedAt: now }).where(eq(customerMoveIns.customerId, customerId));
    return { status: standing.status, from_region: moveIn.fromRegion };
  });
}

/** Which versions of a batch the target does not hold yet, by index in the batch. */
export async function missingHere(deps: Ctx, customerId: string, batch: z.infer<typeof missingWire>) {
  if (batch.versions.length === 0) return { missing: [] as number[] };
  const held = await deps.db
    .select({ b: objectMetadata.bucketName, k: objectMetadata.objectKey, v: objectMetadata.versionId })
    .from(objectMetadata)
    .where(and(eq(objectMetadata.customerId, customerId), or(...batch.versions.map((x) => and(eq(objectMetadata.bucketName, x.bucket), eq(objectMetadata.objectKey, x.key), eq(objectMetadata.versionId, x.version_id))))));
  const have = new Set(held.map((h) => JSON.stringify([h.b, h.k, h.v])));
  return { missing: batch.versions.flatMap((x, i) => (have.has(JSON.stringify([x.bucket, x.key, x.version_id])) ? [] : [i])) };
}
