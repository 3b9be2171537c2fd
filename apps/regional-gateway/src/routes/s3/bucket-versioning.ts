import { S3_XMLNS, s3Error } from "@s3gw/core";
import type { Context } from "hono";
import { z } from "zod";
import type { AppEnv } from "../../env.ts";
import { findBucket } from "../../services/objects/buckets.ts";
import { setBucketVersioning } from "../../services/objects/bucket-versioning.ts";
import { elements, readXmlDocument, text } from "./xml-body.ts";
import { empty, xml } from "./xml-response.ts";

const versioningDoc = z.object({
  Status: z.enum(["Enabled", "Suspended"]).optional(),
  MfaDelete: z.enum(["Enabled", "Disabled"]).optional(),
});

/** GetBucketVersioning: an empty configuration while versioning was never enabled, as S3 answers. */
export async function getBucketVersioningHandler(c: Context<AppEnv>, bucketName: string): Promise<Response> {
  const { deps, customer } = c.var;
  const bucket = await findBucket(deps, customer.customerId, bucketName);
  return xml(c, { VersioningConfiguration: { "@_xmlns": S3_XMLNS, ...(bucket.versioning ? { Status: bucket.versioning } : {}) } });
}

/** PutBucketVersioning: `<VersioningConfiguration><Status>Enabled|Suspended</Status></VersioningConfiguration>`. */
export async function putBucketVersioningHandler(c: Context<AppEnv>, bucketName: string): Promise<Response> {
  const { deps, customer, op } = c.var;
  const bucket = await findBucket(deps, customer.customerId, bucketName);
  const root = elements((await readXmlDocument(c)).VersioningConfiguration)[0];
  if (!root) throw s3Error("MalformedXML");
  const parsed = versioningDoc.safeParse({ Status: text(root.Status)?.trim(), MfaDelete: text(root.MfaDelete)?.trim() });
  if (!parsed.success) throw s3Error("MalformedXML", "Status must be Enabled or Suspended; MfaDelete Enabled or Disabled");
  const { before } = await setBucketVersioning(deps, bucket, { status: parsed.data.Status, mfaDelete: parsed.data.MfaDelete });
  op.info = { ...op.info, versioning: parsed.data.Status ?? before, was: before ?? "Unversioned" };
  return empty(c, 200);
}
