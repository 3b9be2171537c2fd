import { PassThrough, type Readable } from "node:stream";
import { SealedBlobError, type ComposedPart } from "@s3gw/storage";
import type { DamagedSegment } from "./integrity-digests.ts";
import { damagedObjectError, reportDamage, type ReadDeps } from "./integrity-read.ts";
import type { Candidate } from "./integrity.ts";

/**
 * Reads of sealed objects. Their segments authenticate as they are opened (AES-GCM under each
 * blob's own key), so a failure is known at the damaged segment, possibly before any byte
 * could be sent. It is an integrity failure like a hash mismatch: recorded (naming the part of
 * a multipart object) and alerted before the client sees it.
 */

/** The damaged part a sealed read named, as integrity events describe it. */
function damagedPart(err: SealedBlobError, parts: ComposedPart[] | undefined): DamagedSegment | undefined {
  const part = err.partNumber === undefined ? undefined : parts?.find((p) => p.partNumber === err.partNumber);
  return part && { partNumber: part.partNumber, expectedSha256: part.sha256Hex, actualSha256: null };
}

/** A sealed blob that did not authenticate: recorded as damage (and alerted); the error to answer with. */
export async function failRead(deps: ReadDeps, obj: Candidate, err: SealedBlobError, parts: ComposedPart[] | undefined): Promise<Error> {
  await reportDamage(deps, obj, "hash_mismatch", null, damagedPart(err, parts));
  return damagedObjectError(obj.objectKey, "hash_mismatch");
}

/** Reads a small object whole before the first byte is sent: damage is a clean 503. */
export async function readAuthenticated(deps: ReadDeps, obj: Candidate, body: Readable, parts?: ComposedPart[]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of body) chunks.push(chunk as Buffer);
  } catch (err) {
    if (!(err instanceof SealedBlobError)) throw err;
    throw await failRead(deps, obj, err, parts);
  }
  return Buffer.concat(chunks);
}

/** How long, at most, a failure waits for the response head to be written (the adapter reads a chunk or two first, with a timer between). */
const HEAD_WAIT_MS = 1000;
const HEAD_POLL_MS = 5;

/**
 * A large object's stream, started: resolves once its first bytes authenticated (a blob damaged
 * at its start is then a clean 503). Damage found later cuts the response short of its
 * Content-Length, once its head is out (`headSent`): failing earlier would have the HTTP
 * adapter answer its own 500 instead.
 */
export async function openAuthenticated(deps: ReadDeps, obj: Candidate, body: Readable, parts: ComposedPart[] | undefined, headSent: () => boolean): Promise<Readable> {
  const out = new PassThrough({ highWaterMark: 256 * 1024 });
  const cut = async (err: Error) => {
    for (let waited = 0; waited < HEAD_WAIT_MS && !headSent() && !out.destroyed; waited += HEAD_POLL_MS) await new Promise((r) => setTimeout(r, HEAD_POLL_MS));
    out.destroy(err);
  };
  body.once("error", (err) => {
    void (err instanceof SealedBlobError ? failRead(deps, obj, err, parts) : Promise.resolve(err)).then(cut);
  });
  out.once("close", () => body.destroy());
  body.pipe(out);
  await new Promise<void>((resolve, reject) => {
    const settle = (err?: Error) => {
      out.off("readable", ready).off("end", ready).off("error", settle);
      if (err) reject(err);
      else resolve();
    };
    const ready = () => settle();
    out.once("readable", ready).once("end", ready).once("error", settle);
  });
  return out;
}
