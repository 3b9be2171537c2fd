import { createDecipheriv, createSecretKey, type KeyObject } from "node:crypto";
import { pipeline, Transform, type Readable, type TransformCallback } from "node:stream";
import type { ReadRange } from "../provider.ts";
import { DATA_KEY_BYTES, SEALED_SEGMENT_BYTES, SEGMENT_BYTES, sealedSize, sealedSpan, segmentAad, segmentCount, segmentNonce, TAG_BYTES, type SealedSpan } from "./segments.ts";

/**
 * A sealed blob that does not authenticate: a bit flipped, segments moved, cut short or
 * extended, or opened with the wrong key. Integrity checks count it as a mismatch.
 */
export class SealedBlobError extends Error {
  /** The part of a multipart object it was read as, when it was one. */
  partNumber: number | undefined;

  constructor(message: string) {
    super(message);
    this.name = "SealedBlobError";
  }
}

/**
 * Sealed segments in (from `span.cipherRange` of a blob of `plainSize` bytes), the plaintext of
 * `span` out. A segment's plaintext is released only after its tag verifies, so no byte of a
 * tampered segment ever reaches a client.
 */
export class OpenStream extends Transform {
  private readonly key: KeyObject;
  private readonly lastSegment: number;
  private readonly plainSize: number;
  private index: number;
  private skip: number;
  private remaining: number;
  private segmentsLeft: number;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private source: Readable | undefined;

  /**
   * `source`: the sealed bytes, read only once this stream is read (a part opened ahead of its
   * turn holds its file open but reads nothing, so a 10,000-part object does not buffer ahead).
   */
  constructor(dataKey: Buffer, plainSize: number, span: SealedSpan, source?: Readable) {
    super({ highWaterMark: 256 * 1024 });
    if (dataKey.length !== DATA_KEY_BYTES) throw new Error("a data key is 32 bytes");
    this.key = createSecretKey(dataKey);
    this.plainSize = plainSize;
    this.lastSegment = segmentCount(plainSize) - 1;
    this.index = span.firstSegment;
    this.skip = span.skip;
    this.remaining = span.length;
    this.segmentsLeft = span.segments;
    this.source = source;
  }

  override _read(size: number): void {
    const source = this.source;
    this.source = undefined;
    if (source) pipeline(source, this, () => {});
    super._read(size);
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    this.source?.destroy();
    this.source = undefined;
    done(err);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    try {
      // Every segment this chunk completes goes out as one buffer (a source read in sealed-segment
      // chunks, as TenantStorage asks the filesystem for, completes exactly one).
      const opened: Buffer[] = [];
      for (let need = this.sealedBytesOf(this.index); this.segmentsLeft > 0 && this.pendingBytes >= need; need = this.sealedBytesOf(this.index)) {
        const plain = this.openSegment(need);
        if (plain.length > 0) opened.push(plain);
      }
      if (this.segmentsLeft === 0 && this.pendingBytes > 0) throw new SealedBlobError("sealed blob is longer than its recorded size");
      done(null, opened.length === 0 ? undefined : opened.length === 1 ? opened[0] : Buffer.concat(opened));
    } catch (err) {
      done(err as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    done(this.segmentsLeft > 0 ? new SealedBlobError("sealed blob is shorter than its recorded size") : null);
  }

  private sealedBytesOf(index: number): number {
    if (index < this.lastSegment) return SEALED_SEGMENT_BYTES;
    return this.plainSize - this.lastSegment * SEGMENT_BYTES + TAG_BYTES;
  }

  /** Authenticates and decrypts the next segment; returns the part of its plaintext in the span. */
  private openSegment(sealedBytes: number): Buffer {
    const body = this.takePending(sealedBytes);
    const decipher = createDecipheriv("aes-256-gcm", this.key, segmentNonce(this.index), { authTagLength: TAG_BYTES });
    decipher.setAAD(segmentAad(this.index, this.index === this.lastSegment));
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    const plain = decipher.update(body.subarray(0, body.length - TAG_BYTES));
    try {
      decipher.final(); // GCM has no final block: this only checks the tag
    } catch {
      throw new SealedBlobError(`segment ${this.index} of a sealed blob does not authenticate`);
    }
    this.index++;
    this.segmentsLeft--;
    const start = this.skip;
    this.skip = 0;
    const end = Math.min(plain.length, start + this.remaining);
    this.remaining -= end - start;
    return start === 0 && end === plain.length ? plain : plain.subarray(start, end);
  }

  /** The first `bytes` pending bytes as one buffer (copied only when they span chunks). */
  private takePending(bytes: number): Buffer {
    this.pendingBytes -= bytes;
    const head = this.pending[0]!;
    if (head.length === bytes) return this.pending.shift()!;
    if (head.length > bytes) {
      this.pending[0] = head.subarray(bytes);
      return head.subarray(0, bytes);
    }
    const out = Buffer.allocUnsafe(bytes);
    let at = 0;
    while (at < bytes) {
      const chunk = this.pending[0]!;
      const n = Math.min(chunk.length, bytes - at);
      chunk.copy(out, at, 0, n);
      at += n;
      if (n === chunk.length) this.pending.shift();
      else this.pending[0] = chunk.subarray(n);
    }
    return out;
  }
}

/** The plaintext of `range` of a sealed blob, reading only the segments it needs through `read`. */
export async function openSealed(read: (range: ReadRange | undefined) => Promise<Readable>, dataKey: Buffer, plainSize: number, range?: ReadRange): Promise<Readable> {
  const span = sealedSpan(plainSize, range);
  return new OpenStream(dataKey, plainSize, span, await read(range ? span.cipherRange : undefined));
}

/**
 * A whole sealed blob already in memory (a small object read in one go), opened without a
 * stream: the same checks as OpenStream — each segment's tag, and a blob longer or shorter than
 * its recorded size is a SealedBlobError.
 */
export function openSealedBuffer(sealed: Buffer, dataKey: Buffer, plainSize: number): Buffer {
  if (dataKey.length !== DATA_KEY_BYTES) throw new Error("a data key is 32 bytes");
  const expected = sealedSize(plainSize);
  if (sealed.length !== expected) throw new SealedBlobError(`sealed blob is ${sealed.length < expected ? "shorter" : "longer"} than its recorded size`);
  const key = createSecretKey(dataKey);
  const segments = segmentCount(plainSize);
  const plain = segments === 1 ? undefined : Buffer.allocUnsafe(plainSize);
  for (let index = 0, at = 0; index < segments; index++) {
    const end = Math.min(at + SEALED_SEGMENT_BYTES, sealed.length);
    const decipher = createDecipheriv("aes-256-gcm", key, segmentNonce(index), { authTagLength: TAG_BYTES });
    decipher.setAAD(segmentAad(index, index === segments - 1));
    decipher.setAuthTag(sealed.subarray(end - TAG_BYTES, end));
    const opened = decipher.update(sealed.subarray(at, end - TAG_BYTES));
    try {
      decipher.final();
    } catch {
      throw new SealedBlobError(`segment ${index} of a sealed blob does not authenticate`);
    }
    if (!plain) return opened;
    opened.copy(plain, index * SEGMENT_BYTES);
    at = end;
  }
  return plain!;
}
