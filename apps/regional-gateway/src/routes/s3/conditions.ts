import { AppError, s3Error } from "@s3gw/core";

/**
 * RFC 7232 preconditions as S3 applies them to GET/HEAD: If-Match and If-Unmodified-Since
 * fail with 412; If-None-Match and If-Modified-Since answer 304.
 */
export function checkPreconditions(headers: Headers, etag: string, lastModified: Date): void {
  const quoted = `"${etag}"`;
  const modified = Math.floor(lastModified.getTime() / 1000) * 1000;
  const ifMatch = headers.get("if-match");
  const ifNoneMatch = headers.get("if-none-match");
  const ifModifiedSince = parseDate(headers.get("if-modified-since"));
  const ifUnmodifiedSince = parseDate(headers.get("if-unmodified-since"));
  if (ifMatch !== null) {
    if (!etagListMatches(ifMatch, quoted)) throw s3Error("PreconditionFailed", undefined, { resource: "If-Match" });
  } else if (ifUnmodifiedSince !== undefined && modified > ifUnmodifiedSince) {
    throw s3Error("PreconditionFailed", undefined, { resource: "If-Unmodified-Since" });
  }
  if (ifNoneMatch !== null) {
    if (etagListMatches(ifNoneMatch, quoted)) throw notModified(quoted, lastModified);
  } else if (ifModifiedSince !== undefined && modified <= ifModifiedSince) {
    throw notModified(quoted, lastModified);
  }
}

function etagListMatches(list: string, quoted: string): boolean {
  return list.split(",").some((t) => {
    const v = t.trim().replace(/^W\//, "");
    return v === "*" || v === quoted || `"${v}"` === quoted;
  });
}

function parseDate(v: string | null): number | undefined {
  if (v === null) return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}

function notModified(etag: string, lastModified: Date): AppError {
  return new AppError("NotModified", 304, "Not Modified", { headers: { etag, "last-modified": lastModified.toUTCString() } });
}
