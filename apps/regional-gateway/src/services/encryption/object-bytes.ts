import type { Readable } from "node:stream";
import type { EncryptionDocument } from "@s3gw/schema-regional";
import { isCompositeKey, type ComposedPart, type ReadRange, type TenantStorage } from "@s3gw/storage";

/** The data key of a blob from its row's encryption (undefined: plaintext); see object-sealing.ts. */
export type BlobKeys = (customerId: string, encryption: EncryptionDocument | null) => Promise<Buffer | undefined>;

type StoredObject = { customerId: string; storageKey: string; sizeBytes: number; encryption: EncryptionDocument | null };

/**
 * The plaintext of an object's bytes (or `range` of them): a multipart object's parts in order,
 * each sealed blob opened with its own data key. `parts`: the manifest rows read (those the range
 * touches), for verifying what is read; undefined for an object stored whole.
 */
export async function objectBytes(tenant: TenantStorage, row: StoredObject, keys: BlobKeys, range?: ReadRange): Promise<{ body: Readable; parts: ComposedPart[] | undefined }> {
  if (!isCompositeKey(row.storageKey)) {
    const dataKey = await keys(row.customerId, row.encryption);
    return { body: await tenant.get(row.storageKey, range, dataKey && { dataKey, size: row.sizeBytes }), parts: undefined };
  }
  const parts = await tenant.partsOf(row.storageKey, range);
  return { body: await tenant.readParts(parts, range, (p) => keys(row.customerId, p.encryption as EncryptionDocument | null)), parts };
}

/**
 * A small object's whole plaintext in one read and one decryption, without streams, where the
 * store can read it so; undefined otherwise (a multipart object, an S3 store): read it by stream.
 */
export async function objectWhole(tenant: TenantStorage, row: StoredObject, keys: BlobKeys): Promise<Buffer | undefined> {
  // Asked first: a store that reads only by stream should not cost a data key's unwrapping here.
  if (!tenant.readsWhole(row.storageKey)) return undefined;
  const dataKey = await keys(row.customerId, row.encryption);
  return tenant.getWhole(row.storageKey, row.sizeBytes, dataKey);
}
