// SigV4 presigned URLs (UNSIGNED-PAYLOAD) made with the gateway's own presigner
// (packages/core/src/sigv4), for the gateway and RGW alike.
import { presignUrl } from "../../packages/core/src/sigv4/index.ts";
import { escapeUri } from "../../packages/core/src/sigv4/parse.ts";
import { s3Signer } from "../../packages/core/src/sigv4/verify.ts";

export interface S3Target {
  /** http://127.0.0.1:<port>, path-style addressing at the root */
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** signing region: us-east-1 for RGW and for the gateway's clients */
  region: string;
}

/** Long enough for a whole run (S3 allows up to 7 days). */
const EXPIRES_SECONDS = 6 * 3600;

export async function presign(target: S3Target, method: "GET" | "PUT", path: string): Promise<string> {
  const url = new URL(target.endpoint);
  return presignUrl({
    method,
    protocol: url.protocol as "http:",
    host: url.host,
    rawPath: path,
    credentials: { accessKeyId: target.accessKeyId, secretAccessKey: target.secretAccessKey },
    region: target.region,
    expiresInSeconds: EXPIRES_SECONDS,
    now: new Date(),
  });
}

/** One presigned request, answered in full; throws with the answer unless it is 2xx. */
export async function s3Send(target: S3Target, method: "GET" | "PUT", path: string, body?: Buffer): Promise<Buffer> {
  const res = await fetch(await presign(target, method, path), { method, ...(body && { body }), signal: AbortSignal.timeout(30_000) });
  const bytes = Buffer.from(await res.arrayBuffer());
  if (res.status < 200 || res.status > 299) {
    throw new Error(`${method} ${target.endpoint}${path} answered ${res.status}: ${bytes.toString("utf8").slice(0, 500)}`);
  }
  return bytes;
}

export const objectKey = (prefix: string, i: number) => `${prefix}-${String(i).padStart(5, "0")}`;

/** Creates the bucket and PUTs `count` objects of `body`, a few at a time. */
export async function seedObjects(target: S3Target, bucket: string, prefix: string, count: number, body: Buffer): Promise<void> {
  await s3Send(target, "PUT", `/${bucket}`);
  let next = 0;
  const worker = async () => {
    while (next < count) await s3Send(target, "PUT", `/${bucket}/${objectKey(prefix, next++)}`, body);
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  const back = await s3Send(target, "GET", `/${bucket}/${objectKey(prefix, 0)}`);
  if (!back.equals(body)) throw new Error(`GET ${target.endpoint}/${bucket}/${objectKey(prefix, 0)} returned other bytes (${back.length})`);
}

/**
 * A presigned URL whose query carries S3 sub-resources (?uploads, ?partNumber&uploadId, ...),
 * which presignUrl does not take: the same signer (s3Signer) and the same UNSIGNED-PAYLOAD rule.
 */
export async function presignWithQuery(target: S3Target, method: "GET" | "PUT" | "POST" | "DELETE", path: string, query: Record<string, string>): Promise<string> {
  const url = new URL(target.endpoint);
  const signed = await s3Signer({ accessKeyId: target.accessKeyId, secretAccessKey: target.secretAccessKey }, target.region).presign(
    { method, protocol: url.protocol, hostname: url.hostname, port: Number(url.port), path, query, headers: { host: url.host, "x-amz-content-sha256": "UNSIGNED-PAYLOAD" } },
    {
      signingDate: new Date(Math.floor(Date.now() / 1000) * 1000),
      expiresIn: EXPIRES_SECONDS,
      unsignableHeaders: new Set(["x-amz-content-sha256"]),
      unhoistableHeaders: new Set(["x-amz-content-sha256"]),
    },
  );
  const qs = Object.entries(signed.query ?? {}).map(([k, v]) => `${escapeUri(k)}=${escapeUri(String(v))}`).join("&");
  return `${target.endpoint}${path}?${qs}`;
}
