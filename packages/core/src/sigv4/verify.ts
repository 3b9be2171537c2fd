import { timingSafeEqual } from "node:crypto";
import { Sha256 } from "@aws-crypto/sha256-js";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import { s3Error } from "../errors.ts";
import { canonicalPath, escapeUri, MAX_PRESIGN_SECONDS, parseClaim, parseQuery, UNSIGNED_PAYLOAD, type SigV4Claim } from "./parse.ts";
import type { AuthKind, IncomingS3Request, PayloadMode, SigV4Credentials, VerifiedRequest } from "./types.ts";

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
    sha256: Sha256,
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
  const expected = claim.kind === "header"
    ? await headerSignature(req, claim, credentials, payloadHash)
    : await presignedSignature(req, claim, credentials);
  if (!sameSignature(expected, claim.signature)) throw s3Error("SignatureDoesNotMatch");
  const decodedLength = decodedLengthOf(req.headers);
  return {
    accessKeyId: claim.accessKeyId, kind: claim.kind, region: claim.region, signingDate: claim.signingDate,
    signature: claim.signature, payloadHash, payloadMode,
    ...(expiresAt && { expiresAt }), ...(decodedLength !== undefined && { decodedLength }),
  };
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
  if (now.getTime() > expiresAt.getTime()) {
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

/** Exactly the headers the client listed, so smithy canonicalises what the client signed and nothing else. */
function signedHeaderValues(req: IncomingS3Request, claim: SigV4Claim): Record<string, string> {
  const headers: Record<string, string> = Object.create(null);
  for (const name of claim.signedHeaders) headers[name] = req.headers[name] ?? "";
  return headers;
}

function requestFor(req: IncomingS3Request, headers: Record<string, string>): HttpRequest {
  const query = parseQuery(req.rawQuery);
  delete query["X-Amz-Signature"];
  return new HttpRequest({
    method: req.method.toUpperCase(),
    protocol: "https:",
    hostname: (req.headers["host"] ?? "").replace(/:\d+$/, ""),
    path: canonicalPath(req.rawPath),
    query,
    headers,
  });
}

async function headerSignature(req: IncomingS3Request, claim: SigV4Claim, credentials: SigV4Credentials, payloadHash: string) {
  const headers = signedHeaderValues(req, claim);
  // smithy takes the payload hash from this header; it is part of the canonical headers only if the client signed it.
  headers[CONTENT_SHA256] = payloadHash;
  const unsignable = new Set<string>(claim.signedHeaders.includes(CONTENT_SHA256) ? [] : [CONTENT_SHA256]);
  const signed = await s3Signer(credentials, claim.region).sign(requestFor(req, headers), {
    signingDate: claim.signingDate,
    signingRegion: claim.region,
    signableHeaders: new Set(claim.signedHeaders),
    unsignableHeaders: unsignable,
  });
  return /Signature=([0-9a-f]{64})/.exec(String(signed.headers["authorization"]))?.[1] ?? "";
}

async function presignedSignature(req: IncomingS3Request, claim: SigV4Claim, credentials: SigV4Credentials) {
  const headers = signedHeaderValues(req, claim);
  const signsPayload = claim.signedHeaders.includes(CONTENT_SHA256);
  if (!signsPayload) headers[CONTENT_SHA256] = UNSIGNED_PAYLOAD;
  const presigned = await s3Signer(credentials, claim.region).presign(requestFor(req, headers), {
    signingDate: claim.signingDate,
    signingRegion: claim.region,
    expiresIn: claim.expiresSeconds!,
    signableHeaders: new Set(claim.signedHeaders),
    unsignableHeaders: new Set(signsPayload ? [] : [CONTENT_SHA256]),
    // The client sent these as headers; smithy would otherwise move every x-amz-* header into the query.
    unhoistableHeaders: new Set([...claim.signedHeaders, CONTENT_SHA256]),
  });
  return String(presigned.query?.["X-Amz-Signature"] ?? "");
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
