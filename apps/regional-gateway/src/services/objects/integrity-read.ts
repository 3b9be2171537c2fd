import { createHash } from "node:crypto";
import { Readable, Transform, type TransformCallback } from "node:stream";
import { s3Error, type AppError } from "@s3gw/core";
import type { Logger } from "pino";
import type { Clock, RegionalDb } from "../../env.ts";
import { recordIntegrityFailure, type Candidate } from "./integrity.ts";

type Deps = { db: RegionalDb; clock: Clock; logger: Logger };

/**
 * What a client gets for an object whose bytes failed verification before any was sent: 503
 * ServiceUnavailable. The request was fine and the object exists, so a 4xx would blame the
 * client and a NoSuchKey would lie; 500 would say "our bug". 503 says what is true: the
 * region cannot serve this object now, operators are alerted (critical event), and a retry
 * may work once the bytes are restored. SDKs retry it a few times, then surface it.
 */
export function damagedObjectError(key: string, reason: "hash_mismatch" | "missing_data"): AppError {
  const what = reason === "missing_data" ? "are missing" : "failed integrity verification (SHA-256 mismatch)";
  return s3Error("ServiceUnavailable", `The stored bytes of this object ${what}; the region's operators have been alerted.`, {
    resource: key,
    headers: { "retry-after": "60" },
  });
}

/** Records the failure; a database that is down too must not hide the error the client gets. */
export async function reportDamage(deps: Deps, obj: Candidate, reason: "hash_mismatch" | "missing_data", actual: string | null): Promise<void> {
  try {
    await recordIntegrityFailure(deps, obj, reason, actual, "read");
  } catch (err) {
    deps.logger.error({ err: (err as Error).message, objectId: obj.objectId }, "could not record an integrity failure");
  }
  deps.logger.error({ objectId: obj.objectId, bucket: obj.bucketName, reason }, "integrity failure on read");
}

/** Reads a small object whole and checks it before the first byte is sent. */
export async function readVerified(deps: Deps, obj: Candidate, body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  const bytes = Buffer.concat(chunks);
  const actual = createHash("sha256").update(bytes).digest("hex");
  if (actual !== obj.sha256 || bytes.length !== obj.sizeBytes) {
    await reportDamage(deps, obj, "hash_mismatch", actual);
    throw damagedObjectError(obj.objectKey, "hash_mismatch");
  }
  return bytes;
}

/**
 * Passes a large object's bytes through while hashing them, always holding back the last
 * chunk read. Only when the source has ended and the hash matches is that chunk released;
 * on a mismatch the stream fails instead, so the response ends short of its Content-Length
 * and the client sees a failed transfer, never a complete 200 of damaged bytes.
 */
export class VerifyingStream extends Transform {
  private readonly hash = createHash("sha256");
  private held: Buffer | undefined;
  private size = 0;
  private readonly deps: Deps;
  private readonly obj: Candidate;

  constructor(deps: Deps, obj: Candidate) {
    super();
    this.deps = deps;
    this.obj = obj;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    const out = this.held;
    this.held = chunk;
    done(null, out);
  }

  override _flush(done: TransformCallback): void {
    const actual = this.hash.digest("hex");
    if (actual === this.obj.sha256 && this.size === this.obj.sizeBytes) {
      done(null, this.held);
      return;
    }
    void reportDamage(this.deps, this.obj, "hash_mismatch", actual).finally(() => done(damagedObjectError(this.obj.objectKey, "hash_mismatch")));
  }
}
