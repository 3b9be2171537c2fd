import { S3_XMLNS, s3Error } from "@s3gw/core";
import type { Context } from "hono";
import type { AppEnv } from "../../env.ts";
import { findBucket } from "../../services/objects/buckets.ts";
import { readLockConfiguration, writeLockConfiguration, type DefaultRule, type LockDocument } from "../../services/objects/object-lock-config.ts";
import { elements, readXmlDocument, text } from "./xml-body.ts";
import { empty, xml } from "./xml-response.ts";

/** A retention period: a positive whole number (S3's InvalidRetentionPeriod otherwise). */
function period(raw: string | undefined, max: number): number | undefined {
  if (raw === undefined) return undefined;
  const v = raw.trim();
  if (!/^\d{1,6}$/.test(v) || Number(v) === 0 || Number(v) > max) throw s3Error("InvalidRetentionPeriod");
  return Number(v);
}

/** `<ObjectLockConfiguration>` as S3 validates it: Enabled, and an optional Rule with Mode and exactly one of Days or Years. */
function parseConfiguration(doc: Record<string, unknown>): LockDocument {
  const root = elements(doc.ObjectLockConfiguration)[0];
  if (!root || text(root.ObjectLockEnabled)?.trim() !== "Enabled") throw s3Error("MalformedXML", "ObjectLockEnabled must be Enabled");
  if (root.Rule === undefined) return { rule: null };
  const retention = elements(elements(root.Rule)[0]?.DefaultRetention)[0];
  if (!retention) throw s3Error("MalformedXML", "A Rule needs a DefaultRetention");
  const mode = text(retention.Mode)?.trim();
  if (mode !== "GOVERNANCE" && mode !== "COMPLIANCE") throw s3Error("MalformedXML", "Mode must be GOVERNANCE or COMPLIANCE");
  const daysText = text(retention.Days);
  const yearsText = text(retention.Years);
  if ((daysText === undefined) === (yearsText === undefined)) throw s3Error("MalformedXML", "DefaultRetention needs exactly one of Days or Years");
  const days = period(daysText, 36_500);
  const years = period(yearsText, 100);
  const rule: DefaultRule = days !== undefined ? { mode, days } : { mode, years: years! };
  return { rule };
}

export async function putObjectLockConfigurationHandler(c: Context<AppEnv>, bucketName: string): Promise<Response> {
  const { deps, customer, op } = c.var;
  const bucket = await findBucket(deps, customer.customerId, bucketName);
  const doc = parseConfiguration(await readXmlDocument(c));
  await writeLockConfiguration(deps, bucket, doc);
  op.info = { ...op.info, object_lock: doc.rule ?? "no default retention" };
  return empty(c, 200);
}

export async function getObjectLockConfigurationHandler(c: Context<AppEnv>, bucketName: string): Promise<Response> {
  const { deps, customer } = c.var;
  const bucket = await findBucket(deps, customer.customerId, bucketName);
  const { rule } = await readLockConfiguration(deps, bucket);
  const retention = rule && { Mode: rule.mode, ...(rule.days !== undefined ? { Days: rule.days } : { Years: rule.years }) };
  return xml(c, { ObjectLockConfiguration: { "@_xmlns": S3_XMLNS, ObjectLockEnabled: "Enabled", ...(retention ? { Rule: { DefaultRetention: retention } } : {}) } });
}
