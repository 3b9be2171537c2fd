import { S3_XMLNS, s3Error } from "@s3gw/core";
import type { Context } from "hono";
import type { AppEnv } from "../../env.ts";
import { findBucket } from "../../services/objects/buckets.ts";
import { deleteLifecycle, getLifecycle, parseLifecycleConfiguration, putLifecycle, type LifecycleRule } from "../../services/objects/lifecycle.ts";
import { readXmlDocument } from "./xml-body.ts";
import { empty, xml } from "./xml-response.ts";


const tagXml = (tags: [string, string][]) => tags.map(([Key, Value]) => ({ Key, Value }));

/**
 * The filter in the form it was sent (S3 returns a rule as it was written); for rules stored
 * before the form was kept, the shortest of S3's forms that says it: empty, Prefix, one Tag, or And.
 */
function filterXml(rule: LifecycleRule): unknown {
  const tags = Object.entries(rule.tags);
  if (rule.filterForm === "prefix") return { Prefix: rule.prefix };
  if (rule.filterForm === "and") return { And: { ...(rule.prefix === "" ? {} : { Prefix: rule.prefix }), Tag: tagXml(tags) } };
  if (tags.length === 0) return rule.prefix === "" ? "" : { Prefix: rule.prefix };
  if (tags.length === 1 && rule.prefix === "") return { Tag: tagXml(tags)[0] };
  return { And: { ...(rule.prefix === "" ? {} : { Prefix: rule.prefix }), Tag: tagXml(tags) } };
}

function ruleXml(rule: LifecycleRule): Record<string, unknown> {
  return {
    ID: rule.id,
    ...(rule.filterForm === "legacy" ? { Prefix: rule.prefix } : { Filter: filterXml(rule) }),
    Status: rule.enabled ? "Enabled" : "Disabled",
    ...(rule.expirationDays === null ? {} : { Expiration: { Days: rule.expirationDays } }),
    ...(rule.expirationDate ? { Expiration: { Date: rule.expirationDate } } : {}),
    ...(rule.expiredObjectDeleteMarker ? { Expiration: { ExpiredObjectDeleteMarker: true } } : {}),
    ...(rule.noncurrentDays == null ? {} : {
      NoncurrentVersionExpiration: { NoncurrentDays: rule.noncurrentDays, ...(rule.newerNoncurrentVersions == null ? {} : { NewerNoncurrentVersions: rule.newerNoncurrentVersions }) },
    }),
    ...(rule.abortIncompleteMultipartUploadDays === null ? {} : { AbortIncompleteMultipartUpload: { DaysAfterInitiation: rule.abortIncompleteMultipartUploadDays } }),
  };
}

export async function putBucketLifecycleHandler(c: Context<AppEnv>, bucketName: string): Promise<Response> {
  const { deps, customer, op } = c.var;
  const bucket = await findBucket(deps.db, customer.customerId, bucketName);
  const rules = parseLifecycleConfiguration(await readXmlDocument(c));
  await putLifecycle(deps, bucket, rules, deps.clock.now());
  op.info = { rules: rules.length, enabled: rules.filter((r) => r.enabled).length };
  return empty(c, 200);
}

export async function getBucketLifecycleHandler(c: Context<AppEnv>, bucketName: string): Promise<Response> {
  const { deps, customer } = c.var;
  const rules = await getLifecycle(deps, await findBucket(deps.db, customer.customerId, bucketName));
  if (!rules) throw s3Error("NoSuchLifecycleConfiguration", undefined, { resource: bucketName });
  return xml(c, { LifecycleConfiguration: { "@_xmlns": S3_XMLNS, Rule: rules.map(ruleXml) } });
}

export async function deleteBucketLifecycleHandler(c: Context<AppEnv>, bucketName: string): Promise<Response> {
  const { deps, customer, op } = c.var;
  const removed = await deleteLifecycle(deps, await findBucket(deps.db, customer.customerId, bucketName));
  op.info = { removed };
  return empty(c, 204);
}
