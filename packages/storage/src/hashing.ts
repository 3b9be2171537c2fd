import { createHash } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import { s3Error } from "@s3gw/core";

/** Counts and hashes bytes in flight; refuses bodies longer than allowed before they land. */
export class HashingCounter extends Transform {
  readonly md5 = createHash("md5");
  readonly sha256 = createHash("sha256");
  size = 0;
  private readonly limit: number;
  private readonly declared: number | undefined;

  constructor(opts: { expectedSize?: number; maxSize?: number }) {
    super();
    this.declared = opts.expectedSize;
    this.limit = Math.min(opts.expectedSize ?? Infinity, opts.maxSize ?? Infinity);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.limit) {
      done(this.declared !== undefined && this.size > this.declared
        ? s3Error("InvalidRequest", "The request body is longer than its Content-Length")
        : s3Error("EntityTooLarge"));
      return;
    }
    this.md5.update(chunk);
    this.sha256.update(chunk);
    done(null, chunk);
  }

  /** Digests after the stream ended; verifies the declared length and Content-MD5. */
  finish(contentMd5: Buffer | undefined): { md5Hex: string; sha256Hex: string } {
    if (this.declared !== undefined && this.size !== this.declared) throw s3Error("IncompleteBody");
    const md5 = this.md5.digest();
    if (contentMd5 && !md5.equals(contentMd5)) throw s3Error("BadDigest");
    return { md5Hex: md5.toString("hex"), sha256Hex: this.sha256.digest("hex") };
  }
}
