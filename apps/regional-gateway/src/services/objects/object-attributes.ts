import { and, asc, eq, gt } from "drizzle-orm";
import { objectParts } from "@s3gw/schema-regional";
import type { RegionalDb } from "../../env.ts";
import type { ObjectRow } from "./objects.ts";

/** A part as GetObjectAttributes lists it; `sha256` is the hex SHA-256 of the part's bytes. */
export interface AttributePart { partNumber: number; size: number; sha256: string }
export interface AttributePartsPage { parts: AttributePart[]; truncated: boolean }

/**
 * A page of a multipart object's parts for GetObjectAttributes: after part number `marker`,
 * at most `maxParts`. The parts are the object's manifest (its storage key is the manifest
 * key), so only this object's parts can ever be listed.
 */
export async function objectPartsPage(db: RegionalDb, row: ObjectRow, marker: number, maxParts: number): Promise<AttributePartsPage> {
  const rows = await db
    .select({ partNumber: objectParts.partNumber, size: objectParts.sizeBytes, sha256: objectParts.sha256 })
    .from(objectParts)
    .where(and(eq(objectParts.manifestKey, row.storageKey), gt(objectParts.partNumber, marker)))
    .orderBy(asc(objectParts.partNumber))
    .limit(maxParts + 1);
  return { parts: rows.slice(0, maxParts), truncated: rows.length > maxParts };
}
