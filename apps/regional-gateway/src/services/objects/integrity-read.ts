import { Readable, Transform, type TransformCallback } from "node:stream";
import { s3Error, type AppError } from "@s3gw/core";
import type { ComposedPart } from "@s3gw/storage";
import type { Logger } from "pino";
import type { Clock, RegionalDb } from "../../env.ts";
import { ExpectedDigests, type DamagedSegment } from "./integrity-digests.ts";
import { recordIntegrityFailure, type Candidate } from "./integrity.ts";
import { readAuthenticated } from "./sealed-read.ts";

export type ReadDeps = { db: RegionalDb; clock: Clock; logger: Logger };
type Deps = ReadDeps;

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
export async function reportDamage(deps: Deps, obj: Candidate, reason: "hash_mismatch" | "missing_data", actual: string | null, part?: DamagedSegment): Promise<void> {
  try {
    await recordIntegrityFailure(deps, obj, reason, actual, "read", part);
  } catch (err) {
    deps.logger.error({ err: (err as Error).message, objectId: obj.objectId }, "could not record an integrity failure");
  }
  deps.logger.error({ objectId: obj.objectId, bucket: obj.bucketName, reason }, "integrity failure on read");
}

/**
 * Reads a small object whole and checks it before the first byte is sent. `parts`: the
 * manifest of a multipart object, whose parts are checked one by one (see ExpectedDigests).
 */
export async function readVerified(deps: Deps, obj: Candidate, body: Readable, parts?: ComposedPart[]): Promise<Buffer> {
  return verifyBytes(deps, obj, await readAuthenticated(deps, obj, body, parts), parts);
}

/** A plaintext object's bytes, read whole, checked against its recorded digests (damage: recorded, then a 503). */
export async function verifyBytes(deps: Deps, obj: Candidate, bytes: Buffer, parts?: ComposedPart[]): Promise<Buffer> {
  const digests = new ExpectedDigests(obj, parts);
  digests.update(bytes);
  const { ok, actual } = digests.end();
  if (!ok) {
    await reportDamage(deps, obj, "hash_mismatch", actual, digests.damaged);
    throw damagedObjectError(obj.objectKey, "hash_mismatch");
  }
  return bytes;
}

/**
 * Passes a large object's bytes through while hashing them, always holding back the last
 * chunk read. Only when the source has ended and the hash matches is that chunk released;
 * on a mismatch the stream fails instead, so the response ends short of its Content-Length
 * and the client sees a failed transfer, never a complete 200 of damaged bytes. A multipart
 * object (`parts`: its manifest) fails as soon as a damaged part has been read.
 */
export class VerifyingStream extends Transform {
  private readonly digests: ExpectedDigests;
  private held: Buffer | undefined;
  private failed = false;
  private readonly deps: Deps;
  private readonly obj: Candidate;

  constructor(deps: Deps, obj: Candidate, parts?: ComposedPart[]) {
    super({ highWaterMark: 256 * 1024 });
    this.deps = deps;
    this.obj = obj;
    this.digests = new ExpectedDigests(obj, parts);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.digests.update(chunk);
    if (this.digests.damaged) {
      this.fail(null, done);
      return;
    }
    const out = this.held;
    this.held = chunk;
    done(null, out);
  }

  override _flush(done: TransformCallback): void {
    const { ok, actual } = this.digests.end();
    if (ok) {
      done(null, this.held);
      return;
    }
    this.fail(actual, done);
  }

  private fail(actual: string | null, done: TransformCallback): void {
    if (this.failed) return;
    this.failed = true;
    void reportDamage(this.deps, this.obj, "hash_mismatch", actual, this.digests.damaged).finally(() => done(damagedObjectError(this.obj.objectKey, "hash_mismatch")));
  }
}

/**
 * The bytes of an opened object as a copy reads them, and whether what the copy stored is
 * what the source's record vouches for. A plain object's stored SHA-256 is compared with the
 * source's; a multipart object's parts are hashed on the way (its composite digest cannot be
 * compared with the copy's whole-body one).
 */
export function checkedCopySource(opened: { row: Candidate; body: Readable; parts: ComposedPart[] | undefined }): { body: Readable; intact: (stored: { sha256Hex: string; size: number }) => boolean } {
  const { row, body, parts } = opened;
  if (!parts) return { body, intact: (stored) => stored.sha256Hex === row.sha256 && stored.size === row.sizeBytes };
  const digests = new ExpectedDigests(row, parts);
  const hashing = new Transform({
    transform(chunk: Buffer, _enc, done) {
      digests.update(chunk);
      done(null, chunk);
    },
  });
  body.on("error", (err) => hashing.destroy(err));
  return { body: body.pipe(hashing), intact: () => digests.end().ok };
}
