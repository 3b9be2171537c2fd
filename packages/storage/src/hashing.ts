import { Transform, type TransformCallback } from "node:stream";
import { s3Error } from "@s3gw/core";
import { InlineDigester, type Digester } from "./digest-workers.ts";

/**
 * Counts and hashes bytes in flight; refuses bodies longer than allowed before they land.
 * The hashing is the digester's (inline, or on worker threads for large bodies).
 */
export class HashingCounter extends Transform {
  size = 0;
  private readonly limit: number;
  private readonly declared: number | undefined;
  private readonly digester: Digester;

  constructor(opts: { expectedSize?: number; maxSize?: number }, digester: Digester = new InlineDigester()) {
    super({ highWaterMark: 256 * 1024 });
    this.declared = opts.expectedSize;
    this.limit = Math.min(opts.expectedSize ?? Infinity, opts.maxSize ?? Infinity);
    this.digester = digester;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.limit) {
      done(this.declared !== undefined && this.size > this.declared
        ? s3Error("InvalidRequest", "The request body is longer than its Content-Length")
        : s3Error("EntityTooLarge"));
      return;
    }
    const wait = this.digester.update(chunk);
    if (wait) wait.then(() => done(null, chunk), done);
    else done(null, chunk);
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    // A body that failed or was cut short frees its digest workers; a finished one keeps them for finish().
    if (err || !this.writableFinished) this.digester.abort();
    done(err);
  }

  /** Releases the digester when the write fails after the stream ended (finish() is then never called). */
  abort(): void {
    this.digester.abort();
  }

  /** Digests after the stream ended; verifies the declared length and Content-MD5. */
  async finish(contentMd5: Buffer | undefined): Promise<{ md5Hex: string; sha256Hex: string }> {
    if (this.declared !== undefined && this.size !== this.declared) {
      this.digester.abort();
      throw s3Error("IncompleteBody");
    }
    const { md5, sha256 } = await this.digester.digests();
    if (contentMd5 && !md5.equals(contentMd5)) throw s3Error("BadDigest");
    return { md5Hex: md5.toString("hex"), sha256Hex: sha256.toString("hex") };
  }
}
