import { asc, eq } from "drizzle-orm";
import { objectParts } from "@s3gw/schema-regional";
import type { RegionalDb } from "../../env.ts";
import type { ObjectRow } from "./objects.ts";

/**
 * Where the n-th part (1-based, in part-number order, so 1..PartsCount always exist) of an
 * object lies in it. A multipart object's parts are its manifest's rows (its storage key is
 * the manifest key); an object uploaded whole is its only part. Undefined for a part it lacks.
 * `etag` is the part's own (hex MD5), which S3 answers a part read with.
 */
export async function partOfObject(db: RegionalDb, row: ObjectRow, n: number): Promise<{ offset: number; size: number; etag: string } | undefined> {
  if (!row.partsCount) return n === 1 ? { offset: 0, size: row.sizeBytes, etag: row.etag } : undefined;
  if (n > row.partsCount) return undefined;
  const [part] = await db
    .select({ offset: objectParts.offsetBytes, size: objectParts.sizeBytes, etag: objectParts.etag })
    .from(objectParts)
    .where(eq(objectParts.manifestKey, row.storageKey))
    .orderBy(asc(objectParts.partNumber))
    .offset(n - 1)
    .limit(1);
  return part;
}
