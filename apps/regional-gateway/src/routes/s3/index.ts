import { s3Error } from "@s3gw/core";
import type { Context } from "hono";
import { Hono } from "hono";
import type { AppEnv } from "../../env.ts";
import { s3Auth } from "../../middleware/s3-auth.ts";
import { createBucketHandler, deleteBucketHandler, getBucketLocationHandler, getBucketVersioningHandler, headBucketHandler } from "./bucket-ops.ts";
import { deleteBucketLifecycleHandler, getBucketLifecycleHandler, putBucketLifecycleHandler } from "./bucket-lifecycle.ts";
import { deleteObjectHandler } from "./delete-object.ts";
import { getObjectHandler } from "./get-object.ts";
import { listBucketsHandler } from "./list-buckets.ts";
import { listObjectsHandler } from "./list-objects.ts";
import { getObjectLegalHoldHandler, getObjectRetentionHandler, putObjectLegalHoldHandler, putObjectRetentionHandler } from "./object-lock.ts";
import { putObjectHandler } from "./put-object.ts";
import { completeMultipartUploadHandler } from "./complete-multipart.ts";
import { copyObjectHandler } from "./copy-object.ts";
import { deleteObjectsHandler } from "./delete-objects.ts";
import { listMultipartUploadsHandler, listPartsHandler } from "./multipart-lists.ts";
import { abortMultipartUploadHandler, createMultipartUploadHandler } from "./multipart-upload.ts";
import { deleteObjectTaggingHandler, getObjectTaggingHandler, putObjectTaggingHandler } from "./object-tagging.ts";
import { uploadPartCopyHandler } from "./upload-part-copy.ts";
import { uploadPartHandler } from "./upload-part.ts";
import { parseS3Target } from "./target.ts";

/** Sub-resources S3 defines that this gateway does not serve yet: refused explicitly, never mistaken for a plain GET/PUT. */
const UNSUPPORTED_SUBRESOURCES = [
  "acl", "policy", "versioning", "versions", "cors", "encryption", "website", "logging", "notification",
  "replication", "object-lock", "restore",
  "select", "attributes", "torrent", "requestPayment", "accelerate", "analytics", "inventory", "metrics",
  "ownershipControls", "publicAccessBlock", "intelligent-tiering",
];

type Handler = (c: Context<AppEnv>, bucket: string, key: string) => Promise<Response>;
interface Route { operation: string; handler: Handler }

/** Picks the S3 operation from method, path and query, before authentication, so denials are logged by name. */
function resolveOperation(method: string, bucket: string | undefined, key: string | undefined, query: URLSearchParams, copySource: boolean): Route {
  const unsupported = UNSUPPORTED_SUBRESOURCES.find((s) => query.has(s));
  const fail = (operation: string, err: Error): Route => ({ operation, handler: () => Promise.reject(err) });
  if (bucket === undefined) {
    return method === "GET" ? { operation: "ListBuckets", handler: (c) => listBucketsHandler(c) } : fail("Unknown", s3Error("MethodNotAllowed"));
  }
  // Versioning is never enabled here: GetBucketVersioning truthfully answers "never configured"
  // (clients such as rclone ask before deleting), while enabling it is refused below.
  if (key === undefined && method === "GET" && query.has("versioning")) return { operation: "GetBucketVersioning", handler: (c, b) => getBucketVersioningHandler(c, b) };
  if (unsupported) return fail(`Unsupported:${unsupported}`, s3Error("NotImplemented", `The ${unsupported} sub-resource is not implemented by this gateway`));
  if (query.has("lifecycle")) {
    if (key !== undefined) return fail("Unknown", s3Error("InvalidRequest", "lifecycle is a bucket sub-resource"));
    if (method === "PUT") return { operation: "PutBucketLifecycleConfiguration", handler: (c, b) => putBucketLifecycleHandler(c, b) };
    if (method === "GET") return { operation: "GetBucketLifecycleConfiguration", handler: (c, b) => getBucketLifecycleHandler(c, b) };
    if (method === "DELETE") return { operation: "DeleteBucketLifecycle", handler: (c, b) => deleteBucketLifecycleHandler(c, b) };
    return fail("Unknown", s3Error("MethodNotAllowed"));
  }
  if (query.has("legal-hold") || query.has("retention")) {
    const legalHold = query.has("legal-hold");
    if (key === undefined) return fail("Unknown", s3Error("InvalidRequest", "legal-hold and retention are object sub-resources"));
    if (method === "GET") return legalHold ? { operation: "GetObjectLegalHold", handler: getObjectLegalHoldHandler } : { operation: "GetObjectRetention", handler: getObjectRetentionHandler };
    if (method === "PUT") return legalHold ? { operation: "PutObjectLegalHold", handler: putObjectLegalHoldHandler } : { operation: "PutObjectRetention", handler: putObjectRetentionHandler };
    return fail("Unknown", s3Error("MethodNotAllowed"));
  }
  if (key === undefined) {
    if (query.has("tagging")) return fail("Unsupported:tagging", s3Error("NotImplemented", "Bucket tagging is not implemented by this gateway"));
    if (query.has("uploadId")) return fail("Unknown", s3Error("InvalidRequest", "uploadId is an object sub-resource"));
    if (query.has("uploads")) return method === "GET" ? { operation: "ListMultipartUploads", handler: (c, b) => listMultipartUploadsHandler(c, b) } : fail("Unknown", s3Error("MethodNotAllowed"));
    if (query.has("delete")) return method === "POST" ? { operation: "DeleteObjects", handler: (c, b) => deleteObjectsHandler(c, b) } : fail("Unknown", s3Error("MethodNotAllowed"));
    if (method === "GET" && query.has("location")) return { operation: "GetBucketLocation", handler: (c, b) => getBucketLocationHandler(c, b) };
    if (method === "GET") return { operation: query.get("list-type") === "2" ? "ListObjectsV2" : "ListObjects", handler: (c, b) => listObjectsHandler(c, b) };
    if (method === "HEAD") return { operation: "HeadBucket", handler: (c, b) => headBucketHandler(c, b) };
    if (method === "PUT") return { operation: "CreateBucket", handler: (c, b) => createBucketHandler(c, b) };
    if (method === "DELETE") return { operation: "DeleteBucket", handler: (c, b) => deleteBucketHandler(c, b) };
    return fail("Unknown", s3Error("MethodNotAllowed"));
  }
  return query.has("uploads") || query.has("uploadId") ? multipartOperation(method, query, copySource) : objectOperation(method, query, copySource);
}

function multipartOperation(method: string, query: URLSearchParams, copySource: boolean): Route {
  const fail = (err: Error): Route => ({ operation: "Unknown", handler: () => Promise.reject(err) });
  if (query.has("uploads")) return method === "POST" ? { operation: "CreateMultipartUpload", handler: createMultipartUploadHandler } : fail(s3Error("MethodNotAllowed"));
  if (method === "PUT" && query.has("partNumber")) {
    return copySource ? { operation: "UploadPartCopy", handler: uploadPartCopyHandler } : { operation: "UploadPart", handler: uploadPartHandler };
  }
  if (method === "POST") return { operation: "CompleteMultipartUpload", handler: completeMultipartUploadHandler };
  if (method === "DELETE") return { operation: "AbortMultipartUpload", handler: abortMultipartUploadHandler };
  if (method === "GET") return { operation: "ListParts", handler: listPartsHandler };
  return fail(method === "PUT" ? s3Error("InvalidArgument", "UploadPart needs a partNumber") : s3Error("MethodNotAllowed"));
}

function objectOperation(method: string, query: URLSearchParams, copySource: boolean): Route {
  if (query.has("tagging")) {
    if (method === "GET") return { operation: "GetObjectTagging", handler: getObjectTaggingHandler };
    if (method === "PUT") return { operation: "PutObjectTagging", handler: putObjectTaggingHandler };
    if (method === "DELETE") return { operation: "DeleteObjectTagging", handler: deleteObjectTaggingHandler };
  } else {
    if (method === "GET") return { operation: "GetObject", handler: getObjectHandler };
    if (method === "HEAD") return { operation: "HeadObject", handler: getObjectHandler };
    if (method === "PUT") return copySource ? { operation: "CopyObject", handler: copyObjectHandler } : { operation: "PutObject", handler: putObjectHandler };
    if (method === "DELETE") return { operation: "DeleteObject", handler: deleteObjectHandler };
  }
  return { operation: "Unknown", handler: () => Promise.reject(s3Error("MethodNotAllowed")) };
}

export function s3Routes(): Hono<AppEnv> {
  const s3 = new Hono<AppEnv>();
  s3.use("*", async (c, next) => {
    const { bucket, key } = parseS3Target(c.req.url);
    const route = resolveOperation(c.req.method, bucket, key, new URL(c.req.url).searchParams, c.req.header("x-amz-copy-source") !== undefined);
    const op = c.var.op;
    op.operation = route.operation;
    if (bucket !== undefined) op.bucket = bucket;
    if (key !== undefined) op.key = key;
    await s3Auth(c, async () => {
      c.res = await route.handler(c, bucket ?? "", key ?? "");
    });
  });
  return s3;
}
