import { bucketNameProblem, s3Error, virtualHostBucket } from "@s3gw/core";
import type { Context } from "hono";
import type { AppDeps } from "../app.ts";
import { rawPathOf, type AppEnv } from "../env.ts";

/** The bucket of a path-style object URL (`/<bucket>/<key>` or `/s3/<bucket>/<key>`); undefined without a key. */
function pathStyleBucket(rawPath: string): string | undefined {
  const rest = rawPath === "/s3" || rawPath.startsWith("/s3/") ? rawPath.slice(4) : rawPath.slice(1);
  const slash = rest.indexOf("/");
  if (slash <= 0 || slash === rest.length - 1) return undefined;
  try {
    return decodeURIComponent(rest.slice(0, slash));
  } catch {
    return undefined;
  }
}

/**
 * The customer whose public bucket an unauthenticated request reads, if it is one: only a
 * GET/HEAD of an object, with no Authorization header, in a bucket some customer's home region
 * registered as public. This only picks the region; that region checks its own rule before it
 * serves a byte, so a stale entry reaches only the former owner's region, which refuses.
 */
export async function publicReadOwner(deps: AppDeps, c: Context<AppEnv>, headers: Record<string, string>): Promise<string | undefined> {
  if ((c.req.method !== "GET" && c.req.method !== "HEAD") || headers["authorization"] !== undefined) return undefined;
  const rawPath = rawPathOf(c);
  const virtual = virtualHostBucket(headers["host"], deps.config.virtualHostDomain);
  const bucket = virtual !== undefined ? (rawPath.length > 1 ? virtual : undefined) : pathStyleBucket(rawPath);
  // A name no bucket can have is never looked up (no database call for garbage).
  if (bucket === undefined || bucketNameProblem(bucket) !== undefined) return undefined;
  try {
    return await deps.publicBuckets.resolve(bucket);
  } catch (err) {
    throw s3Error("ServiceUnavailable", "Customer routing is temporarily unavailable", { cause: err });
  }
}
