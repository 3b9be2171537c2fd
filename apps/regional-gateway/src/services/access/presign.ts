import { apiError, assertObjectKey, isAppError, presignUrl } from "@s3gw/core";
import { accessKeys, dataSubjectRequests } from "@s3gw/schema-regional";
import { and, desc, eq, inArray } from "drizzle-orm";
import { z } from "zod";
import type { Deps } from "../../env.ts";
import { findActiveAccessKey } from "./access-keys.ts";
import { findBucket } from "../objects/buckets.ts";
import { findObject } from "../objects/objects.ts";

export const presignSchema = z.strictObject({
  customer_id: z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/).optional(),
  bucket: z.string().min(3).max(63),
  key: z.string().min(1).max(1024),
  method: z.enum(["GET", "PUT"]),
  expires_in: z.number().int().min(1).max(604_800).default(300),
  access_key_id: z.string().max(128).optional(),
});
export type PresignInput = z.infer<typeof presignSchema>;

/**
 * A presigned URL on the global endpoint, issued only for the caller's own bucket and, for
 * GET, only for an object that exists and is neither restricted nor awaiting erasure.
 */
export async function issuePresignedUrl(deps: Deps, customerId: string, input: PresignInput) {
  const max = deps.config.presignMaxExpiresSeconds;
  if (input.expires_in > max) throw apiError.badRequest(`expires_in may be at most ${max} seconds`);
  if (!deps.config.publicS3Endpoint) throw apiError.unavailable("PUBLIC_S3_ENDPOINT is not configured: this region cannot issue URLs on the global endpoint");
  try {
    assertObjectKey(input.key);
    const bucket = await findBucket(deps.db, customerId, input.bucket);
    if (input.method === "GET") {
      const row = await findObject(deps.db, bucket, input.key);
      if (row.processingRestricted) throw apiError.conflict("processing of this object is restricted (GDPR Art. 18)");
      if (row.dataSubjectId && (await erasurePending(deps, customerId, row.dataSubjectId))) {
        throw apiError.conflict("an erasure request for this object's data subject is pending");
      }
    }
  } catch (err) {
    if (isAppError(err) && (err.code === "NoSuchBucket" || err.code === "NoSuchKey")) throw apiError.notFound(err.message);
    if (isAppError(err) && err.status === 400 && err.code !== "BAD_REQUEST") throw apiError.badRequest(err.message);
    throw err;
  }
  const key = await signingKey(deps, customerId, input);
  const endpoint = new URL(deps.config.publicS3Endpoint);
  const rawPath = `/${input.bucket}/${input.key.split("/").map(encodeURIComponent).join("/")}`;
  const now = deps.clock.now();
  const url = await presignUrl({
    method: input.method,
    protocol: endpoint.protocol as "http:" | "https:",
    host: endpoint.host,
    rawPath,
    credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey },
    region: "us-east-1",
    expiresInSeconds: input.expires_in,
    now,
  });
  return { url, method: input.method, access_key_id: key.accessKeyId, expires_at: new Date(now.getTime() + input.expires_in * 1000).toISOString() };
}

async function signingKey(deps: Deps, customerId: string, input: PresignInput) {
  const wanted = input.method === "PUT" ? ["read-write"] : ["read-write", "read-only"];
  let id = input.access_key_id;
  if (!id) {
    const [row] = await deps.db
      .select({ id: accessKeys.accessKeyId })
      .from(accessKeys)
      .where(and(eq(accessKeys.customerId, customerId), eq(accessKeys.status, "active"), inArray(accessKeys.permission, wanted as ("read-write" | "read-only")[])))
      .orderBy(desc(accessKeys.createdAt))
      .limit(1);
    if (!row) throw apiError.conflict(`customer ${customerId} has no active ${input.method === "PUT" ? "read-write " : ""}access key to sign with`);
    id = row.id;
  }
  const key = await findActiveAccessKey(deps, id);
  if (!key || key.customerId !== customerId) throw apiError.notFound(`customer ${customerId} has no active access key ${id}`);
  if (!wanted.includes(key.permission)) throw apiError.forbidden(`access key ${id} is ${key.permission}`);
  if (key.allowedBuckets && !key.allowedBuckets.includes(input.bucket)) throw apiError.forbidden(`access key ${id} may not access bucket ${input.bucket}`);
  return key;
}

async function erasurePending(deps: Deps, customerId: string, subject: string): Promise<boolean> {
  const [row] = await deps.db
    .select({ id: dataSubjectRequests.requestId })
    .from(dataSubjectRequests)
    .where(and(eq(dataSubjectRequests.customerId, customerId), eq(dataSubjectRequests.dataSubjectId, subject), eq(dataSubjectRequests.requestType, "erasure"), inArray(dataSubjectRequests.status, ["pending", "in_progress"])))
    .limit(1);
  return row !== undefined;
}
