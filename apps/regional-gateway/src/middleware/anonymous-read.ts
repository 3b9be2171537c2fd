import { s3Error } from "@s3gw/core";
import type { Context } from "hono";
import type { AppEnv } from "../env.ts";
import { publicBucketOwner } from "../services/compliance/public-read.ts";
import { admitCustomer } from "./s3-auth.ts";

/** What an anonymous caller may do, and only in a bucket the owner's rule opens (public_read_buckets). */
const ANONYMOUS_OPERATIONS = new Set(["GetObject", "HeadObject"]);

/**
 * A request without credentials: served only as a GET/HEAD of an object in a public bucket,
 * as the bucket's owner (its rules, residency and GDPR checks apply as to any read) with the
 * principal `anonymous` in the audit row. Anything else gets `refused()`, today's answer, and
 * a bucket is never said to exist or not. Headers the caller sends (X-Customer-ID) decide nothing.
 */
export async function admitAnonymous(c: Context<AppEnv>, refused: () => Error): Promise<void> {
  const deps = c.get("deps"), op = c.get("op");
  const operation = c.get("s3Operation");
  const target = c.get("s3Target");
  if (c.req.header("authorization") !== undefined || !ANONYMOUS_OPERATIONS.has(operation.name)) throw refused();
  if (target.bucket === undefined || target.key === undefined) throw refused();
  const owner = await publicBucketOwner(deps, target.bucket, c.get("forwardedByRouter") ? c.get("routedCustomerId") : undefined);
  if (owner === undefined) throw refused();
  op.principal = "anonymous";
  op.info = { ...op.info, access: "public_read" };
  // S3 names reading an older version s3:GetObjectVersion; the rule opens the current objects only.
  if (target.query.has("versionId")) throw s3Error("AccessDenied", "Anonymous reads of a public bucket name the current version only");
  // As S3: anonymous requests may not have the response headers overridden.
  if ([...target.query.keys()].some((k) => k.toLowerCase().startsWith("response-"))) {
    throw s3Error("InvalidRequest", "Request specific response headers cannot be used for anonymous GET requests.");
  }
  await admitCustomer(c, owner);
}
