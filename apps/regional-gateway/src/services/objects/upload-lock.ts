import type { VersionLock } from "./object-lock-config.ts";

/**
 * A multipart upload carries the lock its object will get (decided at CreateMultipartUpload,
 * from the headers or the bucket's default) in its system metadata under this key. Client
 * headers never produce it (only the stored-header list reaches system metadata), and
 * Complete takes it out before the object is written, so it is never served as a header.
 */
const UPLOAD_LOCK_KEY = "x-s3gw-object-lock";

export function withUploadLock(systemMetadata: Record<string, string>, lock: VersionLock | undefined): Record<string, string> {
  if (!lock) return systemMetadata;
  return { ...systemMetadata, [UPLOAD_LOCK_KEY]: JSON.stringify({ mode: lock.retentionMode, until: lock.retentionUntil?.toISOString() ?? null, hold: lock.legalHold }) };
}

/** The upload's system metadata without the lock, and the lock it carried. */
export function takeUploadLock(systemMetadata: Record<string, string>): { systemMetadata: Record<string, string>; lock: VersionLock | undefined } {
  const { [UPLOAD_LOCK_KEY]: stored, ...rest } = systemMetadata;
  if (stored === undefined) return { systemMetadata: rest, lock: undefined };
  const v = JSON.parse(stored) as { mode: VersionLock["retentionMode"]; until: string | null; hold: boolean };
  return { systemMetadata: rest, lock: { retentionMode: v.mode, retentionUntil: v.until === null ? null : new Date(v.until), legalHold: v.hold } };
}
