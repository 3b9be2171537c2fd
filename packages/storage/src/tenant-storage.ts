import type { Readable } from "node:stream";
import { AppError, CUSTOMER_ID_RE } from "@s3gw/core";
import type { PutOptions, ReadRange, StorageProvider, StoredBlob } from "./provider.ts";

export function tenantPrefix(customerId: string): string {
  if (!CUSTOMER_ID_RE.test(customerId)) throw new AppError("InvalidArgument", 400, "invalid customer id");
  return `tenant-${customerId}/`;
}

/**
 * The one place tenant isolation of bytes is enforced: every key handed out is under the
 * tenant's prefix, and every key accepted must be, so no code path can reach another
 * tenant's bytes even with a corrupted metadata row.
 */
export class TenantStorage {
  readonly prefix: string;
  readonly provider: StorageProvider;

  constructor(provider: StorageProvider, customerId: string) {
    this.provider = provider;
    this.prefix = tenantPrefix(customerId);
  }

  put(body: Readable, opts: PutOptions): Promise<StoredBlob> {
    return this.provider.put(this.prefix, body, opts);
  }

  get(storageKey: string, range?: ReadRange): Promise<Readable> {
    return this.provider.get(this.own(storageKey), range);
  }

  delete(storageKey: string): Promise<void> {
    return this.provider.delete(this.own(storageKey));
  }

  private own(storageKey: string): string {
    const rest = storageKey.slice(this.prefix.length);
    if (!storageKey.startsWith(this.prefix) || rest.split("/").some((s) => s === "" || s === "." || s === "..")) {
      throw new AppError("AccessDenied", 403, "storage key outside the tenant's prefix");
    }
    return storageKey;
  }
}
