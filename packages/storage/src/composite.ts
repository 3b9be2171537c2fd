import { createHash, randomUUID } from "node:crypto";
import type { ReadRange } from "./provider.ts";

/**
 * A composite key names bytes made of other blobs (a multipart object's parts, read in
 * order). Its shape (`tenant-<id>/parts/<uuid>`) is one no provider ever writes or accepts,
 * so a composite key can never be mistaken for, or reach a provider as, a blob of its own.
 */
const COMPOSITE_RE = /^tenant-[a-z0-9][a-z0-9-]*\/parts\/[0-9a-f-]{36}$/;

export function isCompositeKey(storageKey: string): boolean {
  return COMPOSITE_RE.test(storageKey);
}

/** A fresh composite key under a tenant prefix (`tenant-<id>/`). */
export function newCompositeKey(prefix: string): string {
  return `${prefix}parts/${randomUUID()}`;
}

/** One blob of a composite: where it sits in the whole, and the digests it was stored with. */
export interface ComposedPart {
  partNumber: number;
  storageKey: string;
  /** Byte offset of the part in the whole. */
  offset: number;
  size: number;
  md5Hex: string;
  sha256Hex: string;
  /** How the part's blob is encrypted, as its manifest row records it (opaque here; null: plaintext). */
  encryption: unknown;
}

/**
 * Where composite keys are resolved (the gateway's part manifests). Storage only reads
 * manifests and drops them on delete; writing one is the committing transaction's business.
 */
export interface PartManifests {
  /** The parts of a composite in order, only those overlapping `range` when given; none when there is no such manifest. */
  parts(compositeKey: string, range?: ReadRange): Promise<ComposedPart[]>;
  /** Removes the manifest and returns its parts' keys, whose bytes the caller then deletes. */
  drop(compositeKey: string): Promise<string[]>;
}

/** The ranges to read of each part for `range` of the whole (every part whole without one). */
export function partRanges(parts: ComposedPart[], range: ReadRange | undefined): { part: ComposedPart; range: ReadRange | undefined }[] {
  if (!range) return parts.map((part) => ({ part, range: undefined }));
  const out: { part: ComposedPart; range: ReadRange | undefined }[] = [];
  for (const part of parts) {
    const start = Math.max(range.start, part.offset);
    const end = Math.min(range.end, part.offset + part.size - 1);
    if (start > end) continue;
    // A range covering the whole part reads it plainly (providers serve a whole blob most cheaply).
    out.push({ part, range: start === part.offset && end === part.offset + part.size - 1 ? undefined : { start: start - part.offset, end: end - part.offset } });
  }
  return out;
}

/** S3's composite checksum: SHA-256 of the parts' binary SHA-256s in order, marked `-<N>`; stored hex. */
export function compositeSha256(parts: { sha256Hex: string }[]): string {
  const hash = createHash("sha256");
  for (const p of parts) hash.update(Buffer.from(p.sha256Hex, "hex"));
  return `${hash.digest("hex")}-${parts.length}`;
}
