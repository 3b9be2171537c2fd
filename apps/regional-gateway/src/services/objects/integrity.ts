import { and, asc, eq, gt, inArray, sql, type SQL } from "drizzle-orm";
import { objectMetadata } from "@s3gw/schema-regional";
import { BlobNotFoundError, isCompositeKey, SealedBlobError, sealedSize, type ComposedPart, type TenantStorage } from "@s3gw/storage";
import type { StorageTargets } from "../storage/storage-targets.ts";
import type { Clock, Deps, RegionalDb, RegionalTx } from "../../env.ts";
import { insertComplianceEvent } from "../events/outbox.ts";
import { blobKeyOf } from "../encryption/object-sealing.ts";
import { objectBytes } from "../encryption/object-bytes.ts";
import { raiseComplianceEvent } from "../compliance/compliance-events.ts";
import { ExpectedDigests, type DamagedSegment } from "./integrity-digests.ts";

/** Objects re-hashed at once: enough to overlap I/O, little enough not to starve S3 traffic. */
const CONCURRENCY = 2;
const PAGE = 100;
const FAILED_STATUSES = ["integrity_failed", "missing_data"];

export interface VerifyScope { customerId: string; bucketId?: string; key?: string }

export interface Mismatch {
  bucket: string;
  key: string;
  expected_sha256: string;
  actual_sha256: string | null;
  reason: "hash_mismatch" | "missing_data" | "read_error";
}

/** What verifying an object needs to know of it (scrub and on-demand verification alike). */
export const CANDIDATE_COLUMNS = {
  objectId: objectMetadata.objectId,
  customerId: objectMetadata.customerId,
  bucketName: objectMetadata.bucketName,
  objectKey: objectMetadata.objectKey,
  storageKey: objectMetadata.storageKey,
  storageProviderId: objectMetadata.storageProviderId,
  sha256: objectMetadata.sha256,
  sizeBytes: objectMetadata.sizeBytes,
  encryption: objectMetadata.encryption,
};

export type Candidate = Pick<typeof objectMetadata.$inferSelect, "objectId" | "customerId" | "bucketName" | "objectKey" | "storageKey" | "storageProviderId" | "sha256" | "sizeBytes" | "encryption">;
type Outcome = { kind: "ok" } | { kind: "replaced" } | { kind: "bad"; mismatch: Mismatch };

/**
 * Re-reads every object in scope from storage, streaming it through SHA-256, and compares
 * with the hash recorded at write time (for a multipart object: each part with its own, and
 * the parts' composite with the object's; see ExpectedDigests). A mismatch or missing bytes marks the object and
 * raises one critical compliance event per broken version (re-running does not repeat it).
 */
export async function verifyObjects(deps: VerifyDeps & { targets: StorageTargets }, scope: VerifyScope) {
  const report = { checked: 0, ok: 0, mismatched: [] as Mismatch[] };
  let after: string | undefined;
  for (;;) {
    const conds: (SQL | undefined)[] = [eq(objectMetadata.customerId, scope.customerId)];
    if (scope.bucketId) conds.push(eq(objectMetadata.bucketId, scope.bucketId));
    if (scope.key !== undefined) conds.push(eq(objectMetadata.objectKey, scope.key));
    if (after) conds.push(gt(objectMetadata.objectId, after));
    const page: Candidate[] = await deps.db
      .select(CANDIDATE_COLUMNS)
      .from(objectMetadata)
      .where(and(...conds))
      .orderBy(asc(objectMetadata.objectId))
      .limit(PAGE);
    let next = 0;
    const worker = async () => {
      while (next < page.length) {
        const candidate = page[next++]!;
        // Each object is read from the target it was recorded on.
        const tenant = await deps.targets.recorded(candidate.customerId, candidate.storageProviderId);
        const outcome = await verifyOne(deps, tenant, candidate);
        if (outcome.kind === "replaced") continue;
        report.checked++;
        if (outcome.kind === "ok") report.ok++;
        else report.mismatched.push(outcome.mismatch);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    if (page.length < PAGE) break;
    after = page.at(-1)!.objectId;
  }
  return report;
}

type VerifyDeps = Pick<Deps, "db" | "clock" | "keys">;

/**
 * Reads the object's bytes (a multipart object's parts in order) against its recorded digests;
 * sealed blobs are opened on the way, so their tags are checked too. An SSE-C object cannot be
 * opened without its customer's key: only that its sealed bytes are all there is checked.
 */
async function hashObject(deps: VerifyDeps, tenant: TenantStorage, obj: Candidate): Promise<{ ok: boolean; actual: string | null; damaged: DamagedSegment | undefined }> {
  const parts = isCompositeKey(obj.storageKey) ? await tenant.partsOf(obj.storageKey) : undefined;
  if (obj.encryption?.mode === "SSE-C") return { ok: await sealedBytesPresent(tenant, obj, parts), actual: null, damaged: undefined };
  const digests = new ExpectedDigests(obj, parts);
  const { body } = await objectBytes(tenant, obj, (customerId, enc) => blobKeyOf(deps, customerId, enc, undefined));
  for await (const chunk of body) digests.update(chunk as Buffer);
  return { ...digests.end(), damaged: digests.damaged };
}

/** The damaged part of a sealed multipart object, as the read named it. */
async function sealedPartDamage(tenant: TenantStorage, obj: Candidate, partNumber: number): Promise<DamagedSegment | undefined> {
  const part = (await tenant.partsOf(obj.storageKey)).find((p) => p.partNumber === partNumber);
  return part && { partNumber, expectedSha256: part.sha256Hex, actualSha256: null };
}

/** Whether each blob of an SSE-C object holds exactly the sealed length its plaintext size gives. */
async function sealedBytesPresent(tenant: TenantStorage, obj: Candidate, parts: ComposedPart[] | undefined): Promise<boolean> {
  for (const blob of parts ?? [{ storageKey: obj.storageKey, size: obj.sizeBytes }]) {
    let n = 0;
    for await (const chunk of await tenant.get(blob.storageKey)) n += (chunk as Buffer).length;
    if (n !== sealedSize(blob.size)) return false;
  }
  return true;
}

export async function verifyOne(
  deps: VerifyDeps,
  tenant: TenantStorage,
  obj: Candidate,
  detectedBy: "verification" | "scrub" = "verification",
): Promise<Outcome> {
  let actual: string | null = null;
  let reason: Mismatch["reason"] | undefined;
  let damaged: DamagedSegment | undefined;
  try {
    const read = await hashObject(deps, tenant, obj);
    actual = read.actual;
    damaged = read.damaged;
    if (!read.ok) reason = "hash_mismatch";
  } catch (err) {
    reason = err instanceof BlobNotFoundError ? "missing_data" : err instanceof SealedBlobError ? "hash_mismatch" : "read_error";
    if (err instanceof SealedBlobError && err.partNumber !== undefined) damaged = await sealedPartDamage(tenant, obj, err.partNumber);
  }
  const now = deps.clock.now();
  // Matching the storage key too: an overwrite or delete that committed meanwhile is not tampering.
  const same = and(eq(objectMetadata.objectId, obj.objectId), eq(objectMetadata.storageKey, obj.storageKey));
  if (!reason) {
    const healed = sql`case when ${inArray(objectMetadata.complianceStatus, FAILED_STATUSES)} then 'compliant' else ${objectMetadata.complianceStatus} end`;
    const mark = (tx: RegionalDb | RegionalTx) => tx.update(objectMetadata).set({ lastVerifiedAt: now, complianceStatus: healed }).where(same).returning({ id: objectMetadata.objectId });
    // A verification someone asked for is published (`integrity.verified`); the background scrub's routine passes are not.
    const rows = detectedBy !== "verification" ? await mark(deps.db) : await deps.db.transaction(async (tx) => {
      const marked = await mark(tx);
      if (marked.length) await publishVerified(tx, obj, now);
      return marked;
    });
    return rows.length ? { kind: "ok" } : { kind: "replaced" };
  }
  const mismatch: Mismatch = { bucket: obj.bucketName, key: obj.objectKey, expected_sha256: obj.sha256, actual_sha256: actual, reason };
  // A read error may be transient: it is reported, but neither marks the object nor raises an event.
  if (reason === "read_error") return { kind: "bad", mismatch };
  const recorded = await recordIntegrityFailure(deps, obj, reason, actual, detectedBy, damaged);
  return recorded ? { kind: "bad", mismatch } : { kind: "replaced" };
}

/**
 * Marks an object whose stored bytes are damaged (`integrity_failed`) or gone (`missing_data`)
 * and raises the critical event, once per broken version. Only the version that was read is
 * marked: if an overwrite or delete committed meanwhile, nothing is, and false is returned.
 * Shared by verification on demand, reads (GET) and the background scrub.
 */
export async function recordIntegrityFailure(
  deps: { db: RegionalDb; clock: Clock },
  obj: Candidate,
  reason: "hash_mismatch" | "missing_data",
  actual: string | null,
  detectedBy: "verification" | "read" | "scrub",
  /** The damaged part of a multipart object (or the whole), when known. */
  damaged?: DamagedSegment,
): Promise<boolean> {
  const now = deps.clock.now();
  const same = and(eq(objectMetadata.objectId, obj.objectId), eq(objectMetadata.storageKey, obj.storageKey));
  const status = reason === "missing_data" ? "missing_data" : "integrity_failed";
  const rows = await deps.db.update(objectMetadata).set({ lastVerifiedAt: now, complianceStatus: status }).where(same).returning({ id: objectMetadata.objectId });
  if (!rows.length) return false;
  await raiseComplianceEvent(deps.db, now, {
    customerId: obj.customerId,
    eventType: "integrity_mismatch",
    severity: "critical",
    description: reason === "missing_data"
      ? `Stored bytes of ${obj.bucketName}/${obj.objectKey} are missing`
      : `Stored bytes of ${obj.bucketName}/${obj.objectKey} no longer match their SHA-256 (possible tampering)`,
    bucketName: obj.bucketName,
    objectKey: obj.objectKey,
    details: {
      object_id: obj.objectId, expected_sha256: obj.sha256, actual_sha256: actual, reason, size_bytes: obj.sizeBytes, verified_at: now.toISOString(), detected_by: detectedBy,
      ...(damaged?.partNumber !== undefined ? { damaged_part: { part_number: damaged.partNumber, expected_sha256: damaged.expectedSha256, actual_sha256: damaged.actualSha256 } } : {}),
    },
    remediationHours: 24,
    dedupeKey: `integrity:${obj.objectId}:${obj.sha256}`,
    recommendedAction: "Treat the object as compromised: its reads are refused. Restore it from a trusted copy or have the owner upload it again, find how the stored bytes changed (storage access logs), then resolve the event",
  });
  return true;
}

function publishVerified(tx: RegionalTx, obj: Candidate, now: Date): Promise<void> {
  return insertComplianceEvent(tx, {
    customerId: obj.customerId,
    kind: "integrity.verified",
    now,
    payload: {
      severity: "low",
      description: `Stored bytes of ${obj.bucketName}/${obj.objectKey} match their SHA-256`,
      subject: { bucket: obj.bucketName, key: obj.objectKey },
      data: { object_id: obj.objectId, sha256: obj.sha256, size_bytes: obj.sizeBytes, verified_at: now.toISOString() },
    },
  });
}
