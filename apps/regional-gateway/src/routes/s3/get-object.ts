import { Readable } from "node:stream";
import { assertObjectKey, parseRange } from "@s3gw/core";
import type { Context } from "hono";
import { isCrossBorder, sourceCountryOf } from "../../source-country.ts";
import type { AppEnv } from "../../env.ts";
import { checkRead } from "../../services/access-policy.ts";
import { findBucket } from "../../services/buckets.ts";
import { findObject, openObject, renderEtag } from "../../services/objects.ts";
import { checkPreconditions } from "./conditions.ts";
import { objectResponseHeaders } from "./object-headers.ts";

export async function getObjectHandler(c: Context<AppEnv>, bucketName: string, key: string): Promise<Response> {
  const { deps, customer, op } = c.var;
  const head = c.req.method === "HEAD";
  assertObjectKey(key);
  const bucket = await findBucket(deps.db, customer.customerId, bucketName);
  const rangeHeader = c.req.header("range");

  const facts = { bucket: bucketName, key, sourceCountry: sourceCountryOf(c) };
  if (head) {
    const row = await findObject(deps.db, bucket, key);
    op.crossBorder = isCrossBorder(facts.sourceCountry, row.storageCountry, customer.country);
    await checkRead(deps, customer, facts, row);
    checkPreconditions(c.req.raw.headers, renderEtag(row), row.lastModified);
    const range = parseRange(rangeHeader, row.sizeBytes);
    const headers = objectResponseHeaders(row);
    if (range) {
      headers["content-range"] = `bytes ${range.start}-${range.end}/${row.sizeBytes}`;
      delete headers["x-amz-checksum-sha256"]; // a whole-object checksum would not match the part sent
      headers["content-length"] = String(range.end - range.start + 1);
      return c.body(null, 206, headers);
    }
    headers["content-length"] = String(row.sizeBytes);
    return c.body(null, 200, headers);
  }

  const { row, range, body } = await openObject(deps.db, deps.targets, bucket, key, async (r) => {
    op.crossBorder = isCrossBorder(facts.sourceCountry, r.storageCountry, customer.country);
    await checkRead(deps, customer, facts, r);
    checkPreconditions(c.req.raw.headers, renderEtag(r), r.lastModified);
    return parseRange(rangeHeader, r.sizeBytes);
  });
  const headers = objectResponseHeaders(row);
  const length = range ? range.end - range.start + 1 : row.sizeBytes;
  headers["content-length"] = String(length);
  if (range) {
    headers["content-range"] = `bytes ${range.start}-${range.end}/${row.sizeBytes}`;
    delete headers["x-amz-checksum-sha256"]; // a whole-object checksum would not match the part sent
  }
  op.bytes = length;
  return new Response(Readable.toWeb(body) as ReadableStream, { status: range ? 206 : 200, headers });
}
