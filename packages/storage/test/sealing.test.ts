import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import {
  openSealed,
  openSealedBuffer,
  SEALED_SEGMENT_BYTES,
  SealedBlobError,
  sealedSize,
  SealStream,
  SEGMENT_BYTES,
} from "../src/index.ts";

async function collect(stream: Readable): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of stream) out.push(c as Buffer);
  return Buffer.concat(out);
}

/** Seals `plain` fed in chunks of `chunk` bytes (the chunking a socket would give). */
async function seal(key: Buffer, plain: Buffer, chunk = 10_000): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for (let i = 0; i < plain.length; i += chunk) pieces.push(plain.subarray(i, i + chunk));
  return collect(Readable.from(pieces).pipe(new SealStream(key)));
}

/** Opens `range` of a sealed blob held in memory, as a provider would serve it (ranges inclusive). */
function open(key: Buffer, sealed: Buffer, size: number, range?: { start: number; end: number }, chunk = 7_777): Promise<Buffer> {
  const read = async (r: { start: number; end: number } | undefined) => {
    const bytes = r ? sealed.subarray(r.start, r.end + 1) : sealed;
    const pieces: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += chunk) pieces.push(bytes.subarray(i, i + chunk));
    return Readable.from(pieces);
  };
  return openSealed(read, key, size, range).then(collect);
}

describe("segmented AES-256-GCM sealing", () => {
  const key = randomBytes(32);

  it.each([0, 1, 4096, SEGMENT_BYTES - 1, SEGMENT_BYTES, SEGMENT_BYTES + 1, 3 * SEGMENT_BYTES, 3 * SEGMENT_BYTES + 17])("round-trips %i bytes, and the sealed form is not the plaintext", async (size) => {
    const plain = randomBytes(size);
    const sealed = await seal(key, plain);
    expect(sealed.length).toBe(sealedSize(size));
    if (size >= 16) expect(sealed.includes(plain.subarray(0, 16))).toBe(false);
    expect((await open(key, sealed, size)).equals(plain)).toBe(true);
  });

  it("serves ranges inside, across and at the edges of segments, reading only their segments", async () => {
    const size = 4 * SEGMENT_BYTES + 1234;
    const plain = randomBytes(size);
    const sealed = await seal(key, plain, 65_000);
    const ranges = [
      [0, 0], [0, SEGMENT_BYTES - 1], [SEGMENT_BYTES - 1, SEGMENT_BYTES], [SEGMENT_BYTES, SEGMENT_BYTES],
      [100, 3 * SEGMENT_BYTES + 5], [size - 1, size - 1], [4 * SEGMENT_BYTES, size - 1], [2 * SEGMENT_BYTES - 10, 2 * SEGMENT_BYTES + 10],
    ] as const;
    for (const [start, end] of ranges) {
      const got = await open(key, sealed, size, { start, end });
      expect(got.equals(plain.subarray(start, end + 1)), `${start}-${end}`).toBe(true);
    }
  });

  it("detects one flipped bit in any segment, including a tag", async () => {
    const size = 2 * SEGMENT_BYTES + 100;
    const plain = randomBytes(size);
    const sealed = await seal(key, plain);
    for (const at of [0, 5000, SEALED_SEGMENT_BYTES - 1, SEALED_SEGMENT_BYTES + 3, sealed.length - 1]) {
      const bad = Buffer.from(sealed);
      bad[at]! ^= 0x01;
      await expect(open(key, bad, size), `bit at ${at}`).rejects.toBeInstanceOf(SealedBlobError);
    }
  });

  it("detects swapped segments, a truncation at a segment boundary, a cut tail and an extension", async () => {
    const size = 3 * SEGMENT_BYTES;
    const plain = randomBytes(size);
    const sealed = await seal(key, plain);
    const seg = (i: number) => sealed.subarray(i * SEALED_SEGMENT_BYTES, (i + 1) * SEALED_SEGMENT_BYTES);
    const swapped = Buffer.concat([seg(1), seg(0), seg(2)]);
    await expect(open(key, swapped, size)).rejects.toBeInstanceOf(SealedBlobError);
    // Two whole segments, presented as a blob of two segments: the second is not marked final.
    const cut = sealed.subarray(0, 2 * SEALED_SEGMENT_BYTES);
    await expect(open(key, cut, 2 * SEGMENT_BYTES)).rejects.toBeInstanceOf(SealedBlobError);
    await expect(open(key, cut, size)).rejects.toBeInstanceOf(SealedBlobError);
    await expect(open(key, sealed.subarray(0, sealed.length - 1), size)).rejects.toBeInstanceOf(SealedBlobError);
    await expect(open(key, Buffer.concat([sealed, Buffer.alloc(1)]), size)).rejects.toBeInstanceOf(SealedBlobError);
  });

  it("refuses the wrong data key, and a segment of another blob sealed under the same index", async () => {
    const plain = randomBytes(1000);
    const sealed = await seal(key, plain);
    await expect(open(randomBytes(32), sealed, 1000)).rejects.toBeInstanceOf(SealedBlobError);
    const other = await seal(randomBytes(32), randomBytes(1000));
    await expect(open(key, other, 1000)).rejects.toBeInstanceOf(SealedBlobError);
  });

  it("never releases plaintext of a segment that fails its tag", async () => {
    const plain = Buffer.alloc(2 * SEGMENT_BYTES, 0x41);
    const sealed = await seal(key, plain);
    sealed[SEALED_SEGMENT_BYTES + 10]! ^= 0x80;
    const read = async () => Readable.from([sealed]);
    const stream = await openSealed(read, key, plain.length);
    const got: Buffer[] = [];
    await expect((async () => { for await (const c of stream) got.push(c as Buffer); })()).rejects.toBeInstanceOf(SealedBlobError);
    expect(Buffer.concat(got).length).toBeLessThanOrEqual(SEGMENT_BYTES);
  });

  it("reads nothing of a sealed blob until it is read itself (parts opened ahead buffer nothing)", async () => {
    const plain = randomBytes(3 * SEGMENT_BYTES);
    const sealed = await seal(key, plain);
    let pulled = 0;
    const source = new Readable({
      read() {
        this.push(pulled++ === 0 ? sealed : null);
      },
    });
    const stream = await openSealed(async () => source, key, plain.length);
    await new Promise((r) => setTimeout(r, 50));
    expect(pulled).toBe(0);
    expect((await collect(stream)).equals(plain)).toBe(true);
    // Destroyed before it was read (a client gone), it closes its source (an open file) too.
    const file = Readable.from([sealed]);
    const unread = await openSealed(async () => file, key, plain.length);
    unread.destroy();
    expect(file.destroyed).toBe(true);
  });
});

describe("openSealedBuffer (a small blob read whole, opened without a stream)", () => {
  const key = randomBytes(32);

  it.each([0, 1, 4096, SEGMENT_BYTES, SEGMENT_BYTES + 1, 2 * SEGMENT_BYTES + 5])("opens %i bytes exactly as the stream does", async (size) => {
    const plain = randomBytes(size);
    const sealed = await seal(key, plain);
    expect(openSealedBuffer(sealed, key, size).equals(plain)).toBe(true);
    expect(openSealedBuffer(sealed, key, size).equals(await open(key, sealed, size))).toBe(true);
  });

  it("refuses a flipped bit, swapped segments, a truncation, an extension and another key", async () => {
    const size = 2 * SEGMENT_BYTES + 5;
    const sealed = await seal(key, randomBytes(size));
    const flipped = Buffer.from(sealed);
    flipped[100]! ^= 1;
    const swapped = Buffer.concat([sealed.subarray(SEALED_SEGMENT_BYTES, 2 * SEALED_SEGMENT_BYTES), sealed.subarray(0, SEALED_SEGMENT_BYTES), sealed.subarray(2 * SEALED_SEGMENT_BYTES)]);
    // Cut at a segment boundary, recorded size adjusted: the last segment read is not marked final.
    expect(() => openSealedBuffer(sealed.subarray(0, 2 * SEALED_SEGMENT_BYTES), key, 2 * SEGMENT_BYTES)).toThrow(SealedBlobError);
    expect(() => openSealedBuffer(flipped, key, size)).toThrow(SealedBlobError);
    expect(() => openSealedBuffer(swapped, key, size)).toThrow(SealedBlobError);
    expect(() => openSealedBuffer(sealed.subarray(0, sealed.length - 1), key, size)).toThrow(/shorter/);
    expect(() => openSealedBuffer(Buffer.concat([sealed, Buffer.alloc(1)]), key, size)).toThrow(/longer/);
    expect(() => openSealedBuffer(sealed, randomBytes(32), size)).toThrow(SealedBlobError);
  });
});
