import { assertObjectKey, s3Error } from "@s3gw/core";
import type { Context } from "hono";
import type { AppEnv } from "../../env.ts";
import { findBucket } from "../../services/objects/buckets.ts";

/**
 * GetObjectTorrent: this gateway serves no torrents (AWS has stopped offering them), so it
 * answers as S3 does for an object without one: 404 NoSuchKey — never 501, which clients read
 * as our fault. The caller's own bucket is looked up first, so another name is NoSuchBucket.
 */
export async function getObjectTorrentHandler(c: Context<AppEnv>, bucketName: string, key: string): Promise<Response> {
  assertObjectKey(key);
  await findBucket(c.var.deps.db, c.var.customer.customerId, bucketName);
  throw s3Error("NoSuchKey", "No torrent is available for this object", { resource: key });
}
