import { execFile } from "node:child_process";
import { createHmac } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect } from "vitest";
import { adminAuth } from "./harness.ts";

const execFileAsync = promisify(execFile);

export interface TestKey { access_key_id: string; secret_access_key: string }

export async function createAccessKey(baseUrl: string, customerId: string, body: Record<string, unknown> = {}): Promise<TestKey> {
  const res = await fetch(`${baseUrl}/api/customers/${customerId}/access-keys`, { method: "POST", headers: { "content-type": "application/json", ...adminAuth }, body: JSON.stringify(body) });
  expect(res.status).toBe(201);
  return (await res.json()) as TestKey;
}

export const corsXml = (rules: string[]) => `<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${rules.map((r) => `<CORSRule>${r}</CORSRule>`).join("")}</CORSConfiguration>`;

/** An independent SigV4 POST signer (the AWS documentation's recipe), so the gateway is not checked against itself. */
export function signPolicy(secret: string, date: string, region: string, policyBase64: string): string {
  const h = (k: Buffer | string, d: string) => createHmac("sha256", k).update(d).digest();
  const key = h(h(h(h(`AWS4${secret}`, date), region), "s3"), "aws4_request");
  return createHmac("sha256", key).update(policyBase64).digest("hex");
}

const amzDateOf = (d: Date) => d.toISOString().replace(/[-:]|\.\d{3}/g, "");

/**
 * The fields of a browser form upload, in form order: the caller's fields, the SigV4 ones
 * (credential, algorithm, date), the policy and signature. The policy covers the bucket,
 * `conditions` and the SigV4 fields; `policyOverride` tampers with the JSON after signing.
 */
export function signedForm(key: TestKey, opts: { bucket: string; fields: [string, string][]; conditions: unknown[]; expiration?: Date; now?: Date; region?: string; policyOverride?: (json: string) => string }): [string, string][] {
  const now = opts.now ?? new Date();
  const region = opts.region ?? "us-east-1";
  const amzDate = amzDateOf(now);
  const credential = `${key.access_key_id}/${amzDate.slice(0, 8)}/${region}/s3/aws4_request`;
  const sigv4: [string, string][] = [["x-amz-credential", credential], ["x-amz-algorithm", "AWS4-HMAC-SHA256"], ["x-amz-date", amzDate]];
  const policyJson = JSON.stringify({
    expiration: (opts.expiration ?? new Date(now.getTime() + 600_000)).toISOString(),
    conditions: [{ bucket: opts.bucket }, ...opts.conditions, ...sigv4.map(([k, v]) => ({ [k]: v }))],
  });
  const policy = Buffer.from(policyJson).toString("base64");
  const signature = signPolicy(key.secret_access_key, amzDate.slice(0, 8), region, policy);
  // A tampered policy keeps the signature of the original.
  const sent = opts.policyOverride ? Buffer.from(opts.policyOverride(policyJson)).toString("base64") : policy;
  return [...opts.fields, ...sigv4, ["policy", sent], ["x-amz-signature", signature]];
}

export interface CurlAnswer { status: number; headers: Record<string, string>; body: string }

function parseHeaders(text: string): Record<string, string> {
  // The last response's headers (curl prints each one's, e.g. after 100 Continue).
  const blocks = text.trim().split(/\r?\n\r?\n/);
  const out: Record<string, string> = {};
  for (const line of blocks[blocks.length - 1]!.split(/\r?\n/).slice(1)) {
    const i = line.indexOf(":");
    if (i > 0) out[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return out;
}

/** Runs curl with `args` and answers status, the last response's headers and the body. */
export async function curl(args: string[]): Promise<CurlAnswer> {
  const dir = await mkdtemp(join(tmpdir(), "s3gw-curl-"));
  try {
    const { stdout } = await execFileAsync("curl", ["-s", "-o", join(dir, "body"), "-D", join(dir, "headers"), "-w", "%{http_code}", ...args], { maxBuffer: 1 << 20 });
    const [headers, body] = await Promise.all([readFile(join(dir, "headers"), "utf8"), readFile(join(dir, "body"), "utf8").catch(() => "")]);
    return { status: Number(stdout.trim()), headers: parseHeaders(headers), body };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A browser-style form POST with curl: every field verbatim (--form-string), then the file part. */
export async function curlForm(url: string, fields: [string, string][], file: { name?: string; content: Buffer | string; field?: string; contentType?: string }, extra: string[] = []): Promise<CurlAnswer> {
  const dir = await mkdtemp(join(tmpdir(), "s3gw-form-"));
  try {
    const path = join(dir, "upload");
    await writeFile(path, file.content);
    const args = fields.flatMap(([k, v]) => ["--form-string", `${k}=${v}`]);
    args.push("-F", `${file.field ?? "file"}=@${path};filename=${file.name ?? "upload.bin"}${file.contentType ? `;type=${file.contentType}` : ""}`);
    return await curl([...args, ...extra, url]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A CORS preflight with curl. */
export function preflight(url: string, headers: Record<string, string>): Promise<CurlAnswer> {
  return curl(["-X", "OPTIONS", ...Object.entries(headers).flatMap(([k, v]) => ["-H", `${k}: ${v}`]), url]);
}
