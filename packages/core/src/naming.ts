import { s3Error } from "./errors.ts";

const BUCKET_RE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const IPV4_RE = /^\d{1,3}(\.\d{1,3}){3}$/;

/**
 * First path segments both layers keep for themselves: path-style S3 is served at the root
 * too (`/bucket/key`), so a bucket with one of these names could never be addressed there.
 * Regional gateway: /api /health /metrics /ops /internal /s3 /console; global router adds
 * /routing /regions /providers.
 */
export const RESERVED_BUCKET_NAMES: readonly string[] = ["api", "health", "metrics", "ops", "internal", "s3", "console", "routing", "regions", "providers"];

/** S3's general-purpose bucket naming rules, plus the gateway's reserved names. */
export function bucketNameProblem(name: string): string | undefined {
  if (RESERVED_BUCKET_NAMES.includes(name)) {
    return `The bucket name ${name} is reserved: the gateway serves its own /${name} endpoints on the same host (reserved names: ${RESERVED_BUCKET_NAMES.join(", ")})`;
  }
  if (name.length < 3 || name.length > 63) return "Bucket names must be between 3 and 63 characters long";
  if (!BUCKET_RE.test(name)) return "Bucket names may contain only lowercase letters, digits, dots and hyphens, and must begin and end with a letter or digit";
  if (name.includes("..")) return "Bucket names must not contain two adjacent periods";
  if (IPV4_RE.test(name)) return "Bucket names must not be formatted as an IP address";
  if (name.startsWith("xn--") || name.startsWith("sthree-") || name.startsWith("amzn-s3-demo-")) return "Bucket names must not start with a reserved prefix";
  if (name.endsWith("-s3alias") || name.endsWith("--ol-s3") || name.endsWith(".mrap") || name.endsWith("--x-s3")) return "Bucket names must not end with a reserved suffix";
  return undefined;
}

export function assertBucketName(name: string): void {
  const problem = bucketNameProblem(name);
  if (problem) throw s3Error("InvalidBucketName", problem, { resource: name });
}

export const MAX_KEY_BYTES = 1024;

/** Keys are UTF-8 up to 1024 bytes; NUL cannot be stored in Postgres text, so it is refused. */
export function assertObjectKey(key: string): void {
  if (key.length === 0) throw s3Error("InvalidArgument", "Object key must not be empty");
  if (Buffer.byteLength(key, "utf8") > MAX_KEY_BYTES) throw s3Error("KeyTooLongError", undefined, { resource: key.slice(0, 64) });
  if (key.includes("\u0000")) throw s3Error("InvalidArgument", "Object key must not contain NUL");
  if (!isWellFormedUtf16(key)) throw s3Error("InvalidArgument", "Object key must be valid UTF-8");
}

function isWellFormedUtf16(s: string): boolean {
  return (s as string & { isWellFormed(): boolean }).isWellFormed();
}

/** Customer ids appear in backend paths (`tenant-<id>`), so they are restricted to a safe alphabet. */
export const CUSTOMER_ID_RE = /^[a-z0-9][a-z0-9-]{1,62}$/;
export const REGION_ID_RE = /^[A-Z0-9][A-Z0-9-]{1,31}$/;
