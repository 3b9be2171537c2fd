import { createHash, type Hash } from "node:crypto";
import { compositeSha256, type ComposedPart } from "@s3gw/storage";

/** A stretch of the bytes with the SHA-256 it was stored with: the whole object, or one part of a multipart object. */
interface Segment { size: number; sha256: string; partNumber: number | undefined }

/** The first stretch found damaged, as a compliance event names it. */
/** `actualSha256` is null for a sealed part that failed to authenticate: its bytes never decrypted. */
export interface DamagedSegment { partNumber: number | undefined; expectedSha256: string; actualSha256: string | null }

/**
 * Hashes an object's bytes, in order, against what they were stored with. A plain object has
 * one SHA-256 over all of it. A multipart object (its manifest's parts given) has one per
 * part, checked as each part ends, so damage is known at the end of the broken part; the
 * whole is then its composite digest (`<hex>-N`), which must equal the object's recorded one.
 */
export class ExpectedDigests {
  private readonly segments: Segment[];
  private readonly composite: boolean;
  private readonly expectedSize: number;
  private readonly expectedSha256: string;
  private readonly actuals: string[] = [];
  private hash: Hash = createHash("sha256");
  private index = 0;
  private inSegment = 0;
  private total = 0;
  /** The first damaged part (or the whole), once known. */
  damaged: DamagedSegment | undefined;

  constructor(obj: { sizeBytes: number; sha256: string }, parts: Pick<ComposedPart, "size" | "sha256Hex" | "partNumber">[] | undefined) {
    this.expectedSize = obj.sizeBytes;
    this.expectedSha256 = obj.sha256;
    this.composite = parts !== undefined;
    // A plain object is one stretch of unbounded length: whatever is read is hashed, and its length compared at the end.
    this.segments = parts ? parts.map((p) => ({ size: p.size, sha256: p.sha256Hex, partNumber: p.partNumber })) : [{ size: Infinity, sha256: obj.sha256, partNumber: undefined }];
    this.closeFinished();
  }

  update(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      const segment = this.segments[this.index];
      if (!segment) {
        // More bytes than recorded: whatever they are, the object is not what was stored.
        this.total += chunk.length - at;
        this.damaged ??= { partNumber: undefined, expectedSha256: this.expectedSha256, actualSha256: "(longer than recorded)" };
        return;
      }
      const n = Math.min(segment.size - this.inSegment, chunk.length - at);
      this.hash.update(at === 0 && n === chunk.length ? chunk : chunk.subarray(at, at + n));
      this.inSegment += n;
      this.total += n;
      at += n;
      this.closeFinished();
    }
  }

  /** After the last byte: whether everything matched, and the digest of what was actually read (composite for a multipart object). */
  end(): { ok: boolean; actual: string } {
    const open = this.segments[this.index];
    if (open) {
      // The open stretch ends here: a plain object's only one, or a part cut short.
      const digest = this.hash.digest("hex");
      this.actuals.push(digest);
      if (digest !== open.sha256 || (open.size !== Infinity && this.inSegment !== open.size)) this.damaged ??= { partNumber: open.partNumber, expectedSha256: open.sha256, actualSha256: digest };
      this.index = this.segments.length;
    }
    const actual = this.composite ? compositeSha256(this.actuals.map((d) => ({ sha256Hex: d }))) : this.actuals[0]!;
    return { ok: this.total === this.expectedSize && !this.damaged && actual === this.expectedSha256, actual };
  }

  /** Closes every segment whose bytes are all in (zero-sized parts close at once). */
  private closeFinished(): void {
    while (this.index < this.segments.length && this.inSegment === this.segments[this.index]!.size) {
      const segment = this.segments[this.index]!;
      const digest = this.hash.digest("hex");
      this.actuals.push(digest);
      if (digest !== segment.sha256) this.damaged ??= { partNumber: segment.partNumber, expectedSha256: segment.sha256, actualSha256: digest };
      this.index++;
      this.inSegment = 0;
      this.hash = createHash("sha256");
    }
  }
}
