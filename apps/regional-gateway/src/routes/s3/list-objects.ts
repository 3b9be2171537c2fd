import { decodeCursor, encodeCursor, listKeys, pastPrefix, s3Error, type ListCursor } from "@s3gw/core";
import type { Context } from "hono";
import { z } from "zod";
import type { AppEnv } from "../../env.ts";
import { findBucket } from "../../services/objects/buckets.ts";
import { fetchKeys, renderEtag } from "../../services/objects/objects.ts";
import { isoDate, xml } from "./xml-response.ts";

const querySchema = z.object({
  "list-type": z.enum(["2"]).optional(),
  prefix: z.string().max(1024).default(""),
  // An empty delimiter means none, as in S3 (rclone sends `delimiter=` for recursive listings).
  delimiter: z.string().max(64).optional().transform((d) => d || undefined),
  "max-keys": z.string().regex(/^\d{1,9}$/, "max-keys must be a non-negative integer").optional(),
  "continuation-token": z.string().max(4096).optional(),
  "start-after": z.string().max(1024).optional(),
  marker: z.string().max(1024).optional(),
  "encoding-type": z.enum(["url"]).optional(),
  "fetch-owner": z.enum(["true", "false"]).optional(),
});

/** ListObjectsV2 (list-type=2) and the original ListObjects, over the same key-ordered scan. */
export async function listObjectsHandler(c: Context<AppEnv>, bucketName: string): Promise<Response> {
  const { deps, customer } = c.var;
  const parsed = querySchema.safeParse(Object.fromEntries(c.var.s3Target.query));
  if (!parsed.success) throw s3Error("InvalidArgument", parsed.error.issues[0]?.message);
  const q = parsed.data;
  const v2 = q["list-type"] === "2";
  const bucket = await findBucket(deps, customer.customerId, bucketName);
  const maxKeys = Math.min(Number(q["max-keys"] ?? 1000), 1000);

  let cursor: ListCursor | undefined;
  // An empty token is no position (the listing starts over, or after start-after) and is echoed back.
  if (v2 && q["continuation-token"]) cursor = decodeCursor(q["continuation-token"]);
  else if (v2 && q["start-after"]) cursor = { key: q["start-after"], inclusive: false };
  else if (!v2 && q.marker) cursor = markerCursor(q.marker, q.prefix, q.delimiter);

  const page = await listKeys({ prefix: q.prefix, delimiter: q.delimiter, maxKeys, cursor }, (cur, limit) =>
    fetchKeys(deps.db, bucket, q.prefix, cur, limit),
  );
  const enc = (s: string) => (q["encoding-type"] === "url" ? encodeURIComponent(s).replace(/%2F/g, "/") : s);
  const owner = { ID: customer.customerId, DisplayName: customer.customerId };
  const contents = page.contents.map((o) => ({
    Key: enc(o.key),
    LastModified: isoDate(o.lastModified),
    ETag: renderEtag(o),
    Size: o.size,
    StorageClass: "STANDARD",
    ...(!v2 || q["fetch-owner"] === "true" ? { Owner: owner } : {}),
  }));
  const common = page.commonPrefixes.map((p) => ({ Prefix: enc(p) }));
  const lastReturned = [...page.contents.map((o) => o.key), ...page.commonPrefixes]
    .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
    .at(-1);

  const result: Record<string, unknown> = {
    "@_xmlns": "http://s3.amazonaws.com/doc/2006-03-01/",
    Name: bucketName,
    // ListObjects (v1) answers Prefix as sent even with encoding-type=url, as S3 does (botocore
    // decodes only Delimiter, Marker and NextMarker there; v2 encodes it and botocore decodes it).
    Prefix: v2 ? enc(q.prefix) : q.prefix,
  };
  if (v2) {
    if (q["start-after"]) result.StartAfter = enc(q["start-after"]);
    if (q["continuation-token"] !== undefined) result.ContinuationToken = q["continuation-token"];
    result.KeyCount = contents.length + common.length;
  } else {
    result.Marker = enc(q.marker ?? "");
  }
  result.MaxKeys = maxKeys;
  if (q.delimiter) result.Delimiter = enc(q.delimiter);
  if (q["encoding-type"]) result.EncodingType = q["encoding-type"];
  result.IsTruncated = page.isTruncated;
  if (page.isTruncated && v2 && page.next) result.NextContinuationToken = encodeCursor(page.next);
  if (page.isTruncated && !v2 && q.delimiter && lastReturned) result.NextMarker = enc(lastReturned);
  result.Contents = contents;
  result.CommonPrefixes = common;
  return xml(c, { ListBucketResult: result });
}

/** A v1 marker may be a common prefix returned as NextMarker; resume after everything under it. */
function markerCursor(marker: string, prefix: string, delimiter: string | undefined): ListCursor {
  if (delimiter && marker.startsWith(prefix) && marker.endsWith(delimiter) && marker.slice(prefix.length).indexOf(delimiter) === marker.length - prefix.length - delimiter.length) {
    return pastPrefix(marker);
  }
  return { key: marker, inclusive: false };
}
