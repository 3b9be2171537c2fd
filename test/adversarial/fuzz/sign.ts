import { Sha256 } from "@aws-crypto/sha256-js";
import { SignatureV4 } from "@smithy/signature-v4";
import type { Credentials } from "../../support/s3-clients.ts";

const signers = new Map<string, SignatureV4>();
const signer = (creds: Credentials, region = "us-east-1") => {
  const id = `${creds.accessKeyId}/${region}`;
  let s = signers.get(id);
  if (!s) signers.set(id, (s = new SignatureV4({ service: "s3", region, credentials: creds, sha256: Sha256, uriEscapePath: false })));
  return s;
};

const MAX_SIGNED_PARAMS = 100;

/** The raw query as the signer's map: each component decoded once when it can be, else kept as sent. */
function queryMap(rawQuery: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const dec = (s: string) => {
    try {
      return decodeURIComponent(s.replace(/\+/g, " "));
    } catch {
      return s;
    }
  };
  // The signer's canonical query is quadratic in the parameter count (2000 take it a second):
  // a huge query is signed over its first parameters only, so its signature is simply wrong.
  for (const part of rawQuery.split("&").slice(0, MAX_SIGNED_PARAMS)) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const k = dec(eq < 0 ? part : part.slice(0, eq));
    const v = eq < 0 ? "" : dec(part.slice(eq + 1));
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

const split = (target: string) => {
  const q = target.indexOf("?");
  return q < 0 ? { path: target, rawQuery: "" } : { path: target.slice(0, q), rawQuery: target.slice(q + 1) };
};

/**
 * SigV4 headers for a request sent with this raw target: every header given is signed (so a
 * mutated x-amz-* header reaches the handler instead of failing the signed-header policy).
 */
export async function signHeaders(
  creds: Credentials, base: string, method: string, target: string, headers: Record<string, string>, payloadHash: string,
  opts: { date?: Date; region?: string } = {},
): Promise<Record<string, string>> {
  const url = new URL(base);
  const { path, rawQuery } = split(target);
  const signed = await signer(creds, opts.region).sign(
    { method, protocol: "http:", hostname: url.hostname, port: Number(url.port), path, query: queryMap(rawQuery), headers: { host: url.host, "x-amz-content-sha256": payloadHash, ...headers } },
    { signingDate: opts.date ?? new Date() },
  );
  return signed.headers as Record<string, string>;
}

/** A presigned target (query authentication) for the same raw path; headers given stay signed headers. */
export async function presignTarget(
  creds: Credentials, base: string, method: string, target: string, headers: Record<string, string>, expiresIn: number,
  opts: { date?: Date } = {},
): Promise<{ target: string; headers: Record<string, string> }> {
  const url = new URL(base);
  const { path, rawQuery } = split(target);
  const presigned = await signer(creds).presign(
    { method, protocol: "http:", hostname: url.hostname, port: Number(url.port), path, query: queryMap(rawQuery), headers: { host: url.host, ...headers } },
    { expiresIn, unhoistableHeaders: new Set(Object.keys(headers)), ...(opts.date ? { signingDate: opts.date } : {}) },
  );
  // The signer's query map is re-encoded here; keep the client's raw query first, as sent.
  const signedParams = Object.entries(presigned.query ?? {})
    .filter(([k]) => k.startsWith("X-Amz-"))
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
    .join("&");
  const sep = rawQuery === "" ? "?" : `?${rawQuery}&`;
  return { target: `${path}${sep}${signedParams}`, headers: presigned.headers as Record<string, string> };
}
