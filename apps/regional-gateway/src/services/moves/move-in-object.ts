import { createHash } from "node:crypto";
import { pipeline } from "node:stream/promises";
import { AppError, apiError, isAppError } from "@s3gw/core";
import { buckets, objectMetadata } from "@s3gw/schema-regional";
import { compositeSha256, type StoredBlob, type TenantStorage } from "@s3gw/storage";
import { and, eq } from "drizzle-orm";
import type { Deps } from "../../env.ts";
import { newBlobKey, type WriteSealing } from "../encryption/object-sealing.ts";
import { recordManifest, type ManifestEntry } from "../objects/multipart-manifest.ts";
import type { ByteSlices } from "./byte-slices.ts";
import type { ObjectWire } from "./move-wire.ts";

type Ctx = Pick<Deps, "db" | "config" | "clock" | "keys" | "targets">;

const digestMismatch = (what: string) => new AppError("SHA256_MISMATCH", 422, what);

/**
 * Stores one object version received from the source region, under this region's own keys on
 * its hosted storage, and commits its metadata only once the SHA-256 (and size) of the bytes
 * received, and of the bytes read back from storage, match the source's recorded digest. A
 * multipart object keeps its parts (each verified; the composite digest and ETag unchanged).
 * Idempotent: a version already here with the same digest is answered `stored: false` and the
 * bytes sent are discarded; with another digest it is a 409.
 */
export async function receiveObject(deps: Ctx, customerId: string, meta: ObjectWire, body: ByteSlices): Promise<{ stored: boolean }> {
  const [bucket] = await deps.db.select({ id: buckets.bucketId }).from(buckets).where(and(eq(buckets.customerId, customerId), eq(buckets.bucketName, meta.bucket))).limit(1);
  if (!bucket) throw apiError.conflict(`bucket ${meta.bucket} of customer ${customerId} is not here: the snapshot comes first`);
  if (await alreadyHere(deps, bucket.id, meta)) {
    await body.drain();
    return { stored: false };
  }
  const tenant = await deps.targets.recorded(customerId, deps.targets.hosted.location.providerId);
  const sealing = await sealingFor(deps, customerId, meta);
  const stored = meta.parts ? await storeParts(deps, tenant, customerId, meta, body, sealing) : await storeWhole(deps, tenant, customerId, meta, body, sealing);
  const location = deps.targets.hosted.location;
  const inserted = await deps.db.transaction(async (tx) => {
    if (stored.parts) await recordManifest(tx, stored.storageKey, { customerId, providerId: location.providerId }, stored.parts, deps.clock.now());
    return tx
      .insert(objectMetadata)
      .values({
        customerId, bucketId: bucket.id, bucketName: meta.bucket, objectKey: meta.key, versionId: meta.version_id, versionStamp: meta.version_stamp, isLatest: meta.is_latest,
        regionId: deps.config.region.region_id, storageProviderId: location.providerId, storageCountry: location.country, storageKey: stored.storageKey,
        sizeBytes: meta.size, etag: meta.etag, sha256: meta.sha256, contentType: meta.content_type, userMetadata: meta.user_metadata, systemMetadata: meta.system_metadata,
        tags: meta.tags, partsCount: meta.parts_count, complianceStatus: meta.compliance_status, legalHold: meta.legal_hold, legalHoldReason: meta.legal_hold_reason,
        legalHoldSetBy: meta.legal_hold_set_by, legalHoldSetAt: meta.legal_hold_set_at ? new Date(meta.legal_hold_set_at) : null, retentionMode: meta.retention_mode,
        retentionUntil: meta.retention_until ? new Date(meta.retention_until) : null, processingRestricted: meta.processing_restricted, dataSubjectId: meta.data_subject_id,
        dataClassification: meta.data_classification, lastVerifiedAt: deps.clock.now(), encryption: stored.encryption, createdAt: new Date(meta.created_at), lastModified: new Date(meta.last_modified),
      })
      .onConflictDoNothing()
      .returning({ id: objectMetadata.objectId });
  }).catch(async (err: unknown) => {
    await tenant.delete(stored.storageKey).catch(() => {});
    throw err;
  });
  if (inserted.length === 1) return { stored: true };
  // Another delivery of the same version won the race (or a conflicting latest): ours goes.
  await tenant.delete(stored.storageKey).catch(() => {});
  if (await alreadyHere(deps, bucket.id, meta)) return { stored: false };
  throw apiError.conflict(`${meta.bucket}/${meta.key} version ${meta.version_id} conflicts with what this region holds`);
}

async function alreadyHere(deps: Ctx, bucketId: string, meta: ObjectWire): Promise<boolean> {
  const [row] = await deps.db
    .select({ sha256: objectMetadata.sha256 })
    .from(objectMetadata)
    .where(and(eq(objectMetadata.bucketId, bucketId), eq(objectMetadata.objectKey, meta.key), eq(objectMetadata.versionId, meta.version_id)))
    .limit(1);
  if (!row) return false;
  if (row.sha256 !== meta.sha256) throw apiError.conflict(`${meta.bucket}/${meta.key} version ${meta.version_id} is here with another SHA-256`);
  return true;
}

/** The source's mode, under this region's keys: SSE-S3 under the customer's default key, SSE-KMS under the same key id (the snapshot created it here). */
async function sealingFor(deps: Ctx, customerId: string, meta: ObjectWire): Promise<WriteSealing> {
  if (deps.config.encryptObjects === false) return null;
  const enc = meta.encryption;
  if (enc?.mode === "aws:kms") {
    const keyId = await deps.keys.resolveKey(customerId, enc.key_id);
    return { selection: { mode: "aws:kms", keyId, ...(enc.kms_context ? { kmsContext: enc.kms_context } : {}), ...(enc.bucket_key_enabled ? { bucketKeyEnabled: true } : {}) } };
  }
  return { selection: { mode: "AES256", keyId: await deps.keys.defaultKeyId(customerId) } };
}

/** Stores the next `size` bytes of the body as one blob, checks the digest of what arrived, then of what storage gives back. */
async function storeBlob(deps: Ctx, tenant: TenantStorage, customerId: string, body: ByteSlices, size: number, sha256: string, sealing: WriteSealing, label: string) {
  const sealed = await newBlobKey(deps, customerId, sealing);
  let blob: StoredBlob;
  try {
    blob = await tenant.put(body.next(size), { expectedSize: size }, sealed.dataKey);
  } catch (err) {
    // A body shorter or longer than announced is the sender's fault; storage that fails is ours (5xx as it is).
    if (isAppError(err) && err.status < 500) throw new AppError("MOVE_BODY_INCOMPLETE", 400, `${label}: ${err.message}`.slice(0, 300));
    throw err;
  }
  try {
    if (blob.sha256Hex !== sha256 || blob.size !== size) throw digestMismatch(`${label}: received ${blob.size} bytes with SHA-256 ${blob.sha256Hex}; the source recorded ${size} bytes with ${sha256}`);
    const readBack = createHash("sha256");
    await pipeline(await tenant.get(blob.storageKey, undefined, sealed.dataKey && { dataKey: sealed.dataKey, size }), readBack);
    const again = readBack.digest("hex");
    if (again !== sha256) throw digestMismatch(`${label}: storage gave back SHA-256 ${again}, expected ${sha256}`);
  } catch (err) {
    await tenant.delete(blob.storageKey).catch(() => {});
    throw err;
  }
  return { blob, encryption: sealed.encryption };
}

async function storeWhole(deps: Ctx, tenant: TenantStorage, customerId: string, meta: ObjectWire, body: ByteSlices, sealing: WriteSealing) {
  const { blob, encryption } = await storeBlob(deps, tenant, customerId, body, meta.size, meta.sha256, sealing, `${meta.bucket}/${meta.key}`);
  await body.assertEnded().catch(async (err: unknown) => {
    await tenant.delete(blob.storageKey).catch(() => {});
    throw err;
  });
  return { storageKey: blob.storageKey, encryption, parts: undefined };
}

async function storeParts(deps: Ctx, tenant: TenantStorage, customerId: string, meta: ObjectWire, slices: ByteSlices, sealing: WriteSealing) {
  const parts = meta.parts!;
  if (compositeSha256(parts.map((p) => ({ sha256Hex: p.sha256 }))) !== meta.sha256) throw digestMismatch(`${meta.bucket}/${meta.key}: the parts' digests do not make the object's SHA-256 ${meta.sha256}`);
  if (parts.reduce((n, p) => n + p.size, 0) !== meta.size) throw apiError.badRequest(`${meta.bucket}/${meta.key}: the parts' sizes do not add up to ${meta.size}`);
  const storageKey = tenant.newCompositeKey();
  const entries: ManifestEntry[] = [];
  try {
    for (const p of parts) {
      const { blob, encryption } = await storeBlob(deps, tenant, customerId, slices, p.size, p.sha256, sealing, `${meta.bucket}/${meta.key} part ${p.part_number}`);
      entries.push({ partNumber: p.part_number, storageKey: blob.storageKey, size: p.size, md5Hex: p.md5, sha256Hex: p.sha256, encryption });
    }
    await slices.assertEnded();
  } catch (err) {
    // No manifest yet: the stored parts are removed one by one.
    for (const e of entries) await tenant.delete(e.storageKey).catch(() => {});
    throw err;
  }
  const selection = sealing ? { ...sealing.selection } : null;
  return { storageKey, encryption: selection, parts: entries };
}
