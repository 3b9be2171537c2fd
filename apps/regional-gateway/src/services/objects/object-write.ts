import type { StorageProvider, StoredBlob, TenantStorage } from "@s3gw/storage";
import type { Deps, OperationRecord } from "../../env.ts";
import { checkContent, checkWrite } from "../compliance/access-policy.ts";
import { findBucket, type Bucket } from "./buckets.ts";
import type { Customer } from "../access/customers.ts";
import { assertMutable } from "./object-lock.ts";
import { assertWriteCondition, commitObject, lookupObject, type NewObject, type ObjectRow, type WriteCondition } from "./objects.ts";
import { residencyGate } from "../compliance/residency-gate.ts";
import { keepsVersions, NULL_VERSION } from "./versions.ts";
import { resolveVersionLock, type RequestedLock, type VersionLock } from "./object-lock-config.ts";
import { sseError, type S3EventName, type SseRequest } from "@s3gw/core";
import { objectEventContext, type EventOrigin, type ObjectEventContext } from "../events/object-events.ts";
import { bucketDefaultEncryption } from "./bucket-encryption.ts";
import { newBlobKey, resolveWriteSealing, type WriteSealing } from "../encryption/object-sealing.ts";
import { requestIntent } from "../audit/audit-intents.ts";

/** What a write of one object (PutObject, CopyObject, CreateMultipartUpload) asks for. */
export interface ObjectWriteInput {
  bucketName: string;
  key: string;
  sourceCountry: string | null;
  contentType: string;
  declaredSize: number | undefined;
  condition?: WriteCondition | undefined;
  /** Asked only when an existing object is protected: whether the caller may bypass GOVERNANCE. */
  bypassGovernance: () => Promise<boolean>;
  /** The `x-amz-object-lock-*` headers of the write; refused in a bucket without object lock. */
  lock?: RequestedLock;
  /** The write's SSE headers; without them the bucket's default encryption (or SSE-S3) applies. */
  sse?: SseRequest | undefined;
  /** The object event the write publishes (`s3:ObjectCreated:Put`, `:Post`, `:Copy`). */
  event?: { name: S3EventName; origin: EventOrigin };
}

export interface PreparedWrite {
  bucket: Bucket;
  write: { provider: StorageProvider; tenant: TenantStorage };
  lock: { bypassGovernance: boolean };
  condition: WriteCondition | undefined;
  /** The new version's own lock (asked for, or the bucket's default retention). */
  objectLock: VersionLock | undefined;
  /** What the new version's bytes are sealed under. */
  sealing: WriteSealing;
  event: { ctx: ObjectEventContext | undefined; name: S3EventName } | undefined;
}

interface Ctx { deps: Deps; customer: Customer; op: OperationRecord }

/** Writes up to this declared size skip the early lock and condition check (see prepareObjectWrite). */
const JUDGED_AT_COMMIT_BYTES = 1024 * 1024;

/**
 * Steps 1-4 of every object write, always in this order and before a byte is accepted:
 * resolve the storage target, residency of that target, the customer's write rules (judged
 * on the resolved target's country), then the existing object's lock and the write condition.
 */
export async function prepareObjectWrite({ ctx, input }: { ctx: Ctx; input: ObjectWriteInput }): Promise<PreparedWrite> {
  const { deps, customer, op } = ctx;
  const bucket = await findBucket(deps, customer.customerId, input.bucketName);
  const objectLock = await resolveVersionLock(deps, bucket, input.lock ?? {}, deps.clock.now());
  const facts = { bucket: input.bucketName, key: input.key, sourceCountry: input.sourceCountry };
  const write = await residencyGate(deps, customer, op, facts);
  const sealing = await resolveWriteSealing(deps, customer.customerId, await sealingRequest(deps, bucket, input.sse, write.provider), write.provider);
  await checkWrite(deps, customer, { ...facts, contentType: input.contentType, declaredSize: input.declaredSize, storageCountry: write.provider.location.country });
  const event = input.event && { ctx: await objectEventContext(deps, bucket, input.event.origin), name: input.event.name };
  // A small unconditional write is judged only by the commit, under the key's lock (where every
  // write is judged again anyway): storing a few KiB that a protected object then refuses costs
  // less than a lookup before every small write. A large body is refused before it is accepted.
  if (input.condition === undefined && input.declaredSize !== undefined && input.declaredSize <= JUDGED_AT_COMMIT_BYTES) {
    return { bucket, write, lock: { bypassGovernance: await input.bypassGovernance() }, condition: undefined, objectLock, sealing, event };
  }
  const existing = await lookupObject(deps.db, bucket, input.key);
  assertWriteCondition(existing, input.condition, input.key);
  // Only a write that replaces the `null` version destroys one; in a versioned bucket nothing is
  // replaced, and in a bucket never versioned the latest version is the only one, the null one.
  const replaced = keepsVersions(bucket.versioning)
    ? undefined
    : existing?.versionId === NULL_VERSION || bucket.versioning === null
      ? existing
      : await lookupObject(deps.db, bucket, input.key, NULL_VERSION);
  const lock = { bypassGovernance: replaced ? await input.bypassGovernance() : false };
  if (replaced) assertMutable(replaced, deps.clock.now(), input.key, lock);
  return { bucket, write, lock, condition: input.condition, objectLock, sealing, event };
}

/** The write's SSE headers, else the bucket's default encryption; SSE-C where the bucket blocks it is S3's 403. */
async function sealingRequest(deps: Deps, bucket: Bucket, sse: SseRequest | undefined, target: StorageProvider): Promise<SseRequest | undefined> {
  if (deps.config.encryptObjects === false) return sse;
  const byDefault = await bucketDefaultEncryption(deps, bucket);
  if (sse?.mode === "SSE-C" && byDefault.blocksSseC) throw sseError.customerBlocked();
  if (sse) return sse;
  // An opted-out customer bucket applies only an explicit default configuration of the bucket.
  if (!target.gatewayEncryption && !byDefault.configured) return undefined;
  return byDefault.mode === "aws:kms" ? { mode: "aws:kms", keyId: byDefault.keyId, bucketKeyEnabled: byDefault.bucketKeyEnabled } : { mode: "AES256" };
}

/**
 * Steps 5-7: the bytes, the content rules over what was actually stored, then the metadata
 * commit (which re-checks lock and condition under the key's lock). Bytes that fail a check
 * are deleted, so nothing half-written is ever visible.
 */
export async function storeObject({ ctx, prepared, input }: {
  ctx: Ctx;
  prepared: PreparedWrite;
  input: { key: string; sourceCountry: string | null; meta: NewObject; bytes: (tenant: TenantStorage, dataKey: Buffer | undefined) => Promise<StoredBlob>; verify?: (blob: StoredBlob) => void };
}): Promise<ObjectRow> {
  const { deps, customer, op } = ctx;
  const { bucket, write } = prepared;
  const sealed = await newBlobKey(deps, customer.customerId, prepared.sealing);
  const blob = await input.bytes(write.tenant, sealed.dataKey);
  try {
    input.verify?.(blob);
    await checkContent(deps, customer, { bucket: bucket.bucketName, key: input.key, sourceCountry: input.sourceCountry, sha256: blob.sha256Hex, size: blob.size, bucketId: bucket.bucketId });
  } catch (err) {
    await write.tenant.delete(blob.storageKey).catch(() => {});
    throw err;
  }
  const meta = { ...input.meta, encryption: sealed.encryption, ...(prepared.objectLock ? { lock: prepared.objectLock } : {}) };
  const intent = requestIntent(op, 200);
  const row = await commitObject(deps.db, deps.targets, write, bucket, input.key, blob, meta, deps.clock.now(), { intent, ...prepared.lock, condition: prepared.condition, ...(prepared.event ? { event: prepared.event } : {}) });
  const target = write.provider.location;
  op.bytes = blob.size;
  op.info = { ...op.info, residency: "ok", storage_provider: target.providerId, storage_country: target.country, sha256: row.sha256 };
  return row;
}
