import { Readable } from "node:stream";
import { AppError } from "@s3gw/core";

/**
 * Reads one stream as consecutive pieces of known sizes (a multipart object's parts sent as one
 * body): each piece is a stream of exactly its size, to be read to its end before the next is
 * asked for. A body shorter than the sizes fails the piece that runs out; `assertEnded` fails
 * on any byte past the last piece.
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

  next(size: number): Readable {
    const self = this;
    return Readable.from(
      (async function* () {
        let left = size;
        while (left > 0) {
          const chunk = await self.read(left);
          if (!chunk) throw new Error(`the body ended ${left} bytes before the end of a ${size}-byte part`);
          left -= chunk.length;
          yield chunk;
        }
      })(),
      { objectMode: false },
    );
  }

  async assertEnded(): Promise<void> {
    if (await this.read(1)) throw new AppError("MOVE_BODY_INCOMPLETE", 400, "the body is longer than its parts");
  }
}
