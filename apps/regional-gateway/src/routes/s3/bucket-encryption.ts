import { S3_XMLNS, s3Error } from "@s3gw/core";
import type { Context } from "hono";
import type { AppEnv } from "../../env.ts";
import {
  deleteBucketEncryption, getBucketEncryption, putBucketEncryption, type BucketEncryptionConfig, type RequestedBucketEncryption,
} from "../../services/objects/bucket-encryption.ts";
import { findBucket } from "../../services/objects/buckets.ts";
import { elements, readXmlDocument, text } from "./xml-body.ts";
import { empty, xml } from "./xml-response.ts";

/** `PUT/GET/DELETE ?encryption`: the bucket's default encryption, stored validated in bucket_settings. */

const RULE_CHILDREN = new Set(["ApplyServerSideEncryptionByDefault", "BucketKeyEnabled", "BlockedEncryptionTypes"]);
const DEFAULT_CHILDREN = new Set(["SSEAlgorithm", "KMSMasterKeyID"]);

function only(node: Record<string, unknown>, allowed: Set<string>): void {
  if (Object.keys(node).some((k) => !allowed.has(k))) throw s3Error("MalformedXML");
}

/** The one `<Rule>` of a ServerSideEncryptionConfiguration, as S3's schema shapes it (MalformedXML otherwise). */
function parseConfiguration(doc: Record<string, unknown>): RequestedBucketEncryption {
  const roots = elements(doc.ServerSideEncryptionConfiguration);
  if (roots.length !== 1) throw s3Error("MalformedXML");
  const root = roots[0]!;
  only(root, new Set(["Rule"]));
  // `<Rule/>` parses as "": a rule with no default is SSE-S3. No rule, or several, is what S3 refuses.
  const rules: unknown[] = Array.isArray(root.Rule) ? root.Rule : root.Rule === undefined ? [] : [root.Rule];
  if (rules.length !== 1) throw s3Error("MalformedXML");
  const rule = rules[0] === "" ? {} : elements(rules[0])[0];
  if (!rule) throw s3Error("MalformedXML");
  only(rule, RULE_CHILDREN);
  const bucketKey = rule.BucketKeyEnabled === undefined ? "false" : text(rule.BucketKeyEnabled);
  if (bucketKey !== "true" && bucketKey !== "false") throw s3Error("MalformedXML");
  const requested: RequestedBucketEncryption = { bucketKeyEnabled: bucketKey === "true" };
  if (rule.ApplyServerSideEncryptionByDefault !== undefined) {
    const defaults = elements(rule.ApplyServerSideEncryptionByDefault);
    if (defaults.length !== 1) throw s3Error("MalformedXML");
    only(defaults[0]!, DEFAULT_CHILDREN);
    const algorithm = text(defaults[0]!.SSEAlgorithm);
    if (!algorithm) throw s3Error("MalformedXML");
    requested.algorithm = algorithm;
    const keyId = defaults[0]!.KMSMasterKeyID;
    if (keyId !== undefined && keyId !== "") {
      if (text(keyId) === undefined) throw s3Error("MalformedXML");
      requested.kmsMasterKeyId = text(keyId);
    }
  }
  if (rule.BlockedEncryptionTypes !== undefined) {
    const blocked = elements(rule.BlockedEncryptionTypes);
    if (blocked.length !== 1) throw s3Error("MalformedXML");
    only(blocked[0]!, new Set(["EncryptionType"]));
    const types = [blocked[0]!.EncryptionType].flat();
    if (!types.every((t): t is string => typeof t === "string")) throw s3Error("MalformedXML");
    requested.blockedEncryptionTypes = types;
  }
  return requested;
}

function configurationXml(config: BucketEncryptionConfig): Record<string, unknown> {
  const defaults = { SSEAlgorithm: config.algorithm, ...(config.kmsMasterKeyId === undefined ? {} : { KMSMasterKeyID: config.kmsMasterKeyId }) };
  const blocked = config.blockedEncryptionTypes ? { BlockedEncryptionTypes: { EncryptionType: config.blockedEncryptionTypes } } : {};
  return { ServerSideEncryptionConfiguration: { "@_xmlns": S3_XMLNS, Rule: { ApplyServerSideEncryptionByDefault: defaults, BucketKeyEnabled: String(config.bucketKeyEnabled), ...blocked } } };
}

export async function putBucketEncryptionHandler(c: Context<AppEnv>, bucketName: string): Promise<Response> {
  const { deps, customer, op } = c.var;
  const bucket = await findBucket(deps, customer.customerId, bucketName);
  const config = await putBucketEncryption(deps, bucket, parseConfiguration(await readXmlDocument(c)));
  op.info = { algorithm: config.algorithm, ...(config.keyId ? { key_id: config.keyId } : {}), bucket_key_enabled: config.bucketKeyEnabled };
  return empty(c, 200);
}

export async function getBucketEncryptionHandler(c: Context<AppEnv>, bucketName: string): Promise<Response> {
  const { deps, customer } = c.var;
  return xml(c, configurationXml(await getBucketEncryption(deps, await findBucket(deps, customer.customerId, bucketName))));
}

export async function deleteBucketEncryptionHandler(c: Context<AppEnv>, bucketName: string): Promise<Response> {
  const { deps, customer, op } = c.var;
  op.info = { removed: await deleteBucketEncryption(deps, await findBucket(deps, customer.customerId, bucketName)) };
  return empty(c, 204);
}

/** `PUT /<key>?encryption` (UpdateObjectEncryption, 2026): named, and refused, so it is never taken for a PutObject. */
export function updateObjectEncryptionHandler(): Promise<Response> {
  return Promise.reject(s3Error("NotImplemented", "UpdateObjectEncryption is not implemented by this gateway"));
}
