import { headerTextValue, s3Error, unstorableTextReason, type HeaderText } from "@s3gw/core";
import { renderEtag, type ObjectRow } from "../../services/objects/objects.ts";
import { httpDate } from "./xml-response.ts";

/** Headers S3 stores with an object and returns on GET/HEAD. */
const STORED_HEADERS = ["cache-control", "content-disposition", "content-encoding", "content-language", "expires"] as const;
const MAX_USER_METADATA_BYTES = 2048;

/**
 * The object headers of a write. Non-ASCII values are read the way the signature matched them
 * (see headerTextValue); without a signature (trusted-header mode) as UTF-8 when they are.
 */
export function readObjectHeaders(headers: Headers, reading: HeaderText = "utf8") {
  const userMetadata: Record<string, string> = {};
  let metaBytes = 0;
  headers.forEach((raw, name) => {
    if (!name.startsWith("x-amz-meta-")) return;
    const key = name.slice("x-amz-meta-".length);
    const value = headerTextValue(raw, reading);
    const reason = unstorableTextReason(value);
    if (reason) throw s3Error("InvalidArgument", `The value of ${name} ${reason}`);
    userMetadata[key] = value;
    metaBytes += Buffer.byteLength(key) + Buffer.byteLength(value);
  });
  if (metaBytes > MAX_USER_METADATA_BYTES) throw s3Error("MetadataTooLarge");
  const systemMetadata: Record<string, string> = {};
  for (const h of STORED_HEADERS) {
    const v = h === "content-encoding" ? storedContentEncoding(headers.get(h)) : headers.get(h);
    if (v !== null) systemMetadata[h] = v;
  }
  return { contentType: headers.get("content-type") || "binary/octet-stream", userMetadata, systemMetadata };
}

/**
 * `aws-chunked` describes the request's framing (decoded before storage), not the object: S3
 * drops it from the stored Content-Encoding and keeps any real coding (`gzip, aws-chunked` → `gzip`).
 */
function storedContentEncoding(value: string | null): string | null {
  if (value === null) return null;
  const codings = value.split(",").map((s) => s.trim()).filter((s) => s !== "" && s.toLowerCase() !== "aws-chunked");
  return codings.length === 0 ? null : codings.join(", ");
}

export function parseContentMd5(value: string | undefined): Buffer | undefined {
  if (value === undefined) return undefined;
  const digest = Buffer.from(value, "base64");
  if (digest.length !== 16 || digest.toString("base64") !== value.trim()) throw s3Error("InvalidDigest");
  return digest;
}

export function parseContentLength(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,16}$/.test(value)) throw s3Error("InvalidArgument", "Invalid Content-Length");
  return Number(value);
}

export function objectResponseHeaders(row: ObjectRow): Record<string, string> {
  const h: Record<string, string> = {
    "content-type": row.contentType,
    etag: renderEtag(row),
    "last-modified": httpDate(row.lastModified),
    "accept-ranges": "bytes",
  };
  // Checksums are answered only when asked for (x-amz-checksum-mode, see checksumHeaders).
  for (const [k, v] of Object.entries(row.systemMetadata)) if (!k.startsWith("x-amz-checksum-")) h[k] = v;
  for (const [k, v] of Object.entries(row.userMetadata)) h[`x-amz-meta-${k}`] = mailSafe(v);
  const tagCount = Object.keys(row.tags).length;
  if (tagCount > 0) h["x-amz-tagging-count"] = String(tagCount);
  return h;
}

/**
 * The object's checksum as S3 answers it under `x-amz-checksum-mode: ENABLED`: the flexible
 * checksum it was written with (a stored header: a PutObject's CRC or SHA-1, or a multipart
 * upload's COMPOSITE or FULL_OBJECT one) with its type, else its SHA-256. Only one: clients
 * check what they get against the body. A COMPOSITE stored on an object that is not multipart
 * (a copy, its stored headers copied) describes parts it does not have, and is left out.
 */
export function checksumHeaders(row: ObjectRow): Record<string, string> {
  const own = { "x-amz-checksum-sha256": sha256Checksum(row.sha256), "x-amz-checksum-type": row.sha256.includes("-") ? "COMPOSITE" : "FULL_OBJECT" };
  const stored = Object.entries(row.systemMetadata).filter(([k]) => k.startsWith("x-amz-checksum-"));
  const type = stored.find(([k]) => k === "x-amz-checksum-type")?.[1] ?? "FULL_OBJECT";
  if (!stored.some(([k]) => k !== "x-amz-checksum-type") || (!row.partsCount && type === "COMPOSITE")) return own;
  return { ...Object.fromEntries(stored), "x-amz-checksum-type": type };
}

/**
 * Base64 of the stored SHA-256. A multipart object's is the composite of its parts' (`<hex>-N`,
 * see object-parts.ts) and keeps its `-N`, as S3 renders a COMPOSITE checksum: SDKs know not
 * to compare that with a digest of the whole body.
 */
function sha256Checksum(sha256: string): string {
  const [hex, parts] = sha256.split("-");
  const b64 = Buffer.from(hex!, "hex").toString("base64");
  return parts === undefined ? b64 : `${b64}-${parts}`;
}

/** Non-ASCII metadata goes out RFC 2047-encoded, as S3 returns it (header values are bytes, not Unicode). */
function mailSafe(value: string): string {
  // eslint-disable-next-line no-control-regex
  return /^[\x20-\x7e\t]*$/.test(value) ? value : `=?UTF-8?B?${Buffer.from(value, "utf8").toString("base64")}?=`;
}
