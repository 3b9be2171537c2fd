import { createHash, createHmac } from "node:crypto";
import { Readable, Writable, type Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Sha256 } from "@aws-crypto/sha256-js";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import type { IncomingS3Request, SigV4Credentials } from "../src/sigv4/index.ts";

/** The example credentials of AWS's SigV4 documentation. */
export const AWS_EXAMPLE: SigV4Credentials = {
  accessKeyId: "AKIAIOSFODNN7EXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
};
export const CREDS: SigV4Credentials = { accessKeyId: "AKIDGATEWAYTEST0001", secretAccessKey: "s3cr3t/Key+with=odd+chars" };
export const NOW = new Date("2026-03-01T12:00:00Z");
export const sha256hex = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");

/** How the AWS SDKs put a key on the wire: every byte outside the unreserved set percent-encoded, "/" kept. */
export const encodeKey = (path: string) =>
  path.split("/").map((s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)).join("/");

export function sdkSigner(credentials: SigV4Credentials = CREDS, region = "us-east-1") {
  // The configuration @aws-sdk/client-s3 gives its signer.
  return new SignatureV4({ credentials, region, service: "s3", sha256: Sha256, uriEscapePath: false, applyChecksum: false });
}

export interface SignOptions {
  method?: string;
  key?: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  payloadHash?: string;
  at?: Date;
  credentials?: SigV4Credentials;
}

/** Signs like an SDK and returns the request as the gateway would receive it. */
export async function signedRequest(o: SignOptions = {}): Promise<IncomingS3Request> {
  const rawPath = `/${encodeKey(o.key ?? "bucket/key.txt")}`;
  const headers = { host: "s3.example.test:9000", "x-amz-content-sha256": o.payloadHash ?? "UNSIGNED-PAYLOAD", ...o.headers };
  const request = new HttpRequest({ method: o.method ?? "PUT", hostname: "s3.example.test", port: 9000, path: rawPath, query: o.query ?? {}, headers });
  const signed = await sdkSigner(o.credentials).sign(request, { signingDate: o.at ?? NOW });
  return incoming(signed.method, rawPath, o.query ?? {}, signed.headers);
}

export function incoming(method: string, rawPath: string, query: Record<string, string>, headers: Record<string, string>): IncomingS3Request {
  const rawQuery = Object.entries(query).map(([k, v]) => `${encodeKey(k)}=${encodeKey(v).replaceAll("/", "%2F")}`).join("&");
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), String(v)]));
  return { method, rawPath, rawQuery, headers: lower };
}

/** Independent of smithy: the SigV4 key derivation and HMAC straight from the AWS documentation. */
export function signingKey(secret: string, date: string, region: string): Buffer {
  let key: Buffer = Buffer.from(`AWS4${secret}`);
  for (const part of [date, region, "s3", "aws4_request"]) key = createHmac("sha256", key).update(part).digest();
  return key;
}
export const hmacHex = (key: Buffer, data: string) => createHmac("sha256", key).update(data).digest("hex");

/** Encodes a payload as STREAMING-AWS4-HMAC-SHA256-PAYLOAD chunks chained from the seed signature. */
export function signedChunks(opts: {
  payload: Buffer; chunkSize: number; seed: string; amzDate: string; region: string; secret: string;
  trailers?: Record<string, string>;
}): Buffer {
  const key = signingKey(opts.secret, opts.amzDate.slice(0, 8), opts.region);
  const scope = `${opts.amzDate.slice(0, 8)}/${opts.region}/s3/aws4_request`;
  let previous = opts.seed;
  const parts: Buffer[] = [];
  const chunk = (data: Buffer) => {
    previous = hmacHex(key, ["AWS4-HMAC-SHA256-PAYLOAD", opts.amzDate, scope, previous, sha256hex(""), sha256hex(data)].join("\n"));
    parts.push(Buffer.from(`${data.length.toString(16)};chunk-signature=${previous}\r\n`), data);
  };
  for (let at = 0; at < opts.payload.length; at += opts.chunkSize) {
    chunk(opts.payload.subarray(at, at + opts.chunkSize));
    parts.push(Buffer.from("\r\n"));
  }
  chunk(Buffer.alloc(0));
  if (opts.trailers) {
    const canonical = Object.keys(opts.trailers).sort().map((n) => `${n}:${opts.trailers![n]}\n`).join("");
    const signature = hmacHex(key, ["AWS4-HMAC-SHA256-TRAILER", opts.amzDate, scope, previous, sha256hex(canonical)].join("\n"));
    parts.push(Buffer.from(canonical.replaceAll("\n", "\r\n")), Buffer.from(`x-amz-trailer-signature:${signature}\r\n`));
  }
  parts.push(Buffer.from("\r\n"));
  return Buffer.concat(parts);
}

/** Encodes a payload the way current SDKs send STREAMING-UNSIGNED-PAYLOAD-TRAILER bodies. */
export function unsignedChunks(payload: Buffer, chunkSize: number, trailer: string): Buffer {
  const parts: Buffer[] = [];
  for (let at = 0; at < payload.length; at += chunkSize) {
    const data = payload.subarray(at, at + chunkSize);
    parts.push(Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from("\r\n"));
  }
  parts.push(Buffer.from(`0\r\n${trailer}\r\n\r\n`));
  return Buffer.concat(parts);
}

function pieces(body: Buffer, piece: number): Buffer[] {
  const out = [];
  for (let at = 0; at < body.length; at += piece) out.push(body.subarray(at, at + piece));
  return out;
}

/** Feeds `body` through the transform in pieces of `piece` bytes; resolves with everything it let through. */
export async function run(transform: Transform, body: Buffer, piece = 7919): Promise<Buffer> {
  const out: Buffer[] = [];
  const sink = new Writable({ write(chunk: Buffer, _e, cb) { out.push(chunk); cb(); } });
  await pipeline(Readable.from(pieces(body, piece)), transform, sink);
  return Buffer.concat(out);
}

/** Like run, but for bodies that must be refused: the error and how many bytes got through before it. */
export async function runFailing(transform: Transform, body: Buffer, piece = 7919) {
  let passed = 0;
  const sink = new Writable({ write(chunk: Buffer, _e, cb) { passed += chunk.length; cb(); } });
  try {
    await pipeline(Readable.from(pieces(body, piece)), transform, sink);
  } catch (error) {
    return { error: error as { code?: string; message: string }, passed };
  }
  throw new Error("the body was accepted");
}

/** CRC-32C (Castagnoli) bit by bit, to check the decoder's library against something it does not share code with. */
export function crc32c(data: Buffer): string {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  const out = Buffer.alloc(4);
  out.writeUInt32BE((crc ^ 0xffffffff) >>> 0);
  return out.toString("base64");
}
