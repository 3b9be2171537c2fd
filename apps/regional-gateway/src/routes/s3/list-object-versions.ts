import { S3_XMLNS, s3Error, toXml } from "@s3gw/core";
import type { Context } from "hono";
import { z } from "zod";
import type { AppEnv } from "../../env.ts";
import { findBucket } from "../../services/objects/buckets.ts";
import { listVersions, versionCursor } from "../../services/objects/object-versions-list.ts";
import { renderEtag } from "../../services/objects/objects.ts";
import { isoDate } from "./xml-response.ts";

const querySchema = z.object({
  prefix: z.string().max(1024).default(""),
  delimiter: z.string().max(64).optional().transform((d) => d || undefined),
  "max-keys": z.string().regex(/^\d{1,9}$/, "max-keys must be a non-negative integer").optional(),
  "key-marker": z.string().max(1024).optional(),
  "version-id-marker": z.string().max(64).optional(),
  "encoding-type": z.enum(["url"]).optional(),
});

/** Sibling elements without a root or declaration (the builder's output for a multi-key object). */
const fragment = (doc: Record<string, unknown>) => toXml(doc).replace(/^<\?xml[^>]*\?>\n/, "");

/**
 * ListObjectVersions (`GET /bucket?versions`): every version and delete marker, by key and
 * newest first within a key, Version and DeleteMarker elements interleaved in that order as
 * S3 sends them (so the XML is assembled from fragments rather than one object).
 */
export async function listObjectVersionsHandler(c: Context<AppEnv>, bucketName: string): Promise<Response> {
  const { deps, customer } = c.var;
  const parsed = querySchema.safeParse(Object.fromEntries(c.var.s3Target.query));
  if (!parsed.success) throw s3Error("InvalidArgument", parsed.error.issues[0]?.message);
  const q = parsed.data;
  const bucket = await findBucket(deps, customer.customerId, bucketName);
  const maxKeys = Math.min(Number(q["max-keys"] ?? 1000), 1000);
  const cursor = await versionCursor(deps.db, bucket, { keyMarker: q["key-marker"], versionIdMarker: q["version-id-marker"], prefix: q.prefix, delimiter: q.delimiter });
  const page = await listVersions(deps.db, bucket, { prefix: q.prefix, delimiter: q.delimiter, maxKeys, cursor });
  const enc = (s: string) => (q["encoding-type"] === "url" ? encodeURIComponent(s).replace(/%2F/g, "/") : s);
  const owner = { ID: customer.customerId, DisplayName: customer.customerId };

  const head: Record<string, unknown> = { Name: bucketName, Prefix: enc(q.prefix), KeyMarker: enc(q["key-marker"] ?? ""), VersionIdMarker: q["version-id-marker"] ?? "" };
  if (page.isTruncated && page.next) {
    head.NextKeyMarker = enc(page.next.key);
    if (page.next.versionId !== undefined) head.NextVersionIdMarker = page.next.versionId;
  }
  head.MaxKeys = maxKeys;
  if (q.delimiter) head.Delimiter = enc(q.delimiter);
  if (q["encoding-type"]) head.EncodingType = q["encoding-type"];
  head.IsTruncated = page.isTruncated;
  const entries = page.entries.map((e) =>
    e.marker
      ? fragment({ DeleteMarker: { Key: enc(e.key), VersionId: e.versionId, IsLatest: e.isLatest, LastModified: isoDate(e.lastModified), Owner: owner } })
      : fragment({ Version: { Key: enc(e.key), VersionId: e.versionId, IsLatest: e.isLatest, LastModified: isoDate(e.lastModified), ETag: renderEtag(e), Size: e.size, StorageClass: "STANDARD", Owner: owner } }),
  );
  const prefixes = page.commonPrefixes.map((p) => fragment({ CommonPrefixes: { Prefix: enc(p) } }));
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<ListVersionsResult xmlns="${S3_XMLNS}">${fragment(head)}${entries.join("")}${prefixes.join("")}</ListVersionsResult>`;
  return c.body(body, 200, { "content-type": "application/xml" });
}
