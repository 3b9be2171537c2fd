import { s3Error } from "@s3gw/core";
import { storageTargets } from "@s3gw/schema-regional";
import { TenantStorage, type StorageProvider } from "@s3gw/storage";
import { eq } from "drizzle-orm";
import type { RegionalDb } from "../../env.ts";
import { ObservedProvider } from "./observed-provider.ts";
import { PartManifestStore } from "../objects/multipart-manifest.ts";

export type TargetRow = typeof storageTargets.$inferSelect;

/** Builds a provider for a customer-owned bucket from its stored (sealed) description. */
export type CustomerProviderFactory = (target: TargetRow) => StorageProvider;

/** Decides where a customer's new writes go; the customer-bucket configuration plugs in here. */
export type WriteTargetPolicy = (customerId: string) => Promise<string>;

/**
 * Every byte this region stores is on a target: its hosted provider, or a customer's own
 * bucket (a `storage_targets` row). Writes resolve a target once per object (or upload) and
 * record its id; reads, deletes and verification always go to the recorded target, so a
 * configuration change never strands an object.
 */
export class StorageTargets {
  readonly hosted: StorageProvider;
  /** Resolves multipart objects' composite keys for every TenantStorage handed out here. */
  readonly manifests: PartManifestStore;
  private readonly db: RegionalDb;
  private readonly customerProvider: CustomerProviderFactory | undefined;
  private readonly onCustomerFailure: ((targetId: string, err: unknown) => Promise<void>) | undefined;
  private writePolicy: WriteTargetPolicy;
  private readonly providers = new Map<string, StorageProvider>();

  constructor(opts: {
    hosted: StorageProvider;
    db: RegionalDb;
    customerProvider?: CustomerProviderFactory;
    /** Told of every failure of a customer bucket during a request (see CustomerStorageHealth). */
    onCustomerFailure?: (targetId: string, err: unknown) => Promise<void>;
  }) {
    this.hosted = opts.hosted;
    this.db = opts.db;
    this.manifests = new PartManifestStore(opts.db);
    this.customerProvider = opts.customerProvider;
    this.onCustomerFailure = opts.onCustomerFailure;
    this.writePolicy = async () => this.hosted.location.providerId;
  }

  /** Installs the rule that picks each customer's write target (default: hosted storage). */
  setWritePolicy(policy: WriteTargetPolicy): void {
    this.writePolicy = policy;
  }

  /** The provider a stored object or upload was recorded on. */
  async provider(providerId: string): Promise<StorageProvider> {
    if (providerId === this.hosted.location.providerId) return this.hosted;
    const cached = this.providers.get(providerId);
    if (cached) return cached;
    const [row] = await this.db.select().from(storageTargets).where(eq(storageTargets.targetId, providerId)).limit(1);
    if (!row || !this.customerProvider) throw s3Error("InternalError", `storage target ${providerId} is not available in this region`);
    const raw = this.customerProvider(row);
    const report = this.onCustomerFailure;
    const provider = report ? new ObservedProvider(raw, (err) => report(providerId, err)) : raw;
    this.providers.set(providerId, provider);
    return provider;
  }

  /** Tenant-scoped access to the bytes of something recorded on `providerId`. */
  async recorded(customerId: string, providerId: string): Promise<TenantStorage> {
    return new TenantStorage(await this.provider(providerId), customerId, this.manifests);
  }

  /** Where a new object (or upload) of this customer is written, resolved now and recorded with it. */
  async forWrite(customerId: string): Promise<{ provider: StorageProvider; tenant: TenantStorage }> {
    const provider = await this.provider(await this.writePolicy(customerId));
    return { provider, tenant: new TenantStorage(provider, customerId, this.manifests) };
  }

  /** The provider itself, past any observing wrapper: for operations beyond StorageProvider (object lock). */
  async raw(providerId: string): Promise<StorageProvider> {
    const p = await this.provider(providerId);
    return p instanceof ObservedProvider ? p.inner : p;
  }

  /** Drops a cached provider after its credentials or description changed. */
  forget(providerId: string): void {
    this.providers.delete(providerId);
  }
}
