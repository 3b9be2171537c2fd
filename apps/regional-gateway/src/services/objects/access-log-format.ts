import type { operationsLog } from "@s3gw/schema-regional";
import { S3_OPERATIONS } from "../../routes/s3/operations.ts";

export type LoggedOperation = typeof operationsLog.$inferSelect;

/** The operation names of the S3 API (the audit table also holds the JSON APIs' and the workers'): only these are access-logged. */
export const S3_OPERATION_NAMES: readonly string[] = S3_OPERATIONS.map((o) => o.name);
const BY_NAME = new Map(S3_OPERATIONS.map((o) => [o.name, o]));

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const two = (n: number) => String(n).padStart(2, "0");

/** `[06/Feb/2019:00:00:38 +0000]`, the log's time format (always UTC). */
export function logTime(at: Date): string {
  return `[${two(at.getUTCDate())}/${MONTHS[at.getUTCMonth()]}/${at.getUTCFullYear()}:${two(at.getUTCHours())}:${two(at.getUTCMinutes())}:${two(at.getUTCSeconds())} +0000]`;
}

/** An unquoted field: `-` when empty; anything that would split the line or the field is percent-encoded. */
function field(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === "") return "-";
  return String(value).replace(/[\s"\\\u0000-\u001f\u007f]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`);
}
const quoted = (value: string) => `"${value.replace(/["\\\u0000-\u001f\u007f]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`)}"`;

/** A key as S3 logs it: URL-encoded, slashes kept. */
const encodeKey = (key: string) => key.split("/").map(encodeURIComponent).join("/");

/** Sub-resources whose log name is not their own, as AWS writes them. */
const AWS_RESOURCE: Record<string, string> = { logging: "LOGGING_STATUS", versions: "BUCKETVERSIONS" };

/** `REST.GET.OBJECT`, `REST.PUT.VERSIONING`, `REST.GET.BUCKET`...: method and resource, from the operation table. */
export function restOperation(name: string): { label: string; method: string; sub: string | undefined } {
  const op = BY_NAME.get(name);
  if (!op) return { label: `REST.${field(name).toUpperCase()}`, method: "-", sub: undefined };
  const resource = op.sub ? (AWS_RESOURCE[op.sub] ?? op.sub.toUpperCase().replace(/-/g, "_")) : op.scope === "object" ? "OBJECT" : op.scope === "service" ? "SERVICE" : "BUCKET";
  return { label: `REST.${op.method}.${resource}`, method: op.method, sub: op.sub };
}

/**
 * One record in the S3 server access log format (space-separated, AWS's field order): owner,
 * bucket, time, remote IP, requester, request id, operation, key, request line, status, error
 * code, bytes sent, object size, total time, turn-around time, referrer, user agent, version id,
 * host id, signature version, cipher suite, authentication type, host header, TLS version,
 * access point ARN, ACL required. What the operations log does not keep (query strings but the
 * sub-resource, user agent, referrer, TLS details) is `-`.
 */
export function formatAccessLogRecord(row: LoggedOperation): string {
  const op = restOperation(row.operationType);
  const key = row.objectKey === null ? undefined : encodeKey(row.objectKey);
  const uri = `/${encodeURIComponent(row.bucketName ?? "")}${key ? `/${key}` : ""}${op.sub ? `?${op.sub}` : ""}`;
  const info = row.complianceInfo ?? {};
  const versionId = typeof info.version_id === "string" ? info.version_id : undefined;
  const reads = op.method === "GET";
  return [
    field(row.customerId),
    field(row.bucketName),
    logTime(row.createdAt),
    field(row.sourceIp),
    field(row.principal),
    field(row.requestId),
    op.label,
    field(key),
    quoted(`${op.method} ${uri} HTTP/1.1`),
    String(row.statusCode),
    field(row.errorCode),
    reads && row.bytesTransferred > 0 ? String(row.bytesTransferred) : "-",
    !reads && row.bytesTransferred > 0 ? String(row.bytesTransferred) : "-",
    row.durationMs === null ? "-" : String(row.durationMs),
    "-",
    quoted("-"),
    quoted("-"),
    field(versionId),
    "-",
    row.principal?.startsWith("access-key:") ? "SigV4" : "-",
    "-",
    "-",
    "-",
    "-",
    "-",
    "-",
  ].join(" ");
}
