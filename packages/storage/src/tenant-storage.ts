import type { Readable } from "node:stream";
import { AppError, CUSTOMER_ID_RE } from "@s3gw/core";
import { isCompositeKey, newCompositeKey, partRanges, type ComposedPart, type PartManifests } from "./composite.ts";
import { readSequence } from "./part-sequence.ts";
import { BlobNotFoundError, type PutOptions, type ReadRange, type StorageProvider, type StoredBlob } from "./provider.ts";
import { openSealed, openSealedBuffer, SEALED_SEGMENT_BYTES, SealedBlobError, sealedSize, SealStream } from "./sealing/index.ts";

/** The data key of a part blob from the encryption its manifest row records; undefined for a plaintext part. */
export type PartKeyOf = (part: ComposedPart) => Promise<Buffer | undefined>;

/** Parts opened ahead of the one read, on a filesystem (file descriptors are cheap, and an open file survives an unlink). */
const FS_PIN_WINDOW = 1024;
/** Part deletes in flight at once: thousands of parts on an object store must not take minutes. */
const DELETE_CONCURRENCY = 8;

export function tenantPrefix(customerId: string): string {
  if (!CUSTOMER_ID_RE.test(customerId)) throw new AppError("InvalidArgument", 400, "invalid customer id");
  return `tenant-${customerId}/`;
}

/**
 * The one place tenant isolation of bytes is enforced: every key handed out is under the
 * tenant's prefix, and every key accepted must be, so no code path can reach another
 * tenant's bytes even with a corrupted metadata row.
 *
 * It also resolves composite keys (see composite.ts) through the part manifests: reading one
 * reads its parts in order (a range mapped across them), deleting one drops the manifest and
 * then the parts' bytes. So every reader and deleter of object bytes handles a multipart
 * object without knowing it is one. Each part key is held to the tenant's prefix too.
 */
export class TenantStorage {
  readonly prefix: string;
  readonly provider: StorageProvider;
  private readonly manifests: PartManifests | undefined;

  constructor(provider: StorageProvider, customerId: string, manifests?: PartManifests) {
    this.provider = provider;
    this.prefix = tenantPrefix(customerId);
    this.manifests = manifests;
  }

  /** Stores `body`, sealed under `dataKey` when given (the digests and size are of the plaintext). */
  put(body: Readable, opts: PutOptions, dataKey?: Buffer): Promise<StoredBlob> {
    return this.provider.put(this.prefix, body, dataKey ? { ...opts, transform: () => new SealStream(dataKey) } : opts);
  }

  /**
   * The plaintext of a blob (or `range` of it). `sealed`: the blob's data key and plaintext size
   * when it is sealed; a sealed blob that does not authenticate fails the stream (SealedBlobError).
   */
  get(storageKey: string, range?: ReadRange, sealed?: { dataKey: Buffer; size: number }): Promise<Readable> {
    const key = this.own(storageKey);
    if (isCompositeKey(key)) throw new Error("a composite key is read with partsOf and readParts");
    if (!sealed) return this.provider.get(key, range);
    // A segment per chunk, but never a chunk larger than what is read (a 4 KiB object must not cost a 256 KiB read buffer).
    const chunkBytes = (r: ReadRange | undefined) => Math.min(SEALED_SEGMENT_BYTES, r ? r.end - r.start + 1 : sealedSize(sealed.size));
    return openSealed((r) => this.provider.get(key, r, { chunkBytes: chunkBytes(r) }), sealed.dataKey, sealed.size, range);
  }

  /** Whether getWhole can read this blob in one go (a blob stored whole, on a store that reads so). */
  readsWhole(storageKey: string): boolean {
    return !isCompositeKey(storageKey) && this.provider.readWhole !== undefined;
  }

  /**
   * A small blob's plaintext in one read (undefined where the store reads only by stream).
   * `size`: the plaintext's recorded size. A sealed blob that does not authenticate throws
   * SealedBlobError, as its stream would fail.
   */
  async getWhole(storageKey: string, size: number, dataKey?: Buffer): Promise<Buffer | undefined> {
    const key = this.own(storageKey);
    if (!this.readsWhole(key) || !this.provider.readWhole) return undefined;
    const bytes = await this.provider.readWhole(key, dataKey ? sealedSize(size) : size);
    return dataKey ? openSealedBuffer(bytes, dataKey, size) : bytes;
  }

  delete(storageKey: string): Promise<void> {
    const key = this.own(storageKey);
    if (isCompositeKey(key)) return this.deleteComposite(key);
    return this.provider.delete(key);
  }

  /** A fresh composite key of this tenant, for a manifest the caller commits. */
  newCompositeKey(): string {
    return newCompositeKey(this.prefix);
  }

  /** A composite's parts (those overlapping `range`), in order; BlobNotFoundError when it has no manifest (any more). */
  async partsOf(compositeKey: string, range?: ReadRange): Promise<ComposedPart[]> {
    const key = this.own(compositeKey);
    if (!isCompositeKey(key) || !this.manifests) throw new BlobNotFoundError(key);
    const parts = await this.manifests.parts(key, range);
    if (parts.length === 0) throw new BlobNotFoundError(key);
    for (const p of parts) this.own(p.storageKey);
    return parts;
  }

  /** The bytes of `parts` (as partsOf returned them for `range`) in order, as one stream; sealed parts opened with `keyOf`. */
  readParts(parts: ComposedPart[], range: ReadRange | undefined, keyOf: PartKeyOf): Promise<Readable> {
    const opens = partRanges(parts, range).map(({ part, range: r }) => async () => {
      const dataKey = await keyOf(part);
      const stream = await this.get(part.storageKey, r, dataKey ? { dataKey, size: part.size } : undefined);
      // Registered before the sequence's own listener: the failure names its part by the time anyone sees it.
      stream.once("error", (err) => {
        if (err instanceof SealedBlobError) err.partNumber ??= part.partNumber;
      });
      return stream;
    });
    return readSequence(opens, this.provider.type === "fs" ? FS_PIN_WINDOW : 0);
  }

  /** Every blob key behind a storage key: the parts of a composite, or the key itself. */
  async blobKeys(storageKey: string): Promise<string[]> {
    const key = this.own(storageKey);
    return isCompositeKey(key) ? (await this.partsOf(key)).map((p) => p.storageKey) : [key];
  }

  private async deleteComposite(key: string): Promise<void> {
    if (!this.manifests) throw new Error("composite keys need the part manifests");
    // The manifest goes first: if a part's delete then fails, its bytes are a stray for the sweeper.
    const keys = await this.manifests.drop(key);
    let failure: unknown;
    let next = 0;
    const worker = async () => {
      while (next < keys.length) {
        const k = keys[next++]!;
        await this.provider.delete(this.own(k)).catch((err: unknown) => void (failure ??= err));
      }
    };
    await Promise.all(Array.from({ length: Math.min(DELETE_CONCURRENCY, keys.length) }, worker));
    if (failure !== undefined) throw failure;
  }

  private own(storageKey: string): string {
    const rest = storageKey.slice(this.prefix.length);
    if (!storageKey.startsWith(this.prefix) || rest.split("/").some((s) => s === "" || s === "." || s === "..")) {
      throw new AppError("AccessDenied", 403, "storage key outside the tenant's prefix");
    }
    return storageKey;
  }
}
