import { S3_XMLNS, s3Error, TENANCY_REASON } from "@s3gw/core";
import type { Context } from "hono";
import type { AppEnv } from "../../env.ts";
import { findBucket } from "../../services/objects/buckets.ts";
import { elements, readXmlDocument, text } from "./xml-body.ts";
import { empty, xml } from "./xml-response.ts";

const SETTINGS = ["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"] as const;

/**
 * Public access is always blocked: no ACL or policy can grant to the public (they are refused),
 * so every bucket reports all four settings true, a PUT may only restate that, and DELETE
 * leaves it so. Nothing is stored.
 */
export async function getPublicAccessBlockHandler(c: Context<AppEnv>, bucketName: string): Promise<Response> {
  await findBucket(c.var.deps, c.var.customer.customerId, bucketName);
  return xml(c, { PublicAccessBlockConfiguration: { "@_xmlns": S3_XMLNS, ...Object.fromEntries(SETTINGS.map((s) => [s, "true"])) } });
}

export async function putPublicAccessBlockHandler(c: Context<AppEnv>, bucketName: string): Promise<Response> {
  await findBucket(c.var.deps, c.var.customer.customerId, bucketName);
  const root = elements((await readXmlDocument(c)).PublicAccessBlockConfiguration)[0];
  if (!root) throw s3Error("MalformedXML");
  for (const name of Object.keys(root)) if (!(SETTINGS as readonly string[]).includes(name)) throw s3Error("MalformedXML", `Unknown element ${name.slice(0, 64)}`);
  // An element left out is false in S3, so it relaxes the block as much as an explicit false.
  const relaxed = SETTINGS.filter((s) => {
    const value = text(root[s])?.toLowerCase();
    if (value !== undefined && value !== "true" && value !== "false") throw s3Error("MalformedXML", `${s} must be true or false`);
    return value !== "true";
  });
  if (relaxed.length > 0) {
    c.var.op.info = { ...c.var.op.info, reason: "public_access_block_relaxed", relaxed };
    throw s3Error("AccessDenied", `Relaxing the public access block (${relaxed.join(", ")}) is refused: ${TENANCY_REASON}`);
  }
  return empty(c, 200);
}

/** S3 would fall back to no block at all; here the block stays all-true, and the answer is S3's 204. */
export async function deletePublicAccessBlockHandler(c: Context<AppEnv>, bucketName: string): Promise<Response> {
  await findBucket(c.var.deps, c.var.customer.customerId, bucketName);
  c.var.op.info = { ...c.var.op.info, kept: "all-true" };
  return empty(c, 204);
}
