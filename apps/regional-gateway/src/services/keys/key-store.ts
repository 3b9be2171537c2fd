import { createSecretKey, randomUUID, type KeyObject } from "node:crypto";
import { AppError, type MasterKeyRing } from "@s3gw/core";
import { customerKeys, customerKeyVersions, type CustomerKeyState } from "@s3gw/schema-regional";
import { and, eq, isNotNull } from "drizzle-orm";
import type { Deps, RegionalDb, RegionalTx } from "../../env.ts";
import { newKekMaterial, openKek, sealKek } from "./key-material.ts";

/** A key as the hot path needs it: its state and its versions' opened material (in memory only). */
export interface LoadedKey {
  keyId: string;
  customerId: string;
  state: CustomerKeyState;
  currentVersion: number;
  isDefault: boolean;
  /** Opened KEK material by version, as key objects (imported once, not per data key); destroyed versions are absent. */
  versions: ReadonlyMap<number, KeyObject>;
}

/** One entry of RegionalCache.customerKeys: a key, or which key is the customer's default. */
export interface CachedKeyEntry { key?: LoadedKey; defaultKeyId?: string }

export const KEY_ID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Cache keys start with the customer, so one customer's notification forgets only that customer's keys. */
export const keyCacheKey = (customerId: string, keyId: string): string => `${customerId}\u0000k\u0000${keyId}`;
export const defaultCacheKey = (customerId: string): string => `${customerId}\u0000default`;
export const customerCachePrefix = (customerId: string): string => `${customerId}\u0000`;

/** Drops the instance's cached keys of one customer (its own changes apply here at once; others learn by NOTIFY). */
export function forgetCustomerKeys(cache: Deps["cache"], customerId: string): void {
  cache.customerKeys.invalidatePrefix(customerCachePrefix(customerId));
}

export type KeyCtx = Pick<Deps, "db" | "config" | "clock">;

export function masterRing(config: Deps["config"]): MasterKeyRing {
  const ring = config.masterKeys;
  // S3's code: the JSON API renders it SERVICE_UNAVAILABLE, the S3 API ServiceUnavailable (errors.ts).
  if (!ring) throw new AppError("ServiceUnavailable", 503, "Customer keys are unavailable: this region has no master key configured (MASTER_KEYS, MASTER_KEY_ID).");
  return ring;
}

/** The customer's key with its opened versions, or undefined when the customer has no such key. */
export async function loadKey(ctx: Pick<Deps, "db" | "config">, customerId: string, keyId: string): Promise<LoadedKey | undefined> {
  if (!KEY_ID_RE.test(keyId)) return undefined;
  const [row] = await ctx.db
    .select()
    .from(customerKeys)
    .where(and(eq(customerKeys.keyId, keyId), eq(customerKeys.customerId, customerId)))
    .limit(1);
  if (!row) return undefined;
  const versions = new Map<number, KeyObject>();
  const sealed = await ctx.db
    .select({ version: customerKeyVersions.version, material: customerKeyVersions.material })
    .from(customerKeyVersions)
    .where(and(eq(customerKeyVersions.keyId, keyId), eq(customerKeyVersions.customerId, customerId), isNotNull(customerKeyVersions.material)));
  if (sealed.length > 0) {
    // Loud on purpose: stored material that cannot be opened is a misconfiguration, not a client error.
    const ring = ctx.config.masterKeys;
    if (!ring) throw new Error(`customer key ${keyId} exists but no MASTER_KEYS are configured to open it`);
    for (const v of sealed) versions.set(v.version, createSecretKey(openKek(ring, { customerId, keyId, version: v.version }, v.material!)));
  }
  return Object.freeze({ keyId, customerId, state: row.state, currentVersion: row.currentVersion, isDefault: row.isDefault, versions });
}

export async function findDefaultKeyId(db: RegionalDb, customerId: string): Promise<string | undefined> {
  const [row] = await db
    .select({ keyId: customerKeys.keyId })
    .from(customerKeys)
    .where(and(eq(customerKeys.customerId, customerId), eq(customerKeys.isDefault, true)))
    .limit(1);
  return row?.keyId;
}

/** Inserts version `version` of a key with fresh material, sealed and bound to customer, key and version. */
export async function insertVersion(tx: RegionalTx | RegionalDb, ring: MasterKeyRing, ref: { customerId: string; keyId: string; version: number }, now: Date) {
  await tx.insert(customerKeyVersions).values({ ...ref, material: sealKek(ring, ref, newKekMaterial()), createdAt: now });
}

/** A new Enabled key at version 1; `isDefault` keys are inserted only if the customer has none (else undefined). */
export async function insertKey(ctx: KeyCtx, input: { customerId: string; description: string | null; isDefault: boolean; createdBy: string }) {
  const ring = masterRing(ctx.config);
  const keyId = randomUUID();
  const now = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    // The partial unique index on (customer_id) where is_default makes a concurrent second default a no-op.
    const [row] = await tx
      .insert(customerKeys)
      .values({ keyId, customerId: input.customerId, description: input.description, isDefault: input.isDefault, createdBy: input.createdBy, createdAt: now, updatedAt: now })
      .onConflictDoNothing()
      .returning();
    if (!row) return undefined;
    await insertVersion(tx, ring, { customerId: input.customerId, keyId, version: 1 }, now);
    return row;
  });
}
