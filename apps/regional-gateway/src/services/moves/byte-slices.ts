import { Readable } from "node:stream";
import { AppError } from "@s3gw/core";

const incomplete = (message: string) => new AppError("MOVE_BODY_INCOMPLETE", 400, message);

/**
 * Reads one request body as consecutive pieces of known sizes: an object's framed metadata
 * (readExactly), then its bytes, or a multipart object's parts one after another (next). Each
 * piece from `next` is a stream of exactly its size, read to its end before the next is asked
 * for. A body shorter than the sizes fails the piece that runs out; `assertEnded` fails on any
 * byte past the last piece.
 */
export class ByteSlices {
  private readonly it: AsyncIterator<Buffer>;
  private rest: Buffer | undefined;

  constructor(body: Readable) {
    this.it = (body as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  }

  private async read(max: number): Promise<Buffer | undefined> {
    if (!this.rest || this.rest.length === 0) {
      const next = await this.it.next();
      if (next.done) return undefined;
      this.rest = Buffer.from(next.value);
    }
    const out = this.rest.subarray(0, max);
    this.rest = this.rest.subarray(out.length);
    return out;
  }

  /** The next `size` bytes in one buffer (small pieces only: the framed metadata). */
  async readExactly(size: number): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let left = size;
    while (left > 0) {
      const chunk = await this.read(left);
      if (!chunk) throw incomplete(`the body ended ${left} bytes early`);
      chunks.push(chunk);
      left -= chunk.length;
    }
    return Buffer.concat(chunks);
  }

  next(size: number): Readable {
    const self = this;
    return Readable.from(
      (async function* () {
        let left = size;
        while (left > 0) {
          const chunk = await self.read(left);
          if (!chunk) throw incomplete(`the body ended ${left} bytes before the end of a ${size}-byte piece`);
          left -= chunk.length;
          yield chunk;
        }
      })(),
      { objectMode: false },
    );
  }

  async assertEnded(): Promise<void> {
    if (await this.read(1)) throw incomplete("the body is longer than its parts");
  }

  /** Reads and discards the rest (bytes of a version already stored). */
  async drain(): Promise<void> {
    this.rest = undefined;
    for (;;) if ((await this.it.next()).done) return;
  }
}
