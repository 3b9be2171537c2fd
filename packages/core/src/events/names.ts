/**
 * The event names the gateway publishes. Object events are S3's bucket-notification names
 * (`s3:ObjectCreated:Put`, ...; a message's `eventName` drops the `s3:` prefix, as S3's does).
 * A legal hold change has no S3 name; `s3:ObjectLegalHold:Put` is this gateway's own, named like S3's `s3:ObjectRetention:Put`.
 * Compliance events are this gateway's `s3gw.compliance/v1` kinds.
 */
export const S3_EVENT_NAMES = [
  "s3:ObjectCreated:Put",
  "s3:ObjectCreated:Post",
  "s3:ObjectCreated:Copy",
  "s3:ObjectCreated:CompleteMultipartUpload",
  "s3:ObjectRemoved:Delete",
  "s3:ObjectRemoved:DeleteMarkerCreated",
  "s3:ObjectTagging:Put",
  "s3:ObjectTagging:Delete",
  "s3:ObjectAcl:Put",
  "s3:LifecycleExpiration:Delete",
  "s3:LifecycleExpiration:DeleteMarkerCreated",
  "s3:ObjectRetention:Put",
  "s3:ObjectLegalHold:Put",
] as const;
export type S3EventName = (typeof S3_EVENT_NAMES)[number];

export const COMPLIANCE_EVENT_KINDS = [
  "integrity.verified",
  "integrity.mismatch",
  "residency.violation",
  "cross_border.blocked",
  "gdpr.request.created",
  "gdpr.request.completed",
  "gdpr.request.deadline_near",
  "gdpr.request.overdue",
  "hold.placed",
  "hold.lifted",
  "customer_storage.unhealthy",
  "customer_storage.recovered",
  "anomaly.unusual_activity",
  "audit.checkpoint",
  "crypto_shred.executed",
] as const;
export type ComplianceEventKind = (typeof COMPLIANCE_EVENT_KINDS)[number];

/** The families S3 lets a configuration name with a trailing `*` (`s3:ObjectCreated:*`). */
const S3_FAMILIES = new Set(S3_EVENT_NAMES.map((n) => n.slice(0, n.lastIndexOf(":"))));

/** Whether `pattern` is an event name or family a bucket notification configuration may use. */
export function isS3EventPattern(pattern: string): boolean {
  if ((S3_EVENT_NAMES as readonly string[]).includes(pattern)) return true;
  return pattern.endsWith(":*") && S3_FAMILIES.has(pattern.slice(0, -2));
}

/** Whether `pattern` is a compliance kind, a family (`gdpr.*`, `gdpr.request.*`) or `*`. */
export function isCompliancePattern(pattern: string): boolean {
  if (pattern === "*") return true;
  if (pattern.endsWith(".*")) return COMPLIANCE_EVENT_KINDS.some((k) => k.startsWith(pattern.slice(0, -1)));
  return (COMPLIANCE_EVENT_KINDS as readonly string[]).includes(pattern);
}

/** Whether an event name matches a pattern: the name itself, its family with `*`, or `*`. */
export function eventMatches(pattern: string, name: string): boolean {
  if (pattern === "*" || pattern === name) return true;
  if (pattern.endsWith("*")) return name.startsWith(pattern.slice(0, -1));
  return false;
}
