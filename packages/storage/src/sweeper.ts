import type { StorageProvider } from "./provider.ts";

/**
 * Removes bytes no metadata row points at: left by a crash between writing bytes and
 * committing metadata, or between committing an overwrite and deleting what it replaced.
 * Only blobs older than the grace period are touched, so in-flight writes are safe.
 */
export async function sweepStrays(
  provider: StorageProvider,
  referenced: (storageKeys: string[]) => Promise<Set<string>>,
  graceMs: number,
  now: Date,
): Promise<{ strays: number; incomplete: number }> {
  const cutoff = new Date(now.getTime() - graceMs);
  let strays = 0;
  let batch: string[] = [];
  const flush = async () => {
    const known = await referenced(batch);
    for (const key of batch) {
      if (!known.has(key)) {
        await provider.delete(key);
        strays++;
      }
    }
    batch = [];
  };
  for await (const blob of provider.list("")) {
    if (blob.modifiedAt >= cutoff) continue;
    batch.push(blob.storageKey);
    if (batch.length >= 500) await flush();
  }
  if (batch.length) await flush();
  const incomplete = await provider.sweepIncomplete(cutoff);
  return { strays, incomplete };
}
