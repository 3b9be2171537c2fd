import { s3Error } from "@s3gw/core";
import type { S3Handler, S3Operation, Scope } from "./operations.ts";
import { S3_OPERATIONS, UNSUPPORTED_SUBRESOURCES } from "./operations.ts";
import type { S3Target } from "./request-target.ts";

/** The sub-resources the table serves, in the order they take precedence when a query names several. */
const HANDLED_SUBRESOURCES = [...new Set(S3_OPERATIONS.flatMap((o) => (o.sub ? [o.sub] : [])))];

const refused = (name: string, err: () => Error): S3Operation => ({
  name, method: "*", scope: "*", permission: "read", body: { kind: "none" }, reads: [], handler: (() => Promise.reject(err())) as S3Handler,
});

function scopeOf(target: Pick<S3Target, "bucket" | "key">): Scope {
  if (target.bucket === undefined) return "service";
  return target.key === undefined ? "bucket" : "object";
}

/**
 * The operation a request names, from method, bucket/key and query alone: decided before
 * authentication so that denials are logged under the operation's name. A query naming a
 * sub-resource only ever matches that sub-resource's rows (a `?tagging` PUT is never a PutObject).
 */
export function resolveS3Operation(method: string, target: S3Target, copySource: boolean): S3Operation {
  const unsupported = UNSUPPORTED_SUBRESOURCES.find((s) => target.query.has(s));
  if (unsupported) return refused(`Unsupported:${unsupported}`, () => s3Error("NotImplemented", `The ${unsupported} sub-resource is not implemented by this gateway`));
  const scope = scopeOf(target);
  const sub = scope === "service" ? undefined : HANDLED_SUBRESOURCES.find((s) => target.query.has(s));
  const facts = { query: target.query, copySource };
  const match = S3_OPERATIONS.find(
    (o) => o.scope === scope && o.sub === sub && (o.method === "*" || o.method === method) && (o.when === undefined || o.when(facts)),
  );
  if (match) return match;
  const elsewhere = sub === undefined ? undefined : S3_OPERATIONS.find((o) => o.sub === sub && o.scope !== scope);
  if (elsewhere) return refused("Unknown", () => s3Error("InvalidRequest", `${sub} is a${elsewhere.scope === "object" ? "n object" : " bucket"} sub-resource`));
  return refused("Unknown", () => s3Error("MethodNotAllowed"));
}

/** The bucket named by `x-amz-copy-source` (`bucket/key` or `/bucket/key`, URL-encoded), for authorisation. */
export function copySourceBucket(header: string): string {
  const q = header.indexOf("?");
  let decoded: string;
  try {
    decoded = decodeURIComponent(q < 0 ? header : header.slice(0, q)).replace(/^\//, "");
  } catch {
    throw s3Error("InvalidArgument", "Invalid copy source encoding");
  }
  const slash = decoded.indexOf("/");
  if (slash <= 0) throw s3Error("InvalidArgument", "Copy Source must mention the source bucket and key: sourcebucket/sourcekey");
  return decoded.slice(0, slash);
}
