import { parseRange, s3Error } from "@s3gw/core";
import type { Context } from "hono";
import type { AppEnv } from "../../env.ts";
import { partOfObject } from "../../services/objects/object-part-read.ts";
import type { ObjectRow } from "../../services/objects/objects.ts";
import { checksumHeaders } from "./object-headers.ts";

/** GET/HEAD query parameters that replace a response header (S3's response-* overrides). */
const OVERRIDES = {
  "response-content-type": "content-type",
  "response-content-language": "content-language",
  "response-expires": "expires",
  "response-cache-control": "cache-control",
  "response-content-disposition": "content-disposition",
  "response-content-encoding": "content-encoding",
} as const;
const MAX_OVERRIDE_LENGTH = 8192;
const MAX_PART_NUMBER = 10_000;

/**
 * The response-* overrides of a GET or HEAD, as headers. Each value goes into a header as sent,
 * so it must be printable ASCII (a CR/LF would split the response; anything else is not a
 * header byte). As on S3, an anonymous request may not set them.
 */
export function responseOverrides(c: Context<AppEnv>): Record<string, string> {
  const query = c.get("s3Target").query;
  const headers: Record<string, string> = {};
  for (const [param, header] of Object.entries(OVERRIDES)) {
    const values = query.getAll(param);
    if (values.length === 0) continue;
    if (values.length > 1) throw s3Error("InvalidArgument", `${param} may be given once`);
    const value = values[0]!;
    // eslint-disable-next-line no-control-regex
    if (value.length > MAX_OVERRIDE_LENGTH || !/^[\x20-\x7e\t]*$/.test(value)) throw s3Error("InvalidArgument", `${param} must be printable ASCII of at most ${MAX_OVERRIDE_LENGTH} characters`);
    headers[header] = value;
  }
  if (Object.keys(headers).length > 0 && isAnonymous(c)) {
    throw s3Error("InvalidRequest", "Request specific response headers cannot be used for anonymous GET requests.");
  }
  return headers;
}

/** Neither signed (SigV4 header or query) nor identified by the operator's trusted header. */
function isAnonymous(c: Context<AppEnv>): boolean {
  return c.get("s3Auth") === undefined && c.req.header("x-customer-id") === undefined;
}

/** The object's checksums, as S3 answers them: only to a request with `x-amz-checksum-mode: ENABLED`, and only for the whole object. */
function storedChecksums(c: Context<AppEnv>, row: ObjectRow): Record<string, string> {
  return c.req.header("x-amz-checksum-mode")?.toUpperCase() === "ENABLED" ? checksumHeaders(row) : {};
}

/** What a GET/HEAD reads: all of the object, a Range, or one part (`partNumber`), and the headers that go with it. */
export interface ReadPlan {
  range: { start: number; end: number } | undefined;
  headers: Record<string, string>;
}

function partNumberOf(c: Context<AppEnv>): number | undefined {
  const values = c.get("s3Target").query.getAll("partNumber");
  if (values.length === 0) return undefined;
  const raw = values[0]!;
  if (values.length > 1 || !/^\d{1,5}$/.test(raw) || Number(raw) < 1 || Number(raw) > MAX_PART_NUMBER) {
    throw s3Error("InvalidArgument", `Part number must be an integer between 1 and ${MAX_PART_NUMBER}, inclusive`, { resource: "partNumber" });
  }
  if (c.req.header("range") !== undefined) throw s3Error("InvalidRequest", "Cannot specify both Range header and partNumber query parameter");
  return Number(raw);
}

/**
 * The bytes a GET/HEAD of `row` reads. With `partNumber`, a multipart object's n-th part (as
 * a 206 range of the whole, with `x-amz-mp-parts-count`); an object uploaded whole has one
 * part, itself. A part the object does not have is InvalidPart.
 */
export async function planRead(c: Context<AppEnv>, row: ObjectRow): Promise<ReadPlan> {
  const partNumber = partNumberOf(c);
  if (partNumber === undefined) {
    const range = parseRange(c.req.header("range"), row.sizeBytes);
    return { range, headers: range ? {} : storedChecksums(c, row) };
  }
  const part = await partOfObject(c.get("deps").db, row, partNumber);
  // 400 InvalidPart, as the conformance suite (ceph/s3-tests, not marked as failing on AWS) expects.
  if (!part) throw s3Error("InvalidPart", `The object has no part ${partNumber}`, { headers: { "content-range": `bytes */${row.sizeBytes}` } });
  // A part read answers with the part's own ETag, as S3 does (the whole object's for an object uploaded whole).
  const headers: Record<string, string> = row.partsCount ? { "x-amz-mp-parts-count": String(row.partsCount), etag: `"${part.etag}"` } : {};
  return { range: part.size === 0 ? undefined : { start: part.offset, end: part.offset + part.size - 1 }, headers };
}
