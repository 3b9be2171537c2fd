import { s3Error } from "@s3gw/core";

/** Bucket and key from the raw path: decoded once, so keys with `%`, `+` or `/` survive intact. */
export function parseS3Target(rawUrl: string): { bucket: string | undefined; key: string | undefined } {
  const url = new URL(rawUrl);
  const rest = url.pathname.replace(/^\/s3\/?/, "");
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
