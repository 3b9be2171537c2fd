import { S3_XMLNS, s3Error, TENANCY_REASON } from "@s3gw/core";
import type { Context } from "hono";
import type { AppEnv } from "../../env.ts";
import { isPublicReadBucket } from "../../services/compliance/public-read.ts";
import { findBucket } from "../../services/objects/buckets.ts";
import { elements, readXmlDocument, text } from "./xml-body.ts";
import { empty, xml } from "./xml-response.ts";

const SETTINGS = ["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"] as const;
/** What the customer's public_read_buckets rule relaxes for its buckets: public ACLs stay refused everywhere. */
const RULE_RELAXES: readonly string[] = ["BlockPublicPolicy", "RestrictPublicBuckets"];

/**
 * The block as it is in force, which the compliance rule alone decides (nothing is stored):
 * all four true, except that a bucket the customer's public_read_buckets rule opens to
 * anonymous reads has BlockPublicPolicy and RestrictPublicBuckets false.
 */
async function effectiveBlock(c: Context<AppEnv>, bucketName: string): Promise<Record<(typeof SETTINGS)[number], boolean>> {
  await findBucket(c.var.deps, c.var.customer.customerId, bucketName);
  const open = await isPublicReadBucket(c.var.deps, c.var.customer.customerId, bucketName);
  return Object.fromEntries(SETTINGS.map((s) => [s, !(open && RULE_RELAXES.includes(s))])) as Record<(typeof SETTINGS)[number], boolean>;
}

/**
 * Public access is blocked unless a compliance rule opens a bucket to anonymous reads: GET
 * reports the block in force, a PUT may only restate it (relaxing beyond the rule is
 * AccessDenied; re-blocking a bucket the rule opens is the rule's business, InvalidRequest),
 * and DELETE leaves it so.
 */
export async function getPublicAccessBlockHandler(c: Context<AppEnv>, bucketName: string): Promise<Response> {
  const block = await effectiveBlock(c, bucketName);
  return xml(c, { PublicAccessBlockConfiguration: { "@_xmlns": S3_XMLNS, ...Object.fromEntries(SETTINGS.map((s) => [s, String(block[s])])) } });
}

export async function putPublicAccessBlockHandler(c: Context<AppEnv>, bucketName: string): Promise<Response> {
  const block = await effectiveBlock(c, bucketName);
  const root = elements((await readXmlDocument(c)).PublicAccessBlockConfiguration)[0];
  if (!root) throw s3Error("MalformedXML");
  for (const name of Object.keys(root)) if (!(SETTINGS as readonly string[]).includes(name)) throw s3Error("MalformedXML", `Unknown element ${name.slice(0, 64)}`);
  // An element left out is false in S3, so it relaxes the block as much as an explicit false.
  const relaxed = SETTINGS.filter((s) => {
    const value = text(root[s])?.toLowerCase();
    if (value !== undefined && value !== "true" && value !== "false") throw s3Error("MalformedXML", `${s} must be true or false`);
    return value !== "true" && block[s];
  });
  const reblocked = SETTINGS.filter((s) => !block[s] && text(root[s])?.toLowerCase() === "true");
  if (relaxed.length > 0) {
    c.var.op.info = { ...c.var.op.info, reason: "public_access_block_relaxed", relaxed };
    throw s3Error("AccessDenied", `Relaxing the public access block (${relaxed.join(", ")}) is refused: ${TENANCY_REASON}`);
  }
  if (reblocked.length > 0) {
    throw s3Error("InvalidRequest", `${reblocked.join(", ")} of ${bucketName} follow the compliance rule public_read_buckets: remove the bucket from it to block public reads`);
  }
  return empty(c, 200);
}

/** S3 would fall back to no block at all; here the block stays all-true, and the answer is S3's 204. */
export async function deletePublicAccessBlockHandler(c: Context<AppEnv>, bucketName: string): Promise<Response> {
  await findBucket(c.var.deps, c.var.customer.customerId, bucketName);
  c.var.op.info = { ...c.var.op.info, kept: "all-true" };
  return empty(c, 204);
}
