import { createHash } from "node:crypto";
import { pipeline } from "node:stream/promises";
import type { EncryptionDocument } from "@s3gw/schema-regional";
import { compositeSha256, sealedSize, type TenantStorage } from "@s3gw/storage";
import type { Deps } from "../../env.ts";
import type { ObjectRow } from "../objects/objects.ts";
import { blobKeyOf } from "../encryption/object-sealing.ts";
import { recordManifest, type ManifestEntry } from "../objects/multipart-manifest.ts";
import type { MoveContext } from "./storage-migration-object.ts";

/** Reads a copy back from the destination itself (not the bytes we sent) and compares its SHA-256 (of the plaintext, when `sealed`). */
async function verifyStored(dest: TenantStorage, key: string, expected: string, sealed?: { dataKey: Buffer; size: number }): Promise<void> {
  const stored = createHash("sha256");
  await pipeline(await dest.get(key, undefined, sealed), stored);
  const digest = stored.digest("hex");
  if (digest !== expected) throw new Error(`SHA-256 on the destination is ${digest}, expected ${expected}`);
}

/** One blob as its row records it: where, how large (plaintext), its SHA-256 and its encryption. */
export interface RecordedBlob { storageKey: string; size: number; sha256: string; encryption: EncryptionDocument | null }

/**
 * Copies one blob to the destination and verifies it there; returns the copy's key. A sealed
 * blob is opened and sealed again under its own data key: the bytes never leave the gateway in
 * plaintext, the copy is the same ciphertext, and the row's wrapped key stays valid. An SSE-C
 * blob cannot be opened without its customer's key: its sealed bytes are copied as they are and
 * compared byte for byte.
 */
export async function copyBlob(
  deps: Pick<Deps, "keys">,
  customerId: string,
  source: TenantStorage,
  dest: TenantStorage,
  blob: RecordedBlob,
  /** Journals the copy's key once its bytes landed, before they are verified (so a failure can discard them). */
  landed: (storageKey: string) => Promise<void>,
): Promise<string> {
  if (blob.encryption?.mode === "SSE-C") {
    const copy = await dest.put(await source.get(blob.storageKey), { expectedSize: sealedSize(blob.size) });
    await landed(copy.storageKey);
    await verifyStored(dest, copy.storageKey, copy.sha256Hex);
    return copy.storageKey;
  }
  const dataKey = await blobKeyOf(deps, customerId, blob.encryption, undefined);
  const sealed = dataKey && { dataKey, size: blob.size };
  const copy = await dest.put(await source.get(blob.storageKey, undefined, sealed), { expectedSize: blob.size }, dataKey);
  await landed(copy.storageKey);
  await verifyStored(dest, copy.storageKey, blob.sha256, sealed);
  return copy.storageKey;
}

/**
 * Copies a multipart object part by part into a new manifest on the destination, keeping each
 * part's digests (so the object's composite SHA-256 and ETag stay what they were). Each part
 * is added to the copy's manifest as soon as its bytes land, before it is verified: discarding
 * the copy (on a failure here, or after a crash, by the journal item's dest key) finds them all.
 */
export async function copyParts(deps: Deps, ctx: MoveContext, row: ObjectRow, source: TenantStorage, dest: TenantStorage, destKey: string): Promise<void> {
  const parts = await source.partsOf(row.storageKey);
  if (compositeSha256(parts) !== row.sha256) throw new Error(`the part manifest does not match the object's SHA-256 ${row.sha256}`);
  for (const part of parts) {
    const encryption = part.encryption as EncryptionDocument | null;
    await copyBlob(deps, row.customerId, source, dest, { storageKey: part.storageKey, size: part.size, sha256: part.sha256Hex, encryption }, async (key) => {
      const entry: ManifestEntry = { partNumber: part.partNumber, storageKey: key, size: part.size, md5Hex: part.md5Hex, sha256Hex: part.sha256Hex, encryption };
      await recordManifest(deps.db, destKey, { customerId: row.customerId, providerId: ctx.toTarget }, [entry], deps.clock.now(), part.offset);
    });
  }
}
