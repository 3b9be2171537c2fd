import { assertObjectKey, S3_XMLNS, s3Error, toXml } from "@s3gw/core";
import type { Context } from "hono";
import { z } from "zod";
import type { AppEnv } from "../../env.ts";
import { findBucket, type Bucket } from "../../services/objects/buckets.ts";
import { findObject } from "../../services/objects/objects.ts";
import { setObjectTags, validateTags } from "../../services/objects/tags.ts";
import { parseVersionId, versionHeader } from "../../services/objects/versions.ts";
import { assertBucketPolicyAllows } from "./authorize.ts";
import { elements, readXmlDocument, text } from "./xml-body.ts";
import { empty } from "./xml-response.ts";
import { eventOrigin } from "./event-origin.ts";
import { objectEventContext } from "../../services/events/object-events.ts";


const tagElement = z.object({ Key: z.string(), Value: z.string() });

/** The bucket and the version addressed (`?versionId=`, else the latest). */
async function target(c: Context<AppEnv>, bucketName: string, key: string) {
  assertObjectKey(key);
  const versionId = parseVersionId(c.var.s3Target.query.get("versionId"));
  return { bucket: await findBucket(c.var.deps.db, c.var.customer.customerId, bucketName), versionId };
}

/** `<Tagging><TagSet><Tag><Key/><Value/></Tag>…</TagSet></Tagging>`; keys and values are kept as sent, spaces included. */
async function readTagSet(c: Context<AppEnv>): Promise<[string, string][]> {
  const doc = await readXmlDocument(c);
  const tagging = doc.Tagging;
  if (tagging === undefined) throw s3Error("MalformedXML");
  const tagSet = elements(tagging)[0]?.TagSet;
  if (tagSet === undefined) throw s3Error("MalformedXML");
  const tags = elements(elements(tagSet)[0]?.Tag);
  return tags.map((t) => {
    const parsed = tagElement.safeParse({ Key: text(t.Key), Value: text(t.Value) });
    if (!parsed.success) throw s3Error("MalformedXML", "Each Tag needs a Key and a Value");
    return [parsed.data.Key, parsed.data.Value];
  });
}

export async function putObjectTaggingHandler(c: Context<AppEnv>, bucketName: string, key: string): Promise<Response> {
  const { bucket, versionId } = await target(c, bucketName, key);
  const tags = validateTags(await readTagSet(c));
  // The bucket policy judges the tags being set (s3:RequestObjectTag/<key>), read from this body.
  await assertBucketPolicyAllows(c, { bucket: bucketName, key, action: "s3:PutObjectTagging", versioned: versionId !== undefined, versionId, accessKeyId: c.var.s3Auth?.key.accessKeyId, requestObjectTags: tags });
  const changed = await setObjectTags(c.var.deps.db, bucket, key, tags, versionId, await tagEvent(c, bucket));
  c.var.op.info = { tags: Object.keys(tags).length };
  // As S3: the three tagging answers name the version they concern (none for an unversioned bucket's null version).
  return empty(c, 200, versionHeader(bucket.versioning, changed));
}

export async function getObjectTaggingHandler(c: Context<AppEnv>, bucketName: string, key: string): Promise<Response> {
  const { bucket, versionId } = await target(c, bucketName, key);
  const row = await findObject(c.var.deps.db, bucket, key, versionId);
  // jsonb keeps no order (shorter keys first): answered sorted by key, a stable order as S3 gives.
  const tags = Object.entries(row.tags).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([Key, Value]) => ({ Key, Value }));
  const doc = toXml({ Tagging: { "@_xmlns": S3_XMLNS, TagSet: tags.length ? { Tag: tags } : "" } });
  return c.body(doc, 200, { "content-type": "application/xml", ...versionHeader(bucket.versioning, row.versionId) });
}

export async function deleteObjectTaggingHandler(c: Context<AppEnv>, bucketName: string, key: string): Promise<Response> {
  const { bucket, versionId } = await target(c, bucketName, key);
  const changed = await setObjectTags(c.var.deps.db, bucket, key, {}, versionId, await tagEvent(c, bucket));
  return empty(c, 204, versionHeader(bucket.versioning, changed));
}

/** The `ObjectTagging:*` event context, where the bucket's configuration asks for events. */
async function tagEvent(c: Context<AppEnv>, bucket: Bucket) {
  const ctx = await objectEventContext(c.var.deps, bucket, eventOrigin(c));
  return ctx && { ctx, now: c.var.deps.clock.now() };
}
