import { randomBytes } from "node:crypto";
import { kmsError, type KeyProvider, type WrappedDataKey } from "@s3gw/core";
import type { Deps } from "../../env.ts";
import { findCustomer } from "../access/customers.ts";
import type { RegionalCache } from "../cache/regional-cache.ts";
import type { GatewayMetrics } from "../ops/metrics.ts";
import { KEY_BYTES, unwrapKey, wrapKey } from "./key-material.ts";
import { customerCachePrefix, defaultCacheKey, findDefaultKeyId, insertKey, keyCacheKey, loadKey, type LoadedKey } from "./key-store.ts";

export type KeyProviderDeps = Pick<Deps, "db" | "config" | "clock" | "cache"> & { metrics?: GatewayMetrics | undefined };

/** A key named by ARN (`arn:aws:kms:<region id lowercased>:<customer id>:key/<key id>`, see kmsKeyArn in core). */
const ARN_RE = /^arn:aws:kms:([^:]*):([^:]*):key\/(.*)$/;

/** What every use answers for a key that exists but is not Enabled (AWS KMS's exceptions). */
function refuseUnlessUsable(key: LoadedKey): void {
  if (key.state === "Enabled") return;
  if (key.state === "Disabled") throw kmsError.disabled(key.keyId);
  throw kmsError.invalidState(key.keyId, key.state === "PendingDeletion" ? "pending deletion" : "destroyed");
}

/**
 * The default key provider: KEKs live in the region's database (sealed by the master key ring)
 * and data keys are wrapped here with AES-256-GCM. Key state and opened KEK material are cached
 * per instance (RegionalCache.customerKeys: the notification of a change, or CACHE_TTL_MS at most),
 * so wrapping and unwrapping under a cached key touches no database.
 */
export class LocalKeyProvider implements KeyProvider {
  private readonly deps: KeyProviderDeps;

  constructor(deps: KeyProviderDeps) {
    this.deps = deps;
  }

  private get cache(): RegionalCache["customerKeys"] {
    return this.deps.cache.customerKeys;
  }

  /** The customer's key (cached), or undefined: unknown, or another customer's. */
  async key(customerId: string, keyId: string): Promise<LoadedKey | undefined> {
    const entry = await this.cache.get(keyCacheKey(customerId, keyId), async () => {
      const key = await loadKey(this.deps, customerId, keyId);
      return key && { key };
    });
    return entry?.key;
  }

  private async enabledKey(customerId: string, keyId: string, named: string = keyId): Promise<LoadedKey> {
    const key = await this.key(customerId, keyId);
    if (!key) throw kmsError.notFound(named);
    refuseUnlessUsable(key);
    return key;
  }

  async generateDataKey(input: { customerId: string; keyId?: string }): Promise<{ plaintext: Buffer } & WrappedDataKey> {
    const keyId = input.keyId ?? (await this.defaultKeyId(input.customerId));
    const key = await this.enabledKey(input.customerId, keyId);
    const kek = key.versions.get(key.currentVersion);
    if (!kek) throw kmsError.invalidState(keyId, "missing its current version");
    const plaintext = randomBytes(KEY_BYTES);
    const wrapped = wrapKey(kek, { customerId: input.customerId, keyId, version: key.currentVersion }, plaintext);
    this.deps.metrics?.countDataKey("generate");
    return { plaintext, keyId, keyVersion: key.currentVersion, wrapped };
  }

  async decryptDataKey(input: { customerId: string } & WrappedDataKey): Promise<Buffer> {
    const key = await this.key(input.customerId, input.keyId);
    if (!key) throw kmsError.notFound(input.keyId);
    refuseUnlessUsable(key);
    const plaintext = this.unwrap(key, input.keyVersion, input.wrapped);
    if (!plaintext) throw kmsError.invalidCiphertext(input.keyId);
    this.deps.metrics?.countDataKey("decrypt");
    return plaintext;
  }

  private unwrap(key: LoadedKey, version: number, wrapped: string): Buffer | undefined {
    const kek = key.versions.get(version);
    return kek && unwrapKey(kek, { customerId: key.customerId, keyId: key.keyId, version }, wrapped);
  }

  async resolveKey(customerId: string, keyIdOrArn: string): Promise<string> {
    let keyId = keyIdOrArn;
    const arn = ARN_RE.exec(keyIdOrArn);
    if (arn) {
      // Another region's or another customer's ARN is refused exactly like an unknown key.
      if (arn[1] !== this.deps.config.region.region_id.toLowerCase() || arn[2] !== customerId) throw kmsError.notFound(keyIdOrArn);
      keyId = arn[3]!;
    }
    await this.enabledKey(customerId, keyId, keyIdOrArn);
    return keyId;
  }

  /** Created on first use; two first uses at once (here or on another instance) get the same key. */
  async defaultKeyId(customerId: string): Promise<string> {
    const entry = await this.cache.get(defaultCacheKey(customerId), async () => {
      const existing = await findDefaultKeyId(this.deps.db, customerId);
      if (existing) return { defaultKeyId: existing };
      if (!(await findCustomer(this.deps, customerId))) return undefined;
      await insertKey(this.deps, { customerId, description: "default key", isDefault: true, createdBy: "system:default-key" });
      // Ours, or the one a concurrent first use inserted (the partial unique index let only one in).
      const created = await findDefaultKeyId(this.deps.db, customerId);
      if (!created) throw new Error(`customer ${customerId}: the default key was neither created nor found`);
      return { defaultKeyId: created };
    });
    if (!entry?.defaultKeyId) throw kmsError.notFound("default key");
    return entry.defaultKeyId;
  }

  /**
   * A data key wrapped by an older version, wrapped again by the key's current one (no data is
   * re-encrypted). Undefined when it is already current, the key is not Enabled, or it does not unwrap.
   */
  async rewrap(customerId: string, keyId: string, from: { keyVersion: number; wrapped: string }): Promise<{ keyVersion: number; wrapped: string } | undefined> {
    const key = await this.key(customerId, keyId);
    if (!key || key.state !== "Enabled" || from.keyVersion >= key.currentVersion) return undefined;
    const plaintext = this.unwrap(key, from.keyVersion, from.wrapped);
    const kek = key.versions.get(key.currentVersion);
    if (!plaintext || !kek) return undefined;
    const wrapped = wrapKey(kek, { customerId, keyId, version: key.currentVersion }, plaintext);
    plaintext.fill(0);
    return { keyVersion: key.currentVersion, wrapped };
  }

  /** A change made through this instance takes effect here at once (others learn it from the notification). */
  forget(customerId: string): void {
    this.cache.invalidatePrefix(customerCachePrefix(customerId));
  }
}
