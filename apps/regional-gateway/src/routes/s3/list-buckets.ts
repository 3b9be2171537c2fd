import { decodeCursor, encodeCursor, s3Error } from "@s3gw/core";
import type { Context } from "hono";
import { z } from "zod";
import type { AppEnv } from "../../env.ts";
import { listBucketPage } from "../../services/objects/bucket-listing.ts";
import { isoDate, xml } from "./xml-response.ts";

/** S3's bound on max-buckets, and the page size when a client sets none. */
const MAX_BUCKETS = 10_000;

const querySchema = z.object({
  "max-buckets": z.string().regex(/^\d{1,5}$/, "max-buckets must be an integer between 1 and 10000").transform(Number)
    .refine((n) => n >= 1 && n <= MAX_BUCKETS, "max-buckets must be an integer between 1 and 10000").optional(),
  prefix: z.string().max(255).default(""),
  "continuation-token": z.string().max(1024).optional(),
});

export async function listBucketsHandler(c: Context<AppEnv>): Promise<Response> {
  const { deps, customer } = c.var;
  const parsed = querySchema.safeParse(Object.fromEntries(c.var.s3Target.query));
  if (!parsed.success) throw s3Error("InvalidArgument", parsed.error.issues[0]?.message);
  const q = parsed.data;
  // An empty token is no position, as for ListObjectsV2.
  const after = q["continuation-token"] ? decodeCursor(q["continuation-token"]).key : undefined;
  const page = await listBucketPage(deps.db, customer.customerId, { prefix: q.prefix, after, limit: q["max-buckets"] ?? MAX_BUCKETS });
  const last = page.buckets.at(-1);
  return xml(c, {
    ListAllMyBucketsResult: {
      "@_xmlns": "http://s3.amazonaws.com/doc/2006-03-01/",
      Owner: { ID: customer.customerId, DisplayName: customer.customerId },
      Buckets: { Bucket: page.buckets.map((b) => ({ Name: b.bucketName, CreationDate: isoDate(b.createdAt), BucketRegion: b.regionId })) },
      ...(page.truncated && last ? { ContinuationToken: encodeCursor({ key: last.bucketName, inclusive: false }) } : {}),
      ...(q.prefix === "" ? {} : { Prefix: q.prefix }),
    },
  });
}
