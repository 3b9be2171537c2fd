import { and, eq } from "drizzle-orm";
import { s3Error } from "@s3gw/core";
import { objectMetadata } from "@s3gw/schema-regional";
import type { RegionalDb, RegionalTx } from "../../env.ts";
import { recordObjectEvent, type ObjectEventContext } from "../events/object-events.ts";
import type { Bucket } from "./buckets.ts";
import type { ObjectRow } from "./objects.ts";

export type RetentionMode = "GOVERNANCE" | "COMPLIANCE";
export interface Retention { mode: RetentionMode; until: Date }

export interface LockState {
  legalHold: boolean;
  legalHoldReason?: string | null;
  retentionMode: RetentionMode | null;
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

/**
 * S3's rule for replacing a retention (`next` null removes it): an active COMPLIANCE retention
 * may only be extended; an active GOVERNANCE one may be extended freely, and any other change
 * (shorter, removed, or its mode changed, to COMPLIANCE too) needs the bypass. Returns why the
 * change is refused, or undefined.
 */
export function retentionChangeRefusal(
  current: LockState,
  next: Retention | null,
  now: Date,
  opts: { bypassGovernance?: boolean } = {},
): string | undefined {
  if (!current.retentionUntil || current.retentionUntil <= now) return undefined;
  const mode = current.retentionMode ?? "GOVERNANCE";
  const weakens = next === null || next.until < current.retentionUntil || next.mode !== mode;
  if (!weakens) return undefined;
  const until = current.retentionUntil.toISOString();
  if (mode === "COMPLIANCE") return `COMPLIANCE retention until ${until} cannot be shortened, removed or relaxed`;
  if (opts.bypassGovernance) return undefined;
  return `GOVERNANCE retention until ${until} can only be shortened, removed or changed to another mode with x-amz-bypass-governance-retention: true and the permission to bypass`;
}

/** The key's latest version or the given one, locked; the lock of each version is its own. */
async function lockedObject(tx: Pick<RegionalDb, "select">, bucket: Bucket, key: string, versionId: string | undefined): Promise<ObjectRow> {
  const which = versionId === undefined ? eq(objectMetadata.isLatest, true) : eq(objectMetadata.versionId, versionId);
  const [row] = await tx
    .select()
    .from(objectMetadata)
    .where(and(eq(objectMetadata.bucketId, bucket.bucketId), eq(objectMetadata.objectKey, key), which))
    .for("update");
  if (!row) throw versionId === undefined ? s3Error("NoSuchKey", undefined, { resource: key }) : s3Error("NoSuchVersion", undefined, { resource: key });
  return row;
}

/**
 * Places (`reason` may be null on the S3 path) or lifts a legal hold. A hold placed through the
 * compliance API (by a management token) is not the data owner's to lift: lifting it needs
 * `mayLiftManagedHold`, so an application cannot undo a litigation hold with an S3 call.
 */
export async function setLegalHold(
  db: RegionalDb,
  bucket: Bucket,
  key: string,
  change: { on: boolean; reason: string | null; by: string; now: Date; mayLiftManagedHold: boolean; versionId?: string | undefined; event?: ObjectEventContext | undefined; inTransaction?: (tx: RegionalTx, after: ObjectRow) => Promise<void> },
): Promise<{ before: ObjectRow; after: ObjectRow }> {
  return db.transaction(async (tx) => {
    const before = await lockedObject(tx, bucket, key, change.versionId);
    if (!change.on && before.legalHold && before.legalHoldSetBy?.startsWith("token:") && !change.mayLiftManagedHold) {
      throw s3Error("AccessDenied", `The legal hold was placed by ${before.legalHoldSetBy}; lift it through the compliance API`, { resource: key });
    }
    // Re-affirming a hold without a reason (S3's ON) keeps who placed it and why.
    if (change.on && before.legalHold && change.reason === null) return { before, after: before };
    const [after] = await tx
      .update(objectMetadata)
      .set({ legalHold: change.on, legalHoldReason: change.on ? change.reason : null, legalHoldSetBy: change.by, legalHoldSetAt: change.now })
      .where(eq(objectMetadata.objectId, before.objectId))
      .returning();
    await recordObjectEvent(tx, change.event, "s3:ObjectLegalHold:Put", { key, versionId: after!.versionId }, change.now);
    await change.inTransaction?.(tx, after!);
    return { before, after: after! };
  });
}

/** Sets (`next`) or removes (null) an object's retention under S3's rules; a RetainUntilDate must lie in the future. */
export async function setRetention(
  db: RegionalDb,
  bucket: Bucket,
  key: string,
  next: Retention | null,
  opts: { now: Date; bypassGovernance: boolean; versionId?: string | undefined; event?: ObjectEventContext | undefined },
): Promise<{ before: ObjectRow; after: ObjectRow }> {
  if (next && next.until <= opts.now) throw s3Error("InvalidArgument", "The retain until date must be in the future", { resource: key });
  return db.transaction(async (tx) => {
    const before = await lockedObject(tx, bucket, key, opts.versionId);
    const refusal = retentionChangeRefusal(before, next, opts.now, opts);
    if (refusal) throw s3Error("AccessDenied", refusal, { resource: key });
    const [after] = await tx
      .update(objectMetadata)
      .set({ retentionMode: next?.mode ?? null, retentionUntil: next?.until ?? null })
      .where(eq(objectMetadata.objectId, before.objectId))
      .returning();
    await recordObjectEvent(tx, opts.event, "s3:ObjectRetention:Put", { key, versionId: after!.versionId }, opts.now);
    return { before, after: after! };
  });
}
