import { s3Error } from "@s3gw/core";
import type { RequestedLock } from "../../services/objects/object-lock-config.ts";

/** The `x-amz-object-lock-*` request headers a write reads (PutObject, CopyObject, CreateMultipartUpload). */
export const LOCK_WRITE_HEADERS = ["x-amz-object-lock-mode", "x-amz-object-lock-retain-until-date", "x-amz-object-lock-legal-hold"] as const;

const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/**
 * The lock a write asks for, validated as S3 does: mode and retain-until date come together or
 * not at all, the mode is GOVERNANCE or COMPLIANCE, the date is ISO 8601 and in the future,
 * the legal hold ON or OFF. Whether the bucket allows locks is the service's to judge.
 */
export function parseLockHeaders(headers: Headers, now: Date): RequestedLock {
  const mode = headers.get("x-amz-object-lock-mode")?.trim();
  const until = headers.get("x-amz-object-lock-retain-until-date")?.trim();
  const hold = headers.get("x-amz-object-lock-legal-hold")?.trim();
  const lock: RequestedLock = {};
  if ((mode === undefined) !== (until === undefined)) {
    throw s3Error("InvalidArgument", "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied", { resource: "x-amz-object-lock-mode" });
  }
  if (mode !== undefined && until !== undefined) {
    if (mode !== "GOVERNANCE" && mode !== "COMPLIANCE") throw s3Error("InvalidArgument", "Unknown wormMode directive.", { resource: "x-amz-object-lock-mode" });
    const date = new Date(until);
    if (!ISO_DATE.test(until) || Number.isNaN(date.getTime())) throw s3Error("InvalidArgument", "The retain until date is not a valid ISO 8601 date", { resource: "x-amz-object-lock-retain-until-date" });
    if (date <= now) throw s3Error("InvalidArgument", "The retain until date must be in the future!", { resource: "x-amz-object-lock-retain-until-date" });
    lock.retention = { mode, until: date };
  }
  if (hold !== undefined) {
    if (hold !== "ON" && hold !== "OFF") throw s3Error("InvalidArgument", "Legal Hold must be either of 'ON' or 'OFF'", { resource: "x-amz-object-lock-legal-hold" });
    lock.legalHold = hold === "ON";
  }
  return lock;
}
