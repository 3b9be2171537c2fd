import { createHash } from "node:crypto";
import { pipeline } from "node:stream/promises";
import { compositeSha256, type TenantStorage } from "@s3gw/storage";
import type { Deps } from "../../env.ts";
import type { ObjectRow } from "../objects/objects.ts";
import { recordManifest, type ManifestEntry } from "../objects/multipart-manifest.ts";
import type { MoveContext } from "./storage-migration-object.ts";

/** Reads a copy back from the destination itself (not the bytes we sent) and compares its SHA-256. */
export async function verifyStored(dest: TenantStorage, key: string, expected: string): Promise<void> {
  const stored = createHash("sha256");
  await pipeline(await dest.get(key), stored);
  const digest = stored.digest("hex");
  if (digest !== expected) throw new Error(`SHA-256 on the destination is ${digest}, expected ${expected}`);
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
    const blob = await dest.put(await source.get(part.storageKey), { expectedSize: part.size });
    const entry: ManifestEntry = { partNumber: part.partNumber, storageKey: blob.storageKey, size: blob.size, md5Hex: blob.md5Hex, sha256Hex: blob.sha256Hex };
    await recordManifest(deps.db, destKey, { customerId: row.customerId, providerId: ctx.toTarget }, [entry], deps.clock.now(), part.offset);
    await verifyStored(dest, blob.storageKey, part.sha256Hex);
  }
}
