import { createHash } from "node:crypto";
import { Readable } from "node:stream";

/**
 * A deterministic pseudo-random byte stream of `size` bytes, generated chunk by chunk (never
 * held in memory), with its SHA-256 available once fully read.
 */
export function generatedBody(size: number, seed = 1): { stream: Readable; sha256: () => string } {
  const hash = createHash("sha256");
  let remaining = size;
  let state = seed >>> 0 || 1;
  const chunkSize = 1 << 20;
  const stream = new Readable({
    read() {
      if (remaining === 0) {
        this.push(null);
        return;
      }
      const n = Math.min(chunkSize, remaining);
      const chunk = Buffer.allocUnsafe(n);
      for (let i = 0; i + 4 <= n; i += 4) {
        state ^= state << 13;
        state ^= state >>> 17;
        state ^= state << 5;
        chunk.writeUInt32LE(state >>> 0, i);
      }
      for (let i = n - (n % 4); i < n; i++) chunk[i] = i & 0xff;
      remaining -= n;
      hash.update(chunk);
      this.push(chunk);
    },
  });
  let digest: string | undefined;
  return { stream, sha256: () => (digest ??= hash.digest("hex")) };
}

/** SHA-256 and length of a web stream, consumed incrementally. */
export async function hashStream(body: ReadableStream<Uint8Array>): Promise<{ sha256: string; size: number }> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { sha256: hash.digest("hex"), size };
}
