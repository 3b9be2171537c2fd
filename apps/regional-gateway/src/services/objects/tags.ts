import { and, eq } from "drizzle-orm";
import { s3Error } from "@s3gw/core";
import { objectMetadata } from "@s3gw/schema-regional";
import type { RegionalDb, RegionalTx } from "../../env.ts";
import { recordObjectEvent, type ObjectEventContext } from "../events/object-events.ts";
import type { Bucket } from "./buckets.ts";

export type Tags = Record<string, string>;

/** S3's object-tag limits. */
export const MAX_TAGS = 10;
const MAX_TAG_KEY = 128;
const MAX_TAG_VALUE = 256;
/** The characters S3 allows in tag keys and values: letters, digits, spaces and `_ . : / = + - @`. */
const TAG_CHARS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

/** Validates tag pairs as S3 does (count, lengths, characters, unique keys) and returns them as a map. */
export function validateTags(pairs: ReadonlyArray<readonly [string, string]>): Tags {
  if (pairs.length > MAX_TAGS) throw s3Error("InvalidTag", `Object tags cannot be greater than ${MAX_TAGS}`);
  const tags: Tags = {};
  for (const [key, value] of pairs) {
    const keyLength = Array.from(key).length;
    if (keyLength === 0 || keyLength > MAX_TAG_KEY) throw s3Error("InvalidTag", `The TagKey you have provided is invalid: keys are 1 to ${MAX_TAG_KEY} characters`);
    if (Array.from(value).length > MAX_TAG_VALUE) throw s3Error("InvalidTag", `The TagValue you have provided is invalid: values are at most ${MAX_TAG_VALUE} characters`);
    if (!TAG_CHARS.test(key) || !TAG_CHARS.test(value)) throw s3Error("InvalidTag", "Tags may contain only letters, digits, spaces and _ . : / = + - @");
    if (Object.hasOwn(tags, key)) throw s3Error("InvalidTag", "Cannot provide multiple Tags with the same key");
    tags[key] = value;
  }
  return tags;
}

/** The `x-amz-tagging` header: URL query form, `k1=v1&k2=v2`. */
export function parseTaggingHeader(value: string | undefined): Tags | undefined {
  if (value === undefined) return undefined;
  return validateTags([...new URLSearchParams(value)]);
}

/**
 * Replaces the tags of the key's latest version or of the given one (an empty map removes them).
 * Tags are metadata: object lock does not freeze them, as in S3.
 */
/** Sets the tags of the addressed version (the latest without `versionId`); answers the version id changed. */
export async function setObjectTags(db: RegionalDb, bucket: Bucket, key: string, tags: Tags, versionId?: string, event?: { ctx: ObjectEventContext; now: Date }): Promise<string> {
  const which = versionId === undefined ? eq(objectMetadata.isLatest, true) : eq(objectMetadata.versionId, versionId);
  const update = (tx: RegionalDb | RegionalTx) =>
    tx
      .update(objectMetadata)
      .set({ tags })
      .where(and(eq(objectMetadata.bucketId, bucket.bucketId), eq(objectMetadata.objectKey, key), which))
      .returning({ id: objectMetadata.objectId, versionId: objectMetadata.versionId });
  // Without a notification configuration the update is one statement; with one, its event commits with it.
  const updated = event
    ? await db.transaction(async (tx) => {
        const rows = await update(tx);
        const name = Object.keys(tags).length === 0 ? "s3:ObjectTagging:Delete" : "s3:ObjectTagging:Put";
        if (rows[0]) await recordObjectEvent(tx, event.ctx, name, { key, versionId: rows[0].versionId }, event.now);
        return rows;
      })
    : await update(db);
  if (updated.length === 0) throw versionId === undefined ? s3Error("NoSuchKey", undefined, { resource: key }) : s3Error("NoSuchVersion", undefined, { resource: key });
  return updated[0]!.versionId;
}
