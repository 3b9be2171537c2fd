import { createHash } from "node:crypto";
import { request } from "node:http";
import { Sha256 } from "@aws-crypto/sha256-js";
import { SignatureV4 } from "@smithy/signature-v4";
import type { Credentials } from "../support/s3-clients.ts";

export const sha256hex = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");

export interface RawAnswer { status: number; text: string; headers: Record<string, string | string[] | undefined> }

const signer = (creds: Credentials) => new SignatureV4({ service: "s3", region: "us-east-1", credentials: creds, sha256: Sha256, uriEscapePath: false });

/**
 * Sends one request with the raw path exactly as given (node:http does not normalise it, unlike
 * fetch), SigV4-signed over that raw path the way an SDK signs. `extraHeaders` are added after
 * signing (unsigned); `sentBody` replaces the body after signing (tampering).
 */
export async function rawSigned(base: string, opts: {
  method: string; path: string; creds?: Credentials; body?: Buffer | string; headers?: Record<string, string>;
  extraHeaders?: Record<string, string>; sentBody?: Buffer | string;
  /** The path to sign when it differs from the one sent (e.g. percent-encoded dots, signed decoded as AWS does). */
  signPath?: string;
}): Promise<RawAnswer> {
  const url = new URL(base);
  const body = Buffer.from(opts.body ?? "");
  const q = opts.path.indexOf("?");
  const sentRawPath = q < 0 ? opts.path : opts.path.slice(0, q);
  const path = opts.signPath ?? sentRawPath;
  const query = Object.fromEntries(new URLSearchParams(q < 0 ? "" : opts.path.slice(q + 1)));
  let headers: Record<string, string> = { ...opts.headers };
  const sentPath = opts.path;
  if (opts.creds) {
    const signed = await signer(opts.creds).sign(
      { method: opts.method, protocol: "http:", hostname: url.hostname, port: Number(url.port), path, query, headers: { host: url.host, "x-amz-content-sha256": sha256hex(body), ...opts.headers } },
      { signingDate: new Date() },
    );
    headers = signed.headers as Record<string, string>;
  }
  const sent = Buffer.from(opts.sentBody ?? body);
  return send(url, opts.method, sentPath, { ...headers, ...opts.extraHeaders, "content-length": String(sent.length) }, sent);
}

export function send(url: URL, method: string, path: string, headers: Record<string, string>, body: Buffer): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString(), headers: res.headers }));
    });
    req.on("error", reject);
    req.end(body);
  });
}
