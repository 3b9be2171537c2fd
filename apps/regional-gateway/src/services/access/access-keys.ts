import { randomBytes } from "node:crypto";
import { apiError, bucketNameProblem, SigningKeyMemo, type MasterKeyRing } from "@s3gw/core";
import { accessKeys, storageTargets } from "@s3gw/schema-regional";
import { and, asc, count, eq, gt, ne, or } from "drizzle-orm";
import { z } from "zod";
import type { Deps } from "../../env.ts";
import { findHomedCustomer } from "./customers.ts";
import { limitParam } from "../paging.ts";
import { registerAccessKeyRoute, unregisterAccessKeyRoute } from "./router-registration.ts";
import { resealNotificationTargets } from "../events/target-reseal.ts";

export const ACCESS_KEY_PERMISSIONS = ["read-only", "read-write"] as const;
export type AccessKeyPermission = (typeof ACCESS_KEY_PERMISSIONS)[number];
/** `S3GW` + 16 base32 characters: 20 characters like AWS's ids, recognisably ours. */
export const ACCESS_KEY_ID_RE = /^S3GW[A-Z2-7]{16}$/;

const bucketName = z.string().superRefine((name, ctx) => {
  const problem = bucketNameProblem(name);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

/** `permission` omitted: the most the caller may grant (read-write for admins, read-only otherwise; see the route). */
export const createAccessKeySchema = z
  .strictObject({
    description: z.string().trim().max(256).optional(),
    permission: z.enum(ACCESS_KEY_PERMISSIONS).optional(),
    allowed_buckets: z.array(bucketName).min(1).max(100).nullish(),
    bypass_governance: z.boolean().default(false),
  })
  .refine((b) => !(b.bypass_governance && b.permission === "read-only"), { message: "a read-only key cannot bypass GOVERNANCE retention", path: ["bypass_governance"] });
export const updateAccessKeySchema = z
  .strictObject({ status: z.enum(["active", "disabled"]).optional(), bypass_governance: z.boolean().optional() })
  .refine((b) => b.status !== undefined || b.bypass_governance !== undefined, { message: "set status and/or bypass_governance" });
export type CreateAccessKeyInput = Omit<z.infer<typeof createAccessKeySchema>, "permission"> & { permission: AccessKeyPermission };
export type UpdateAccessKeyInput = z.infer<typeof updateAccessKeySchema>;
export const listAccessKeysQuery = z.strictObject({ limit: limitParam, cursor: z.string().max(500).optional() });
export const accessKeysCursor = z.strictObject({ t: z.iso.datetime(), id: z.string().regex(ACCESS_KEY_ID_RE) });

type Row = typeof accessKeys.$inferSelect;
// The cache is optional so that command-line tools with a bare database handle keep working.
type KeyDeps = Pick<Deps, "db" | "config" | "clock"> & Partial<Pick<Deps, "cache">>;

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

function base32(bytes: Buffer): string {
  let out = "";
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

export const newAccessKeyId = (): string => `S3GW${base32(randomBytes(10))}`;
/** 40 characters of base64url (240 random bits), the length AWS secrets have. */
export const newSecretAccessKey = (): string => randomBytes(30).toString("base64url");

export function accessKeyView(r: Row) {
  return {
    access_key_id: r.accessKeyId,
    customer_id: r.customerId,
    description: r.description,
    permission: r.permission,
    allowed_buckets: r.allowedBuckets ?? null,
    bypass_governance: r.bypassGovernance,
    status: r.status,
    created_by: r.createdBy,
    created_at: r.createdAt.toISOString(),
    updated_at: r.updatedAt.toISOString(),
  };
}

function keyRing(deps: KeyDeps): MasterKeyRing {
  const ring = deps.config.masterKeys;
  if (!ring) throw apiError.unavailable("access keys are unavailable: this region has no master key configured (MASTER_KEYS, MASTER_KEY_ID)");
  return ring;
}

/**
 * Creates a key and registers its id with the global router. The secret is returned only
 * here and stored sealed under the active master key, bound to the key id. A key the
 * router does not know could never be used through it, so a failed registration undoes it.
 */
export async function createAccessKey(deps: KeyDeps, customerId: string, input: CreateAccessKeyInput, createdBy: string) {
  const ring = keyRing(deps);
  await findHomedCustomer(deps, customerId);
  const accessKeyId = newAccessKeyId();
  const secret = newSecretAccessKey();
  const now = deps.clock.now();
  const [row] = await deps.db
    .insert(accessKeys)
    .values({
      accessKeyId,
      customerId,
      description: input.description || null,
      secretCiphertext: ring.seal(secret, accessKeyId),
      secretKeyId: ring.activeKeyId,
      permission: input.permission,
      allowedBuckets: input.allowed_buckets ? [...new Set(input.allowed_buckets)] : null,
      bypassGovernance: input.bypass_governance,
      createdBy,
      createdAt: now,
      updatedAt: now,
    })
    .returning();
  let registered: boolean;
  try {
    registered = await registerAccessKeyRoute(deps, accessKeyId, customerId);
  } catch (err) {
    await deps.db.delete(accessKeys).where(eq(accessKeys.accessKeyId, accessKeyId));
    deps.cache?.accessKeys.invalidate(accessKeyId);
    throw err;
  }
  return { key: accessKeyView(row!), secret, registered };
}

export async function listAccessKeys(deps: KeyDeps, customerId: string, q: { limit: number; after?: { t: string; id: string } | undefined }) {
  const after = q.after
    ? or(gt(accessKeys.createdAt, new Date(q.after.t)), and(eq(accessKeys.createdAt, new Date(q.after.t)), gt(accessKeys.accessKeyId, q.after.id)))
    : undefined;
  const rows = await deps.db
    .select()
    .from(accessKeys)
    .where(and(eq(accessKeys.customerId, customerId), after))
    .orderBy(asc(accessKeys.createdAt), asc(accessKeys.accessKeyId))
    .limit(q.limit + 1);
  const page = rows.slice(0, q.limit);
  const last = page.at(-1);
  return { items: page.map(accessKeyView), next: rows.length > q.limit && last ? { t: last.createdAt.toISOString(), id: last.accessKeyId } : undefined };
}

/** One of the customer's keys as stored (for the caller's duty checks before a change). */
export async function findAccessKey(deps: KeyDeps, customerId: string, accessKeyId: string) {
  const [row] = await deps.db
    .select()
    .from(accessKeys)
    .where(and(eq(accessKeys.customerId, customerId), eq(accessKeys.accessKeyId, accessKeyId)))
    .limit(1);
  if (!row) throw apiError.notFound(`customer ${customerId} has no access key ${accessKeyId}`);
  return accessKeyView(row);
}

/** Disabling keeps the router's entry: the region refuses the key, and it can be re-enabled. */
export async function updateAccessKey(deps: KeyDeps, customerId: string, accessKeyId: string, patch: UpdateAccessKeyInput) {
  const where = and(eq(accessKeys.customerId, customerId), eq(accessKeys.accessKeyId, accessKeyId));
  if (patch.bypass_governance) {
    const current = await findAccessKey(deps, customerId, accessKeyId);
    if (current.permission === "read-only") throw apiError.badRequest("bypass_governance: a read-only key cannot bypass GOVERNANCE retention");
  }
  const [row] = await deps.db
    .update(accessKeys)
    .set({
      ...(patch.status !== undefined ? { status: patch.status } : {}),
      ...(patch.bypass_governance !== undefined ? { bypassGovernance: patch.bypass_governance } : {}),
      updatedAt: deps.clock.now(),
    })
    .where(where)
    .returning();
  // At once on this instance; other instances of the region learn it from the notification.
  deps.cache?.accessKeys.invalidate(accessKeyId);
  if (!row) throw apiError.notFound(`customer ${customerId} has no access key ${accessKeyId}`);
  return accessKeyView(row);
}

/** Unregisters first: if the router cannot be told, the key stays, so the call can be retried. */
export async function deleteAccessKey(deps: KeyDeps, customerId: string, accessKeyId: string): Promise<{ unregistered: boolean }> {
  const where = and(eq(accessKeys.customerId, customerId), eq(accessKeys.accessKeyId, accessKeyId));
  const [row] = await deps.db.select({ id: accessKeys.accessKeyId }).from(accessKeys).where(where).limit(1);
  if (!row) throw apiError.notFound(`customer ${customerId} has no access key ${accessKeyId}`);
  const unregistered = await unregisterAccessKeyRoute(deps, accessKeyId);
  await deps.db.delete(accessKeys).where(where);
  deps.cache?.accessKeys.invalidate(accessKeyId);
  return { unregistered };
}

export interface ActiveAccessKey {
  accessKeyId: string;
  customerId: string;
  secretAccessKey: string;
  permission: AccessKeyPermission;
  allowedBuckets: string[] | null;
  /** Admin-granted: may shorten, remove or bypass GOVERNANCE retention (s3:BypassGovernanceRetention). */
  bypassGovernance: boolean;
  /** This secret's derived SigV4 signing keys, kept as long as the cached key is. */
  signingKeys: SigningKeyMemo;
}

/**
 * The credentials SigV4 verification needs, or undefined for an unknown or disabled key. With
 * the instance's cache, a found key (its opened secret in memory only) is reused until a change
 * to its row is notified, or for CACHE_TTL_MS at most; an unknown key is asked again each time.
 */
export async function findActiveAccessKey(deps: Pick<Deps, "db" | "config"> & Partial<Pick<Deps, "cache">>, accessKeyId: string): Promise<ActiveAccessKey | undefined> {
  if (!ACCESS_KEY_ID_RE.test(accessKeyId)) return undefined;
  if (!deps.cache) return loadActiveAccessKey(deps, accessKeyId);
  return deps.cache.accessKeys.get(accessKeyId, () => loadActiveAccessKey(deps, accessKeyId));
}

async function loadActiveAccessKey(deps: Pick<Deps, "db" | "config">, accessKeyId: string): Promise<ActiveAccessKey | undefined> {
  const [row] = await deps.db
    .select()
    .from(accessKeys)
    .where(and(eq(accessKeys.accessKeyId, accessKeyId), eq(accessKeys.status, "active")))
    .limit(1);
  if (!row) return undefined;
  const ring = deps.config.masterKeys;
  // Loud on purpose: a stored key that cannot be opened is a misconfiguration, not a bad request.
  if (!ring) throw new Error(`access key ${accessKeyId} exists but no MASTER_KEYS are configured to open its secret`);
  // Frozen: one cached object serves many requests at once.
  const secretAccessKey = ring.open(row.secretCiphertext, accessKeyId);
  return Object.freeze({
    accessKeyId,
    customerId: row.customerId,
    secretAccessKey,
    signingKeys: new SigningKeyMemo(secretAccessKey),
    permission: row.permission,
    allowedBuckets: row.allowedBuckets ? Object.freeze([...row.allowedBuckets]) as string[] : null,
    bypassGovernance: row.bypassGovernance,
  });
}

const ROTATION_BATCH = 200;

/**
 * Re-seals every secret not yet under the active master key, so an old key can be retired.
 * Each row is swapped only if unchanged since it was read. Secrets under a key that is no
 * longer configured cannot be opened; they are reported, not dropped.
 */
export async function rotateMasterKey(deps: KeyDeps) {
  const ring = keyRing(deps);
  let reEncrypted = 0;
  const unreadable: string[] = [];
  let lastId = "";
  for (;;) {
    const rows = await deps.db
      .select({ id: accessKeys.accessKeyId, sealed: accessKeys.secretCiphertext })
      .from(accessKeys)
      .where(and(ne(accessKeys.secretKeyId, ring.activeKeyId), gt(accessKeys.accessKeyId, lastId)))
      .orderBy(asc(accessKeys.accessKeyId))
      .limit(ROTATION_BATCH);
    for (const row of rows) {
      let secret: string;
      try {
        secret = ring.open(row.sealed, row.id);
      } catch {
        unreadable.push(row.id);
        continue;
      }
      const swapped = await deps.db
        .update(accessKeys)
        .set({ secretCiphertext: ring.seal(secret, row.id), secretKeyId: ring.activeKeyId })
        .where(and(eq(accessKeys.accessKeyId, row.id), eq(accessKeys.secretCiphertext, row.sealed)))
        .returning({ id: accessKeys.accessKeyId });
      reEncrypted += swapped.length;
      deps.cache?.accessKeys.invalidate(row.id);
    }
    if (rows.length < ROTATION_BATCH) break;
    lastId = rows.at(-1)!.id;
  }
  const [total] = await deps.db.select({ n: count() }).from(accessKeys);
  const targets = await resealStorageTargets(deps, ring);
  const notificationTargets = await resealNotificationTargets(deps, ring);
  return { active_key_id: ring.activeKeyId, re_encrypted: reEncrypted, unreadable, total: total?.n ?? 0, storage_targets: targets, notification_targets: notificationTargets };
}

/** Customer-bucket credentials are sealed under the same ring; they rotate with the access keys. */
async function resealStorageTargets(deps: KeyDeps, ring: MasterKeyRing) {
  const activePrefix = `v1.${ring.activeKeyId}.`;
  let reEncrypted = 0;
  const unreadable: string[] = [];
  const rows = await deps.db
    .select({ id: storageTargets.targetId, secret: storageTargets.secretCiphertext, token: storageTargets.sessionTokenCiphertext })
    .from(storageTargets);
  for (const row of rows) {
    if (row.secret.startsWith(activePrefix) && (!row.token || row.token.startsWith(activePrefix))) continue;
    try {
      const secret = ring.seal(ring.open(row.secret, row.id), row.id);
      const token = row.token ? ring.seal(ring.open(row.token, `${row.id}:session_token`), `${row.id}:session_token`) : null;
      const swapped = await deps.db
        .update(storageTargets)
        .set({ secretCiphertext: secret, sessionTokenCiphertext: token })
        .where(and(eq(storageTargets.targetId, row.id), eq(storageTargets.secretCiphertext, row.secret)))
        .returning({ id: storageTargets.targetId });
      reEncrypted += swapped.length;
    } catch {
      unreadable.push(row.id);
    }
  }
  return { re_encrypted: reEncrypted, unreadable, total: rows.length };
}
