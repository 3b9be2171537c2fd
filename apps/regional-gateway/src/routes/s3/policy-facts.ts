import type { ConditionContext } from "@s3gw/core";
import type { Context } from "hono";
import type { AppEnv } from "../../env.ts";
import type { Bucket } from "../../services/objects/buckets.ts";
import { lookupObject } from "../../services/objects/objects.ts";
import { parseTaggingHeader } from "../../services/objects/tags.ts";

/** The actions whose addressed object's tags AWS offers as s3:ExistingObjectTag/<key>. */
const EXISTING_TAG_ACTIONS = new Set(["s3:GetObject", "s3:GetObjectTagging", "s3:PutObjectTagging", "s3:GetObjectAcl"]);

/**
 * The request-header condition keys (copy source, metadata directive, grants, the tags the
 * request sets), read only once a bucket has a policy, so a bucket without one pays nothing.
 */
export function headerFacts(c: Context<AppEnv>): Partial<ConditionContext> {
  const h = (name: string) => c.req.header(name);
  return {
    copySource: h("x-amz-copy-source"),
    metadataDirective: h("x-amz-metadata-directive"),
    grantRead: h("x-amz-grant-read"),
    grantWrite: h("x-amz-grant-write"),
    grantReadAcp: h("x-amz-grant-read-acp"),
    grantWriteAcp: h("x-amz-grant-write-acp"),
    grantFullControl: h("x-amz-grant-full-control"),
    // Malformed x-amz-tagging is the caller's InvalidTag (400), the same answer the handler gives.
    requestObjectTags: parseTaggingHeader(h("x-amz-tagging")),
  };
}

/**
 * The addressed object's current tags, only when the policy names s3:ExistingObjectTag and the
 * action is one AWS evaluates it for: one indexed lookup in the caller's own bucket. A missing
 * object has no tags (the key is absent; the handler answers NoSuchKey).
 */
export async function existingTagFacts(
  c: Context<AppEnv>,
  bucket: Bucket,
  req: { key: string | undefined; action: string; versionId: string | undefined },
  usesExistingObjectTags: boolean,
): Promise<Partial<ConditionContext>> {
  if (!usesExistingObjectTags || req.key === undefined || !EXISTING_TAG_ACTIONS.has(req.action)) return {};
  const row = await lookupObject(c.get("deps").db, bucket, req.key, req.versionId);
  return { existingObjectTags: row?.tags ?? undefined };
}
