import { createCipheriv, createSecretKey, type KeyObject } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import { DATA_KEY_BYTES, SEGMENT_BYTES, segmentAad, segmentNonce } from "./segments.ts";

/**
 * Plaintext in, sealed segments out (see segments.ts). A full segment is sealed only once a
 * byte after it arrives (or the stream ends), because its additional data says whether it is
 * the last. Chunks are held by reference, not copied, until their segment is sealed.
 */
export class SealStream extends Transform {
  private readonly key: KeyObject;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private index = 0;

  constructor(dataKey: Buffer) {
    super({ highWaterMark: 256 * 1024 });
    if (dataKey.length !== DATA_KEY_BYTES) throw new Error("a data key is 32 bytes");
    // One key object for every segment: a raw key would be imported again for each (measured: a third slower).
    this.key = createSecretKey(dataKey);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    while (this.pendingBytes > SEGMENT_BYTES) this.sealSegment(SEGMENT_BYTES, false);
    done();
  }

  override _flush(done: TransformCallback): void {
    this.sealSegment(this.pendingBytes, true);
    done();
  }

  private sealSegment(bytes: number, final: boolean): void {
    const cipher = createCipheriv("aes-256-gcm", this.key, segmentNonce(this.index), { authTagLength: 16 });
    cipher.setAAD(segmentAad(this.index, final));
    // Pieces go out as they are (no copy into one buffer): what stores them writes them gathered.
    let left = bytes;
    while (left > 0) {
      const head = this.pending[0]!;
      if (head.length <= left) {
        this.push(cipher.update(head));
        this.pending.shift();
        left -= head.length;
      } else {
        this.push(cipher.update(head.subarray(0, left)));
        this.pending[0] = head.subarray(left);
        left = 0;
      }
    }
    cipher.final();
    this.push(cipher.getAuthTag());
    this.pendingBytes -= bytes;
    this.index++;
  }
}
