import { s3Error } from "@s3gw/core";

export interface LockState {
  legalHold: boolean;
  legalHoldReason?: string | null;
  retentionMode: "GOVERNANCE" | "COMPLIANCE" | null;
  retentionUntil: Date | null;
}

/** Why an object may not be deleted or overwritten right now, or undefined if it may. */
export function protectionOf(obj: LockState, now: Date, opts: { bypassGovernance?: boolean } = {}): string | undefined {
  if (obj.legalHold) return `legal hold${obj.legalHoldReason ? `: ${obj.legalHoldReason}` : ""}`;
  if (obj.retentionUntil && obj.retentionUntil > now) {
    if (obj.retentionMode === "GOVERNANCE" && opts.bypassGovernance) return undefined;
    return `${obj.retentionMode ?? "GOVERNANCE"} retention until ${obj.retentionUntil.toISOString()}`;
  }
  return undefined;
}

export function assertMutable(obj: LockState, now: Date, key: string, opts: { bypassGovernance?: boolean } = {}): void {
  const reason = protectionOf(obj, now, opts);
  if (reason) throw s3Error("AccessDenied", `Object is protected: ${reason}`, { resource: key });
}

/** GDPR Art. 18: a restricted object is not served to ordinary reads. */
export function assertReadable(obj: { processingRestricted: boolean }, key: string): void {
  if (obj.processingRestricted) throw s3Error("AccessDenied", "Processing of this object is restricted (GDPR Art. 18)", { resource: key });
}
