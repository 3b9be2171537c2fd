import { parseCorsConfiguration, S3_XMLNS, s3Error, type CorsRule } from "@s3gw/core";
import type { Context } from "hono";
import type { AppEnv } from "../../env.ts";
import { findBucket } from "../../services/objects/buckets.ts";
import { deleteCorsRules, getCorsRules, putCorsRules } from "../../services/objects/cors.ts";
import { readXmlDocument } from "./xml-body.ts";
import { empty, xml } from "./xml-response.ts";

/** `PUT/GET/DELETE ?cors`: the bucket's CORS configuration, stored validated in bucket_settings. */

function ruleXml(rule: CorsRule): Record<string, unknown> {
  return {
    ...(rule.id === undefined ? {} : { ID: rule.id }),
    AllowedOrigin: rule.allowedOrigins,
    AllowedMethod: rule.allowedMethods,
    ...(rule.allowedHeaders.length ? { AllowedHeader: rule.allowedHeaders } : {}),
    ...(rule.exposeHeaders.length ? { ExposeHeader: rule.exposeHeaders } : {}),
    ...(rule.maxAgeSeconds === undefined ? {} : { MaxAgeSeconds: rule.maxAgeSeconds }),
  };
}

export async function putBucketCorsHandler(c: Context<AppEnv>, bucketName: string): Promise<Response> {
  const { deps, customer, op } = c.var;
  const bucket = await findBucket(deps, customer.customerId, bucketName);
  const rules = parseCorsConfiguration(await readXmlDocument(c));
  await putCorsRules(deps, bucket, rules);
  op.info = { rules: rules.length };
  return empty(c, 200);
}

export async function getBucketCorsHandler(c: Context<AppEnv>, bucketName: string): Promise<Response> {
  const { deps, customer } = c.var;
  const rules = await getCorsRules(deps, await findBucket(deps, customer.customerId, bucketName));
  if (!rules) throw s3Error("NoSuchCORSConfiguration", undefined, { resource: bucketName });
  return xml(c, { CORSConfiguration: { "@_xmlns": S3_XMLNS, CORSRule: rules.map(ruleXml) } });
}

export async function deleteBucketCorsHandler(c: Context<AppEnv>, bucketName: string): Promise<Response> {
  const { deps, customer, op } = c.var;
  op.info = { removed: await deleteCorsRules(deps, await findBucket(deps, customer.customerId, bucketName)) };
  return empty(c, 204);
}
