import type { Context } from "hono";
import type { AppEnv } from "../../env.ts";
import { listBuckets } from "../../services/objects/buckets.ts";
import { isoDate, xml } from "./xml-response.ts";

export async function listBucketsHandler(c: Context<AppEnv>): Promise<Response> {
  const { deps, customer } = c.var;
  const rows = await listBuckets(deps.db, customer.customerId);
  return xml(c, {
    ListAllMyBucketsResult: {
      "@_xmlns": "http://s3.amazonaws.com/doc/2006-03-01/",
      Owner: { ID: customer.customerId, DisplayName: customer.customerId },
      Buckets: { Bucket: rows.map((b) => ({ Name: b.bucketName, CreationDate: isoDate(b.createdAt), BucketRegion: b.regionId })) },
    },
  });
}
