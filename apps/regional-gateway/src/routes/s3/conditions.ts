import { AppError, s3Error } from "@s3gw/core";
import { etagListMatches, type WriteCondition } from "../../services/objects/objects.ts";

/** The four RFC 7232 preconditions S3 honours, under whatever header names the operation uses. */
interface Preconditions { ifMatch: string | null; ifNoneMatch: string | null; ifModifiedSince: string | null; ifUnmodifiedSince: string | null }

/**
 * S3's evaluation: a true If-Match overrides a false If-Unmodified-Since, and a false
 * If-None-Match overrides a true If-Modified-Since. `etag` is the rendered, quoted ETag.
 */
function evaluate(p: Preconditions, etag: string, lastModified: Date): "ok" | "failed" | "not-modified" {
  const modified = Math.floor(lastModified.getTime() / 1000) * 1000;
  const ifModifiedSince = parseDate(p.ifModifiedSince);
  const ifUnmodifiedSince = parseDate(p.ifUnmodifiedSince);
  if (p.ifMatch !== null) {
    if (!etagListMatches(p.ifMatch, etag)) return "failed";
  } else if (ifUnmodifiedSince !== undefined && modified > ifUnmodifiedSince) {
    return "failed";
  }
  if (p.ifNoneMatch !== null) {
    if (etagListMatches(p.ifNoneMatch, etag)) return "not-modified";
  } else if (ifModifiedSince !== undefined && modified <= ifModifiedSince) {
    return "not-modified";
  }
  return "ok";
}

/** GET/HEAD: If-Match and If-Unmodified-Since fail with 412; If-None-Match and If-Modified-Since answer 304. */
export function checkPreconditions(headers: Headers, etag: string, lastModified: Date): void {
  const p = { ifMatch: headers.get("if-match"), ifNoneMatch: headers.get("if-none-match"), ifModifiedSince: headers.get("if-modified-since"), ifUnmodifiedSince: headers.get("if-unmodified-since") };
  const outcome = evaluate(p, etag, lastModified);
  if (outcome === "failed") throw s3Error("PreconditionFailed", undefined, { resource: p.ifMatch !== null ? "If-Match" : "If-Unmodified-Since" });
  if (outcome === "not-modified") throw notModified(etag, lastModified);
}

/** CopyObject and UploadPartCopy: every failed `x-amz-copy-source-if-*` condition is 412, as in S3. */
export function checkCopySourcePreconditions(headers: Headers, etag: string, lastModified: Date): void {
  const h = (name: string) => headers.get(`x-amz-copy-source-${name}`);
  const p = { ifMatch: h("if-match"), ifNoneMatch: h("if-none-match"), ifModifiedSince: h("if-modified-since"), ifUnmodifiedSince: h("if-unmodified-since") };
  if (evaluate(p, etag, lastModified) !== "ok") throw s3Error("PreconditionFailed", undefined, { resource: "x-amz-copy-source" });
}

/**
 * Conditional writes (PutObject, CompleteMultipartUpload, CopyObject): `If-None-Match` takes
 * `*` or ETags, `If-Match` takes ETags or `*` (AWS, 2024). Both are judged against the key's
 * current version only, at commit time under the key's lock.
 */
export function writeCondition(headers: Headers): WriteCondition | undefined {
  const ifNoneMatch = headers.get("if-none-match");
  const ifMatch = headers.get("if-match");
  if (ifNoneMatch === null && ifMatch === null) return undefined;
  for (const [name, v] of [["If-None-Match", ifNoneMatch], ["If-Match", ifMatch]] as const) {
    if (v !== null && (v.trim() === "" || v.length > 1024)) throw s3Error("InvalidArgument", `${name} must name an ETag or *`, { resource: name });
  }
  return { ...(ifNoneMatch !== null ? { ifNoneMatch } : {}), ...(ifMatch !== null ? { ifMatch } : {}) };
}

function parseDate(v: string | null): number | undefined {
  if (v === null) return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}

function notModified(etag: string, lastModified: Date): AppError {
  return new AppError("NotModified", 304, "Not Modified", { headers: { etag, "last-modified": lastModified.toUTCString() } });
}
