import { randomBytes } from "node:crypto";
import { mkdtemp, rm, unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BlobNotFoundError, compositeSha256, FsProvider, isCompositeKey, partRanges, TenantStorage, type ComposedPart, type PartManifests, type ReadRange } from "../src/index.ts";

const location = { providerId: "test-fs", regionId: "FI-HEL", country: "FI" };
let root: string;
let provider: FsProvider;

/** The manifests a composite key resolves through: here a map, in the gateway the object_parts table. */
class MapManifests implements PartManifests {
  readonly map = new Map<string, ComposedPart[]>();
  async parts(key: string, range?: ReadRange): Promise<ComposedPart[]> {
    const all = this.map.get(key) ?? [];
    return range ? all.filter((p) => p.offset <= range.end && p.offset + p.size > range.start) : all;
  }
  async drop(key: string): Promise<string[]> {
    const all = this.map.get(key) ?? [];
    this.map.delete(key);
    return all.map((p) => p.storageKey);
  }
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "s3gw-composite-"));
  provider = new FsProvider(root, location);
  await provider.init();
});
afterEach(() => rm(root, { recursive: true, force: true }));

/** A composite's plaintext parts, in order (as the gateway reads an object stored before encryption at rest). */
async function readComposite(t: TenantStorage, key: string, range?: { start: number; end: number }): Promise<Readable> {
  return t.readParts(await t.partsOf(key, range), range, async () => undefined);
}

async function composite(t: TenantStorage, manifests: MapManifests, bodies: Buffer[]): Promise<{ key: string; parts: ComposedPart[] }> {
  const parts: ComposedPart[] = [];
  let offset = 0;
  for (const [i, body] of bodies.entries()) {
    const blob = await t.put(Readable.from([body]), { expectedSize: body.length });
    parts.push({ partNumber: i + 1, storageKey: blob.storageKey, offset, size: blob.size, md5Hex: blob.md5Hex, sha256Hex: blob.sha256Hex, encryption: null });
    offset += blob.size;
  }
  const key = t.newCompositeKey();
  manifests.map.set(key, parts);
  return { key, parts };
}

describe("composite keys", () => {
  it("read as their parts in order, whole and by any range across part boundaries", async () => {
    const manifests = new MapManifests();
    const t = new TenantStorage(provider, "acme-corp", manifests);
    const bodies = [randomBytes(300_000), Buffer.alloc(0), randomBytes(1), randomBytes(700_001)];
    const whole = Buffer.concat(bodies);
    const { key } = await composite(t, manifests, bodies);
    expect(isCompositeKey(key)).toBe(true);
    expect(key).toMatch(/^tenant-acme-corp\/parts\//);
    expect((await buffer(await readComposite(t, key))).equals(whole)).toBe(true);
    for (const [start, end] of [[0, 0], [299_999, 300_000], [300_000, 300_000], [299_990, 300_010], [5, whole.length - 1], [whole.length - 1, whole.length - 1]] as const) {
      expect((await buffer(await readComposite(t, key, { start, end }))).equals(whole.subarray(start, end + 1)), `${start}-${end}`).toBe(true);
    }
  });

  it("maps a range to the parts it touches, reading whole parts plainly", () => {
    const parts = [0, 10, 20].map((offset, i) => ({ partNumber: i + 1, storageKey: `k${i}`, offset, size: 10, md5Hex: "", sha256Hex: "", encryption: null }));
    expect(partRanges(parts, { start: 5, end: 24 }).map((p) => [p.part.storageKey, p.range])).toEqual([["k0", { start: 5, end: 9 }], ["k1", undefined], ["k2", { start: 0, end: 4 }]]);
    expect(partRanges(parts, undefined).map((p) => p.range)).toEqual([undefined, undefined, undefined]);
  });

  it("fails before the first byte when a part is missing, and when the manifest is gone", async () => {
    const manifests = new MapManifests();
    const t = new TenantStorage(provider, "acme-corp", manifests);
    const { key, parts } = await composite(t, manifests, [randomBytes(1000), randomBytes(1000), randomBytes(1000)]);
    await unlink(join(root, parts[2]!.storageKey));
    await expect(readComposite(t, key)).rejects.toBeInstanceOf(BlobNotFoundError);
    manifests.map.delete(key);
    await expect(readComposite(t, key)).rejects.toBeInstanceOf(BlobNotFoundError);
    await expect(readComposite(new TenantStorage(provider, "acme-corp"), key)).rejects.toBeInstanceOf(BlobNotFoundError);
  });

  it("deletes the manifest, then every part's bytes; refuses parts outside the tenant", async () => {
    const manifests = new MapManifests();
    const t = new TenantStorage(provider, "acme-corp", manifests);
    const { key, parts } = await composite(t, manifests, [randomBytes(10), randomBytes(10)]);
    expect(await t.blobKeys(key)).toEqual(parts.map((p) => p.storageKey));
    await t.delete(key);
    expect(manifests.map.has(key)).toBe(false);
    for (const p of parts) await expect(t.get(p.storageKey)).rejects.toBeInstanceOf(BlobNotFoundError);

    // A manifest naming another tenant's blob is refused, never read.
    const other = new TenantStorage(provider, "globex", manifests);
    const foreign = await composite(t, manifests, [randomBytes(10)]);
    const globexKey = other.newCompositeKey();
    manifests.map.set(globexKey, foreign.parts);
    await expect(readComposite(other, globexKey)).rejects.toThrow(/outside the tenant/);
  });

  it("renders S3's composite SHA-256", () => {
    const d = (c: string) => ({ sha256Hex: c.repeat(64) });
    expect(compositeSha256([d("a"), d("b")])).toMatch(/^[0-9a-f]{64}-2$/);
  });
});
