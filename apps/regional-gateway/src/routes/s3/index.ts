import { s3Error } from "@s3gw/core";
import type { Context } from "hono";
import { Hono } from "hono";
import type { AppEnv } from "../../env.ts";
import { s3Customer } from "../../middleware/s3-customer.ts";
import { createBucketHandler, deleteBucketHandler, getBucketLocationHandler, headBucketHandler } from "./bucket-ops.ts";
import { deleteObjectHandler } from "./delete-object.ts";
import { getObjectHandler } from "./get-object.ts";
import { listBucketsHandler } from "./list-buckets.ts";
import { listObjectsHandler } from "./list-objects.ts";
import { getObjectLegalHoldHandler, getObjectRetentionHandler, putObjectLegalHoldHandler, putObjectRetentionHandler } from "./object-lock.ts";
import { putObjectHandler } from "./put-object.ts";
import { parseS3Target } from "./target.ts";

/** Sub-resources S3 defines that this gateway does not serve yet: refused explicitly, never mistaken for a plain GET/PUT. */
const UNSUPPORTED_SUBRESOURCES = [
  "acl", "policy", "versioning", "versions", "lifecycle", "cors", "encryption", "website", "logging", "notification",
  "replication", "tagging", "uploads", "uploadId", "delete", "object-lock", "restore",
  "select", "attributes", "torrent", "requestPayment", "accelerate", "analytics", "inventory", "metrics",
  "ownershipControls", "publicAccessBlock", "intelligent-tiering",
];

type Handler = (c: Context<AppEnv>, bucket: string, key: string) => Promise<Response>;
interface Route { operation: string; handler: Handler }

/** Picks the S3 operation from method, path and query, before authentication, so denials are logged by name. */
function resolveOperation(method: string, bucket: string | undefined, key: string | undefined, query: URLSearchParams): Route {
  const unsupported = UNSUPPORTED_SUBRESOURCES.find((s) => query.has(s));
  const fail = (operation: string, err: Error): Route => ({ operation, handler: () => Promise.reject(err) });
  if (bucket === undefined) {
    return method === "GET" ? { operation: "ListBuckets", handler: (c) => listBucketsHandler(c) } : fail("Unknown", s3Error("MethodNotAllowed"));
  }
  if (unsupported) return fail(`Unsupported:${unsupported}`, s3Error("NotImplemented", `The ${unsupported} sub-resource is not implemented by this gateway`));
  if (query.has("legal-hold") || query.has("retention")) {
    const legalHold = query.has("legal-hold");
    if (key === undefined) return fail("Unknown", s3Error("InvalidRequest", "legal-hold and retention are object sub-resources"));
    if (method === "GET") return legalHold ? { operation: "GetObjectLegalHold", handler: getObjectLegalHoldHandler } : { operation: "GetObjectRetention", handler: getObjectRetentionHandler };
    if (method === "PUT") return legalHold ? { operation: "PutObjectLegalHold", handler: putObjectLegalHoldHandler } : { operation: "PutObjectRetention", handler: putObjectRetentionHandler };
    return fail("Unknown", s3Error("MethodNotAllowed"));
  }
  if (key === undefined) {
    if (method === "GET" && query.has("location")) return { operation: "GetBucketLocation", handler: (c, b) => getBucketLocationHandler(c, b) };
    if (method === "GET") return { operation: query.get("list-type") === "2" ? "ListObjectsV2" : "ListObjects", handler: (c, b) => listObjectsHandler(c, b) };
    if (method === "HEAD") return { operation: "HeadBucket", handler: (c, b) => headBucketHandler(c, b) };
    if (method === "PUT") return { operation: "CreateBucket", handler: (c, b) => createBucketHandler(c, b) };
    if (method === "DELETE") return { operation: "DeleteBucket", handler: (c, b) => deleteBucketHandler(c, b) };
    return fail("Unknown", s3Error("MethodNotAllowed"));
  }
  if (method === "GET") return { operation: "GetObject", handler: getObjectHandler };
  if (method === "HEAD") return { operation: "HeadObject", handler: getObjectHandler };
  if (method === "PUT") return { operation: "PutObject", handler: putObjectHandler };
  if (method === "DELETE") return { operation: "DeleteObject", handler: deleteObjectHandler };
  return fail("Unknown", s3Error("MethodNotAllowed"));
}

export function s3Routes(): Hono<AppEnv> {
  const s3 = new Hono<AppEnv>();
  s3.use("*", async (c, next) => {
    const { bucket, key } = parseS3Target(c.req.url);
    if (c.req.method === "PUT" && key !== undefined && c.req.header("x-amz-copy-source")) {
      throw s3Error("NotImplemented", "CopyObject is not implemented by this gateway yet");
    }
    const route = resolveOperation(c.req.method, bucket, key, new URL(c.req.url).searchParams);
    const op = c.var.op;
    op.operation = route.operation;
    if (bucket !== undefined) op.bucket = bucket;
    if (key !== undefined) op.key = key;
    await s3Customer(c, async () => {
      c.res = await route.handler(c, bucket ?? "", key ?? "");
    });
  });
  return s3;
}
