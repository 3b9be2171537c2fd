import { s3Error } from "./errors.ts";

export interface ByteRange { start: number; end: number } // inclusive

/**
 * Parses a Range header against an object size. Returns undefined when the whole object
 * should be sent: no header, a header S3 ignores (multiple ranges, other units, syntax it
 * does not understand). Throws InvalidRange when the single range is unsatisfiable.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return undefined;
  const [, a = "", b = ""] = m;
  if (a === "" && b === "") return undefined;
  let start: number;
  let end: number;
  if (a === "") {
    const suffix = Number(b);
    if (suffix === 0) throw unsatisfiable(size);
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(a);
    end = b === "" ? size - 1 : Math.min(Number(b), size - 1);
    if (b !== "" && Number(b) < start) return undefined;
  }
  if (start >= size || size === 0) throw unsatisfiable(size);
  return { start, end };
}

function unsatisfiable(size: number) {
  return s3Error("InvalidRange", undefined, { headers: { "Content-Range": `bytes */${size}` } });
}
