import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../../env.ts";
import { isManagementPath, onError } from "../../errors.ts";
import { audit } from "../../middleware/audit.ts";
import { addCorsHeaders } from "../../middleware/cors-headers.ts";
import { forwarded } from "../../middleware/forwarded.ts";
import { s3Auth } from "../../middleware/s3-auth.ts";
import { authorizeByBucketPolicy, authorizeS3 } from "./authorize.ts";
import { copySourceBucket, resolveS3Operation } from "./dispatch.ts";
import { preflightHandler } from "./preflight.ts";
import { parseS3Target, rawTargetOf, type RawTarget } from "./request-target.ts";

/**
 * The S3 edge. Whether a request is S3 is decided on the raw path as received, never on the
 * URL Hono routes by (which has `..` resolved): `/bucket/../api/x` is the key `../api/x` of
 * `bucket`, and `/api/../bucket` is a management path that no route answers. Every S3 request
 * passes the same steps in the same order: raw target -> operation (from the table) ->
 * forwarding proof -> authentication -> per-bucket authorisation -> handler, inside the audit row.
 */
export const s3Edge = createMiddleware<AppEnv>(async (c, next) => {
  const raw = rawTargetOf(c);
  // A virtual-hosted request is S3 whatever its path (`bucket.domain/api/x` is the key `api/x`).
  if (raw.virtualBucket === undefined && isManagementPath(raw.rawPath)) return next();
  c.set("s3", true);
  await audit(c, async () => {
    try {
      c.res = await serveS3(c, raw);
    } catch (err) {
      c.res = onError(err as Error, c);
    }
    await addCorsHeaders(c);
  });
});

async function serveS3(c: Context<AppEnv>, raw: RawTarget): Promise<Response> {
  const op = c.get("op");
  const target = parseS3Target(raw.rawPath, raw.rawQuery, raw.virtualBucket);
  if (target.bucket !== undefined) op.bucket = target.bucket;
  if (target.key !== undefined) op.key = target.key;
  // A CORS preflight is no operation of the table and carries no credentials (preflight.ts).
  if (c.req.method === "OPTIONS") return preflightHandler(c, target);
  const copySource = c.req.header("x-amz-copy-source");
  const operation = resolveS3Operation(c.req.method, target, copySource !== undefined);
  op.operation = operation.name;
  c.set("s3Target", target);
  c.set("s3Operation", operation);
  let res: Response | undefined;
  await forwarded(c, async () => {
    // A browser form carries its credentials in its body: its handler authenticates (post-object.ts).
    if (operation.authenticatedBy === "form") {
      res = await operation.handler(c, target.bucket ?? "", "");
      return;
    }
    await s3Auth(c, async () => {
      authorizeS3(c.get("s3Auth")?.key, operation, {
        bucket: target.bucket,
        copySourceBucket: operation.copySource && copySource !== undefined ? copySourceBucket(copySource) : undefined,
      });
      await authorizeByBucketPolicy(c, operation, target, copySource);
      res = await operation.handler(c, target.bucket ?? "", target.key ?? "");
    });
  });
  return res!;
}
