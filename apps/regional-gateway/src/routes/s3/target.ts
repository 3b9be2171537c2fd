import { s3Error } from "@s3gw/core";

/**
 * Bucket and key from the raw path: decoded once, so keys with `%`, `+` or `/` survive intact.
 * S3 is served at /s3/... and at the root; "s3" is a reserved bucket name, so a leading /s3
 * segment always means the request came in under /s3 (while /s3bucket is a bucket).
 */
export function parseS3Target(rawUrl: string): { bucket: string | undefined; key: string | undefined } {
  const url = new URL(rawUrl);
  const path = url.pathname;
  const rest = path === "/s3" || path.startsWith("/s3/") ? path.slice(4) : path.slice(1);
  if (rest === "") return { bucket: undefined, key: undefined };
  const slash = rest.indexOf("/");
  try {
    const bucket = decodeURIComponent(slash < 0 ? rest : rest.slice(0, slash));
    const key = slash < 0 || slash === rest.length - 1 ? undefined : decodeURIComponent(rest.slice(slash + 1));
    return { bucket, key };
  } catch {
    throw s3Error("InvalidURI");
  }
}
