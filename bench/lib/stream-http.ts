// Large bodies over plain node:http (no fetch: it would send a streamed body chunked, and adds
// its own buffering): a PUT of pattern bytes with a Content-Length, a GET hashed as it arrives.
import { createHash, randomBytes } from "node:crypto";
import { request } from "node:http";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

const TIMEOUT_MS = 600_000;
const CHUNK = 1024 * 1024;

/**
 * `size` bytes made of one random MiB with each chunk's index stamped into its first 8 bytes
 * (no two chunks alike), so the client spends no CPU making bytes while a transfer is timed;
 * the SHA-256 is computed beforehand, outside any timing.
 */
export class PatternBody {
  readonly size: number;
  private readonly base = randomBytes(CHUNK);
  private digest: string | undefined;

  constructor(size: number) {
    this.size = size;
  }

  private chunk(i: number): Buffer {
    const c = Buffer.from(this.base);
    c.writeBigUInt64LE(BigInt(i), 0);
    return c.subarray(0, Math.min(CHUNK, this.size - i * CHUNK));
  }

  /** Bytes [start, end) of the body; both multiples of 1 MiB (or end = size): one multipart part. */
  stream(start = 0, end = this.size): Readable {
    if (start % CHUNK || (end % CHUNK && end !== this.size)) throw new Error("a part must start and end on a MiB boundary");
    const count = Math.ceil(end / CHUNK);
    let i = start / CHUNK;
    const next = (): Buffer | null => (i < count ? this.chunk(i++) : null);
    return new Readable({ read() { this.push(next()); } });
  }

  sha256(): string {
    if (this.digest) return this.digest;
    const h = createHash("sha256");
    for (let i = 0; i * CHUNK < this.size; i++) h.update(this.chunk(i));
    return (this.digest = h.digest("hex"));
  }
}

export interface Answer { status: number; headers: Record<string, string | string[] | undefined>; text: string; ms: number }

/** Sends `body` (a Buffer, or bytes [start, end) of a PatternBody, streamed) and reads the whole answer. */
export function send(url: string, method: string, body: Buffer | { pattern: PatternBody; start: number; end: number } | undefined): Promise<Answer> {
  const t = performance.now();
  const length = body === undefined ? 0 : Buffer.isBuffer(body) ? body.length : body.end - body.start;
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: { "content-length": String(length) }, timeout: TIMEOUT_MS }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", reject);
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString("utf8"), ms: performance.now() - t }));
    });
    req.on("timeout", () => req.destroy(new Error(`${method} timed out after ${TIMEOUT_MS / 1000} s`)));
    req.on("error", reject);
    if (body && !Buffer.isBuffer(body)) pipeline(body.pattern.stream(body.start, body.end), req).catch(reject);
    else req.end(body);
  });
}

/** GETs a body, hashing it as it streams; never holds it. */
export function fetchHashed(url: string): Promise<{ status: number; size: number; sha256: string; ms: number; text: string }> {
  const t = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "GET", timeout: TIMEOUT_MS }, (res) => {
      const hash = createHash("sha256");
      let size = 0;
      let head = "";
      res.on("data", (c: Buffer) => {
        hash.update(c);
        size += c.length;
        if (head.length < 500) head += c.subarray(0, 500).toString("utf8");
      });
      res.on("error", reject);
      res.on("end", () => resolve({ status: res.statusCode ?? 0, size, sha256: hash.digest("hex"), ms: performance.now() - t, text: head }));
    });
    req.on("timeout", () => req.destroy(new Error(`GET timed out after ${TIMEOUT_MS / 1000} s`)));
    req.on("error", reject);
    req.end();
  });
}
