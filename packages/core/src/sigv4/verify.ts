import { timingSafeEqual } from "node:crypto";
import { NodeSha256 } from "./node-sha256.ts";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import { s3Error } from "../errors.ts";
import { ALGORITHM, canonicalPath, escapeUri, MAX_PRESIGN_SECONDS, parseClaim, parseQuery, UNSIGNED_PAYLOAD, type SigV4Claim } from "./parse.ts";
import { requestSignature } from "./signature.ts";
import type { AuthKind, HeaderText, IncomingS3Request, PayloadMode, SigV4Credentials, VerifiedRequest } from "./types.ts";

/** S3 allows this much clock difference for header-signed requests. */
export const MAX_SKEW_MS = 15 * 60 * 1000;
const CONTENT_SHA256 = "x-amz-content-sha256";

const STREAMING_MODES: Record<string, PayloadMode> = {
  "STREAMING-AWS4-HMAC-SHA256-PAYLOAD": "streaming-signed",
  "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER": "streaming-signed-trailer",
  "STREAMING-UNSIGNED-PAYLOAD-TRAILER": "streaming-unsigned-trailer",
};

/** The S3 flavour of SigV4: paths are signed as sent (S3 does not double-encode) and the payload hash comes from the request. */
export function s3Signer(credentials: SigV4Credentials, region: string): SignatureV4 {
  return new SignatureV4({
    service: "s3",
    region,
    credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey },
    sha256: NodeSha256,
    uriEscapePath: false,
    applyChecksum: false,
  });
}

/** Cheap parse for routing and key lookup, no verification. undefined if the request carries no SigV4 credentials. */
export function sigv4AccessKeyId(
  req: Pick<IncomingS3Request, "headers" | "rawQuery">,
): { accessKeyId: string; kind: AuthKind } | undefined {
  const claim = parseClaim(req);
  return claim && { accessKeyId: claim.accessKeyId, kind: claim.kind };
}

export async function verifySigV4(req: IncomingS3Request, credentials: SigV4Credentials, now: Date): Promise<VerifiedRequest> {
  const claim = parseClaim(req);
  if (!claim) throw s3Error("AccessDenied", "The request carries no AWS Signature Version 4 credentials.");
  if (claim.accessKeyId !== credentials.accessKeyId) throw s3Error("InvalidAccessKeyId");
  const expiresAt = checkTime(claim, now);
  const { payloadHash, payloadMode } = payloadOf(claim, req.headers);
  const headerText = await matchingHeaderText(req, claim, credentials, payloadHash);
  if (!headerText) throw s3Error("SignatureDoesNotMatch");
  assertAmzHeadersSigned(req.headers, claim.signedHeaders, parseQuery(req.rawQuery));
  const decodedLength = decodedLengthOf(req.headers);
  return {
    accessKeyId: claim.accessKeyId, kind: claim.kind, region: claim.region, signingDate: claim.signingDate,
    signature: claim.signature, payloadHash, payloadMode,
    signedHeaders: claim.signedHeaders, headerText,
    ...(expiresAt && { expiresAt }), ...(decodedLength !== undefined && { decodedLength }),
  };
}

/**
 * Signed means exactly what was signed: an `x-amz-*` header the signature does not cover
 * (an added `x-amz-copy-source`, `x-amz-meta-*`, `x-amz-bypass-governance-retention`, ...)
 * would change what the request does. AWS refuses such requests; so do we. A header is
 * covered when it is a signed header, or when the signer hoisted it into the (signed) query
 * string with the same value, as presigners do.
 */
export function assertAmzHeadersSigned(headers: Record<string, string>, signedHeaders: readonly string[], signedQuery: Record<string, string | string[]> = {}): void {
  const signed = new Set(signedHeaders);
  const hoisted = new Map(Object.entries(signedQuery).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v.join(",") : v]));
  const unsigned = Object.keys(headers).filter((name) => name.startsWith("x-amz-") && !signed.has(name) && hoisted.get(name) !== headers[name]).sort();
  if (unsigned.length > 0) throw s3Error("AccessDenied", `There were headers present in the request which were not signed: ${unsigned.join(", ")}`);
}

const NON_ASCII = /[^\x00-\x7f]/;

/**
 * Node hands header values over as latin1 (one char per wire byte). Clients differ in what
 * they put on the wire for a non-ASCII value they signed as Unicode: Node's and Python's HTTP
 * clients send latin1 bytes, curl and others send UTF-8. The signature decides which reading
 * the client meant; the handlers then read header text the same way (`headerText`).
 */
async function matchingHeaderText(req: IncomingS3Request, claim: SigV4Claim, credentials: SigV4Credentials, payloadHash: string): Promise<HeaderText | undefined> {
  const readings: HeaderText[] = claim.signedHeaders.some((name) => NON_ASCII.test(req.headers[name] ?? "")) ? ["latin1", "utf8"] : ["latin1"];
  for (const reading of readings) {
    const expected = claim.kind === "header"
      ? headerSignature(req, claim, credentials, payloadHash, reading)
      : presignedSignature(req, claim, credentials, reading);
    if (sameSignature(expected, claim.signature)) return reading;
  }
  return undefined;
}

/** A header value as text: as received (latin1), or its bytes decoded as UTF-8 (invalid UTF-8 is kept as latin1). */
export function headerTextValue(value: string, reading: HeaderText): string {
  if (reading === "latin1" || !NON_ASCII.test(value)) return value;
  const bytes = Buffer.from(value, "latin1");
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return value;
  }
}

/** Both hex, both 32 bytes once parsed; the comparison itself must not leak how much of a guess was right. */
export function sameSignature(a: string, b: string): boolean {
  const x = Buffer.from(a, "hex");
  const y = Buffer.from(b, "hex");
  return x.length === 32 && y.length === 32 && timingSafeEqual(x, y);
}

function checkTime(claim: SigV4Claim, now: Date): Date | undefined {
  const at = claim.signingDate.getTime();
  const times = `RequestTime: ${claim.signingDate.toISOString()}, ServerTime: ${now.toISOString()}`;
  if (claim.kind === "header") {
    if (Math.abs(now.getTime() - at) > MAX_SKEW_MS) {
      throw s3Error("RequestTimeTooSkewed", `The difference between the request time and the current time is too large (${times}, MaxAllowedSkewMilliseconds: ${MAX_SKEW_MS}).`);
    }
    return undefined;
  }
  const expiresAt = new Date(at + claim.expiresSeconds! * 1000);
  // A URL valid for zero seconds is expired by the time anyone can send it.
  if (claim.expiresSeconds === 0 || now.getTime() > expiresAt.getTime()) {
    throw s3Error("AccessDenied", `Request has expired (X-Amz-Expires: ${claim.expiresSeconds}, Expires: ${expiresAt.toISOString()}, ServerTime: ${now.toISOString()}).`);
  }
  if (at - now.getTime() > MAX_SKEW_MS) throw s3Error("AccessDenied", `Request is not valid yet (${times}).`);
  return expiresAt;
}

function payloadOf(claim: SigV4Claim, headers: Record<string, string>): { payloadHash: string; payloadMode: PayloadMode } {
  const declared = headers[CONTENT_SHA256];
  if (claim.kind === "presigned") {
    // A presigned URL cannot know the body; only a header the signer chose to sign can pin it.
    const payloadHash = claim.signedHeaders.includes(CONTENT_SHA256) && declared !== undefined ? declared : UNSIGNED_PAYLOAD;
    if (payloadHash !== UNSIGNED_PAYLOAD && !/^[0-9a-fA-F]{64}$/.test(payloadHash)) {
      throw s3Error("InvalidRequest", "A presigned request cannot carry an aws-chunked body.");
    }
    return { payloadHash, payloadMode: "plain" };
  }
  if (declared === undefined) throw s3Error("InvalidRequest", "Missing required header for this request: x-amz-content-sha256");
  const streaming = STREAMING_MODES[declared];
  if (streaming) return { payloadHash: declared, payloadMode: streaming };
  if (declared.startsWith("STREAMING-AWS4-ECDSA-P256-SHA256")) {
    throw s3Error("NotImplemented", "Signature Version 4A (ECDSA) streaming uploads are not supported.");
  }
  if (declared !== UNSIGNED_PAYLOAD && !/^[0-9a-fA-F]{64}$/.test(declared)) {
    throw s3Error("InvalidArgument", "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, STREAMING-UNSIGNED-PAYLOAD-TRAILER or a valid sha256 value.");
  }
  return { payloadHash: declared, payloadMode: "plain" };
}

function decodedLengthOf(headers: Record<string, string>): number | undefined {
  const value = headers["x-amz-decoded-content-length"];
  if (value === undefined) return undefined;
  if (!/^\d{1,15}$/.test(value.trim())) throw s3Error("InvalidArgument", `x-amz-decoded-content-length must be a byte count, not "${value}".`);
  return Number(value.trim());
}

/** Exactly the headers the client listed: the signature covers what the client signed and nothing else. */
function signedHeaderValues(req: IncomingS3Request, claim: SigV4Claim, reading: HeaderText): Record<string, string> {
  const headers: Record<string, string> = Object.create(null);
  for (const name of claim.signedHeaders) headers[name] = headerTextValue(req.headers[name] ?? "", reading);
  return headers;
}

/** What every signature computation of a request shares: method, canonical path, query without the signature. */
function signatureBase(req: IncomingS3Request, claim: SigV4Claim, credentials: SigV4Credentials, headers: Record<string, string>, payloadHash: string) {
  const query = parseQuery(req.rawQuery);
  delete query["X-Amz-Signature"];
  return {
    method: req.method.toUpperCase(), path: canonicalPath(req.rawPath), query, headers, payloadHash,
    amzDate: claim.amzDate, scopeDate: claim.scopeDate, region: claim.region, secretAccessKey: credentials.secretAccessKey,
    signingKeys: credentials.signingKeys,
  };
}

function headerSignature(req: IncomingS3Request, claim: SigV4Claim, credentials: SigV4Credentials, payloadHash: string, reading: HeaderText): string {
  return requestSignature(signatureBase(req, claim, credentials, signedHeaderValues(req, claim, reading), payloadHash));
}

/**
 * A presigned request signs its X-Amz-* query parameters in their canonical form: the
 * algorithm, credential and date as parsed, X-Amz-Expires as a number, X-Amz-SignedHeaders
 * sorted (as AWS's and smithy's presigners write them). The payload is UNSIGNED-PAYLOAD unless
 * the client signed x-amz-content-sha256.
 */
function presignedSignature(req: IncomingS3Request, claim: SigV4Claim, credentials: SigV4Credentials, reading: HeaderText): string {
  const headers = signedHeaderValues(req, claim, reading);
  const payloadHash = claim.signedHeaders.includes(CONTENT_SHA256) ? headers[CONTENT_SHA256]! : UNSIGNED_PAYLOAD;
  const base = signatureBase(req, claim, credentials, headers, payloadHash);
  base.query["X-Amz-Algorithm"] = ALGORITHM;
  base.query["X-Amz-Credential"] = `${claim.accessKeyId}/${claim.scopeDate}/${claim.region}/s3/aws4_request`;
  base.query["X-Amz-Date"] = claim.amzDate;
  base.query["X-Amz-Expires"] = String(claim.expiresSeconds);
  base.query["X-Amz-SignedHeaders"] = Object.keys(headers).sort().join(";");
  return requestSignature(base);
}

/** Presigning for the gateway's own /api/presign: a URL for host/path with X-Amz-* query params. */
export async function presignUrl(opts: {
  method: "GET" | "PUT"; protocol: "http:" | "https:"; host: string; rawPath: string;
  credentials: SigV4Credentials; region: string; expiresInSeconds: number; now: Date;
}): Promise<string> {
  if (!Number.isInteger(opts.expiresInSeconds) || opts.expiresInSeconds < 1 || opts.expiresInSeconds > MAX_PRESIGN_SECONDS) {
    throw s3Error("InvalidArgument", `A presigned URL must expire within 1 to ${MAX_PRESIGN_SECONDS} seconds.`);
  }
  const path = canonicalPath(opts.rawPath);
  const request = new HttpRequest({
    method: opts.method,
    protocol: opts.protocol,
    hostname: opts.host.replace(/:\d+$/, ""),
    path,
    headers: { host: opts.host, [CONTENT_SHA256]: UNSIGNED_PAYLOAD },
  });
  const signed = await s3Signer(opts.credentials, opts.region).presign(request, {
    signingDate: new Date(Math.floor(opts.now.getTime() / 1000) * 1000),
    expiresIn: opts.expiresInSeconds,
    unsignableHeaders: new Set([CONTENT_SHA256]),
    unhoistableHeaders: new Set([CONTENT_SHA256]),
  });
  const query = Object.entries(signed.query ?? {}).map(([k, v]) => `${escapeUri(k)}=${escapeUri(String(v))}`).join("&");
  return `${opts.protocol}//${opts.host}${path}?${query}`;
}
