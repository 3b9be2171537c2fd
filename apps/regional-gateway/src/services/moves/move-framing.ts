import { Readable } from "node:stream";
import { AppError } from "@s3gw/core";
import type { ByteSlices } from "./byte-slices.ts";

/**
 * An object travels as one body: its metadata's length (10 decimal digits), the metadata (JSON,
 * what the signature covers) and its bytes (bound by the SHA-256 in the metadata). In the body
 * rather than a header: a multipart object's part list can be far larger than a header may be.
 */
const LENGTH_DIGITS = 10;
export const META_MAX_BYTES = 4 * 1024 * 1024;

export function framed(metaJson: string, bytes: Readable): Readable {
  const meta = Buffer.from(metaJson, "utf8");
  return Readable.from(
    (async function* () {
      yield Buffer.from(String(meta.length).padStart(LENGTH_DIGITS, "0"), "ascii");
      yield meta;
      for await (const chunk of bytes) yield chunk as Buffer;
    })(),
    { objectMode: false },
  );
}

/** The metadata's JSON text from the front of a framed body; the rest of `body` is then the bytes. */
export async function readFramedMeta(body: ByteSlices): Promise<string> {
  const digits = (await body.readExactly(LENGTH_DIGITS)).toString("ascii");
  if (!/^\d{10}$/.test(digits)) throw new AppError("MOVE_BODY_MALFORMED", 400, "the body must start with the metadata's length (10 digits)");
  const length = Number(digits);
  if (length === 0 || length > META_MAX_BYTES) throw new AppError("MOVE_BODY_MALFORMED", 400, `the metadata must be 1 to ${META_MAX_BYTES} bytes`);
  return (await body.readExactly(length)).toString("utf8");
}
