import { createHash } from "node:crypto";
import { MAX_POLICY_BYTES, S3_XMLNS, s3Error } from "@s3gw/core";
import type { Context } from "hono";
import type { AppEnv } from "../../env.ts";
import { deleteBucketPolicy, getBucketPolicy, getStoredBucketPolicy, putBucketPolicy } from "../../services/access/bucket-policy.ts";
import { findBucket } from "../../services/objects/buckets.ts";
import { requestBody } from "./body.ts";
import { parseContentMd5 } from "./object-headers.ts";
import { empty, xml } from "./xml-response.ts";

const tooLarge = () => s3Error("MalformedPolicy", `Policies must be at most ${MAX_POLICY_BYTES} bytes`);

/** The JSON body, verified like every body (payload hash or chunk signatures, Content-MD5), at most 20 KiB. */
async function readPolicyText(c: Context<AppEnv>): Promise<string> {
  const contentMd5 = parseContentMd5(c.req.header("content-md5"));
  const body = requestBody(c);
  if (body.size !== undefined && body.size > MAX_POLICY_BYTES) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body.stream) {
    size += (chunk as Buffer).length;
    if (size > MAX_POLICY_BYTES) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  const bytes = Buffer.concat(chunks);
  if (contentMd5 && !createHash("md5").update(bytes).digest().equals(contentMd5)) throw s3Error("BadDigest");
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw s3Error("MalformedPolicy", "Policies must be UTF-8 text");
  }
  if (text.trim() === "") throw s3Error("MalformedPolicy", "Policies must be valid JSON and the first byte must be '{'");
  return text;
}

export async function putBucketPolicyHandler(c: Context<AppEnv>, bucketName: string): Promise<Response> {
  const { deps, customer, op } = c.var;
  const bucket = await findBucket(deps, customer.customerId, bucketName);
  const doc = await putBucketPolicy(deps, bucket, await readPolicyText(c));
  op.info = { ...op.info, statements: doc.Statement.length, deny: doc.Statement.filter((s) => s.Effect === "Deny").length, sids: doc.Statement.flatMap((s) => (s.Sid ? [s.Sid] : [])).slice(0, 20) };
  return empty(c, 204);
}

export async function getBucketPolicyHandler(c: Context<AppEnv>, bucketName: string): Promise<Response> {
  const { deps, customer } = c.var;
  const stored = await getStoredBucketPolicy(deps, await findBucket(deps, customer.customerId, bucketName));
  if (!stored) throw s3Error("NoSuchBucketPolicy", undefined, { resource: bucketName });
  // As AWS: the text as it was PUT (whitespace, key order and all), not our parse of it.
  return c.body(stored.text, 200, { "content-type": "application/json" });
}

export async function deleteBucketPolicyHandler(c: Context<AppEnv>, bucketName: string): Promise<Response> {
  const { deps, customer, op } = c.var;
  const removed = await deleteBucketPolicy(deps, await findBucket(deps, customer.customerId, bucketName));
  op.info = { ...op.info, removed };
  return empty(c, 204);
}

/**
 * Never public: a policy can only name the customer's own keys (public principals are refused
 * at PUT). Without a policy there is no status, as in AWS: NoSuchBucketPolicy.
 */
export async function getBucketPolicyStatusHandler(c: Context<AppEnv>, bucketName: string): Promise<Response> {
  const { deps, customer } = c.var;
  if (!(await getBucketPolicy(deps, await findBucket(deps, customer.customerId, bucketName)))) throw s3Error("NoSuchBucketPolicy", undefined, { resource: bucketName });
  return xml(c, { PolicyStatus: { "@_xmlns": S3_XMLNS, IsPublic: "false" } });
}
