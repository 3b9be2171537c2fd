import type { Readable } from "node:stream";
import type { PutOptions, ReadRange, StorageProvider, StoredBlob } from "@s3gw/storage";

/**
 * A customer bucket's provider that reports each failure (rejected calls, and errors while a
 * read streams) to `onFailure` before the caller sees it, so a failing bucket is noticed by
 * the request that met the failure. The wrapped provider stays reachable as `inner` for
 * operations beyond the StorageProvider interface (object lock).
 */
export class ObservedProvider implements StorageProvider {
  readonly inner: StorageProvider;
  private readonly onFailure: (err: unknown) => Promise<void>;

  constructor(inner: StorageProvider, onFailure: (err: unknown) => Promise<void>) {
    this.inner = inner;
    this.onFailure = onFailure;
  }

  get type() {
    return this.inner.type;
  }

  get gatewayEncryption() {
    return this.inner.gatewayEncryption;
  }

  get location() {
    return this.inner.location;
  }

  put(prefix: string, body: Readable, opts: PutOptions): Promise<StoredBlob> {
    return this.watch(this.inner.put(prefix, body, opts));
  }

  async get(storageKey: string, range?: ReadRange, opts?: { chunkBytes?: number }): Promise<Readable> {
    const stream = await this.watch(this.inner.get(storageKey, range, opts));
    stream.once("error", (err) => void this.onFailure(err));
    return stream;
  }

  delete(storageKey: string): Promise<void> {
    return this.watch(this.inner.delete(storageKey));
  }

  list(prefix: string): AsyncIterable<{ storageKey: string; modifiedAt: Date }> {
    return this.inner.list(prefix);
  }

  health(): Promise<{ ok: boolean; detail?: string }> {
    return this.inner.health();
  }

  sweepIncomplete(olderThan: Date): Promise<number> {
    return this.watch(this.inner.sweepIncomplete(olderThan));
  }

  private async watch<T>(work: Promise<T>): Promise<T> {
    try {
      return await work;
    } catch (err) {
      await this.onFailure(err);
      throw err;
    }
  }
}
