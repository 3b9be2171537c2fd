import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { request } from "node:http";
import { promisify } from "node:util";
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { Sha256 } from "@aws-crypto/sha256-js";
import { SignatureV4 } from "@smithy/signature-v4";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminAuth } from "../apps/regional-gateway/test/harness.ts";
import type { Credentials } from "./support/s3-clients.ts";
import { onboard, startStack, type TestStack } from "./support/stack.ts";

let stack: TestStack;
const keys: Record<string, Credentials> = {};
const sha256hex = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");
const execFileAsync = promisify(execFile);

/** curl, for headers no SDK will send (an SDK re-signs, replacing whatever Authorization it was given). */
async function curl(method: string, url: string, headers: string[]): Promise<{ status: number; text: string }> {
  const args = ["-s", "-X", method, "-w", "\n%{http_code}", "--max-time", "20", ...headers.flatMap((h) => ["-H", h]), url];
  const { stdout } = await execFileAsync("curl", args, { timeout: 30_000 });
  const cut = stdout.lastIndexOf("\n");
  return { status: Number(stdout.slice(cut + 1)), text: stdout.slice(0, cut) };
}

async function accessKey(region: "FI-HEL" | "DE-FRA", customer: string): Promise<Credentials> {
  const res = await fetch(`${stack.regions[region].url}/api/customers/${customer}/access-keys`, { method: "POST", headers: { "content-type": "application/json", ...adminAuth }, body: "{}" });
  const k = (await res.json()) as { access_key_id: string; secret_access_key: string };
  return { accessKeyId: k.access_key_id, secretAccessKey: k.secret_access_key };
}
const client = (c: Credentials) => new S3Client({ endpoint: stack.global.url, region: "us-east-1", forcePathStyle: true, credentials: c, maxAttempts: 1 });

beforeAll(async () => {
  stack = await startStack();
  await onboard(stack, "alpha", "FI-HEL", { customer_name: "Alpha", country: "FI", data_residency_requirement: "strict" });
  await onboard(stack, "beta", "DE-FRA", { customer_name: "Beta", country: "DE", data_residency_requirement: "strict" });
  keys.alpha = await accessKey("FI-HEL", "alpha");
  keys.beta = await accessKey("DE-FRA", "beta");
  const s3 = client(keys.beta);
  await s3.send(new CreateBucketCommand({ Bucket: "private" }));
  await s3.send(new PutObjectCommand({ Bucket: "private", Key: "secret.txt", Body: "beta only" }));
}, 120_000);
afterAll(() => stack?.close());

/** Signs a raw request the way an SDK does, optionally at another time, and sends it over a socket. */
async function signedSend(opts: {
  method: string; path: string; creds: Credentials; body?: Buffer; headers?: Record<string, string>; at?: Date;
  tamper?: (h: Record<string, string>) => void;
  /** Builds the body from the signed headers (chunk signatures chain from the request signature). */
  bodyFrom?: (h: Record<string, string>) => Promise<Buffer>;
}) {
  const url = new URL(stack.global.url);
  const signer = new SignatureV4({ service: "s3", region: "us-east-1", credentials: opts.creds, sha256: Sha256, uriEscapePath: false });
  let body: Buffer = opts.body ?? Buffer.alloc(0);
  const q = opts.path.indexOf("?");
  const query = q < 0 ? {} : Object.fromEntries(new URLSearchParams(opts.path.slice(q + 1)));
  const signed = await signer.sign(
    { method: opts.method, protocol: "http:", hostname: url.hostname, port: Number(url.port), path: q < 0 ? opts.path : opts.path.slice(0, q), query, headers: { host: url.host, "x-amz-content-sha256": opts.headers?.["x-amz-content-sha256"] ?? sha256hex(body), ...opts.headers } },
    { signingDate: opts.at ?? new Date() },
  );
  const headers = signed.headers as Record<string, string>;
  opts.tamper?.(headers);
  if (opts.bodyFrom) body = await opts.bodyFrom(headers);
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method: opts.method, path: opts.path, headers: { ...headers, "content-length": String(body.length) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** An aws-chunked body with chunk signatures chained from the seed, as the SDKs stream it. */
async function chunkedBody(creds: Credentials, seed: string, amzDate: string, chunks: Buffer[]): Promise<Buffer> {
  const signer = new SignatureV4({ service: "s3", region: "us-east-1", credentials: creds, sha256: Sha256, uriEscapePath: false });
  const signingDate = new Date(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`);
  const scope = `${amzDate.slice(0, 8)}/us-east-1/s3/aws4_request`;
  let prev = seed;
  const parts: Buffer[] = [];
  for (const chunk of [...chunks, Buffer.alloc(0)]) {
    const toSign = ["AWS4-HMAC-SHA256-PAYLOAD", amzDate, scope, prev, sha256hex(""), sha256hex(chunk)].join("\n");
    prev = await signer.sign(toSign, { signingDate });
    parts.push(Buffer.from(`${chunk.length.toString(16)};chunk-signature=${prev}\r\n`), chunk, Buffer.from("\r\n"));
  }
  return Buffer.concat(parts);
}

describe("requests that must be refused", () => {
  it("accepts a signed aws-chunked upload and refuses one with a tampered chunk", async () => {
    const data = [Buffer.alloc(65536, 1), Buffer.alloc(1000, 2)];
    const decoded = 66536;
    for (const tamper of [false, true]) {
      const at = new Date();
      let encoded: Buffer = Buffer.alloc(0);
      const res = await signedSend({
        method: "PUT", path: `/private/chunked-${tamper}.bin`, creds: keys.beta!, at,
        headers: { "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "content-encoding": "aws-chunked", "x-amz-decoded-content-length": String(decoded) },
        bodyFrom: async (headers) => {
          const seed = /Signature=([0-9a-f]{64})/.exec(headers.authorization!)![1]!;
          encoded = await chunkedBody(keys.beta!, seed, headers["x-amz-date"]!, data);
          if (tamper) encoded[200] = encoded[200]! ^ 0xff;
          return encoded;
        },
      });
      if (tamper) {
        expect(res.status).toBe(403);
        expect(res.text).toContain("<Code>SignatureDoesNotMatch</Code>");
      } else {
        expect(res.status, res.text).toBe(200);
      }
      const got = await signedSend({ method: "GET", path: `/private/chunked-${tamper}.bin`, creds: keys.beta! });
      expect(got.status).toBe(tamper ? 404 : 200);
      if (!tamper) expect(got.text.length).toBe(decoded);
    }
  });

  it("refuses a wrong secret", async () => {
    const bad = client({ accessKeyId: keys.beta!.accessKeyId, secretAccessKey: "x".repeat(40) });
    await expect(bad.send(new ListObjectsV2Command({ Bucket: "private" }))).rejects.toMatchObject({ name: "SignatureDoesNotMatch", $metadata: { httpStatusCode: 403 } });
  });

  it("refuses a tampered signature and a tampered signed header", async () => {
    const ok = await signedSend({ method: "GET", path: "/private/secret.txt", creds: keys.beta! });
    expect(ok).toMatchObject({ status: 200, text: "beta only" });
    const sig = await signedSend({ method: "GET", path: "/private/secret.txt", creds: keys.beta!, tamper: (h) => { h.authorization = h.authorization!.replace(/Signature=(.)/, (_m, c: string) => `Signature=${c === "a" ? "b" : "a"}`); } });
    expect(sig.status).toBe(403);
    expect(sig.text).toContain("<Code>SignatureDoesNotMatch</Code>");
    const date = await signedSend({ method: "GET", path: "/private/secret.txt", creds: keys.beta!, tamper: (h) => { h["x-amz-date"] = h["x-amz-date"]!.replace(/(\d)Z$/, (_m, d: string) => `${(Number(d) + 1) % 10}Z`); } });
    expect(date.status).toBe(403);
  });

  it("refuses a signed payload whose body was changed", async () => {
    const res = await signedSend({ method: "PUT", path: "/private/changed.txt", creds: keys.beta!, body: Buffer.from("original"), headers: { "x-amz-content-sha256": sha256hex("something else") } });
    expect(res.status).toBe(400);
    expect(res.text).toContain("XAmzContentSHA256Mismatch");
    const check = await signedSend({ method: "GET", path: "/private/changed.txt", creds: keys.beta! });
    expect(check.status).toBe(404);
  });

  it("refuses a request replayed outside the 15-minute window", async () => {
    const res = await signedSend({ method: "GET", path: "/private/secret.txt", creds: keys.beta!, at: new Date(Date.now() - 20 * 60_000) });
    expect(res.status).toBe(403);
    expect(res.text).toContain("<Code>RequestTimeTooSkewed</Code>");
  });

  it("refuses an expired presigned URL, saying when it expired", async () => {
    const s3 = client(keys.beta!);
    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: "private", Key: "secret.txt" }), { expiresIn: 60, signingDate: new Date(Date.now() - 10 * 60_000) });
    const res = await fetch(url);
    expect(res.status).toBe(403);
    const text = await res.text();
    expect(text).toContain("<Code>AccessDenied</Code>");
    expect(text).toMatch(/expire/i);
    const fresh = await getSignedUrl(s3, new GetObjectCommand({ Bucket: "private", Key: "secret.txt" }), { expiresIn: 60 });
    expect(await (await fetch(fresh)).text()).toBe("beta only");
    expect((await fetch(fresh.replace("secret.txt", "other.txt"))).status).toBe(403);
  });

  it("refuses an empty or malformed Authorization header on both layers, whatever else the request claims", async () => {
    const endpoints = { global: stack.global.url, region: `${stack.regions["DE-FRA"].url}/s3` };
    // `Name;` makes curl send the header with an empty value; X-Customer-ID would be believed in
    // trusted-header mode (these stacks run in it) if a blank Authorization counted as "none".
    const cases: { headers: string[]; status: number; code: string }[] = [
      { headers: ["Authorization;"], status: 403, code: "AccessDenied" },
      { headers: ["Authorization;", "X-Customer-ID: beta"], status: 403, code: "AccessDenied" },
      { headers: ["Authorization: AWS4-HMAC-SHA256", "X-Customer-ID: beta"], status: 400, code: "AuthorizationHeaderMalformed" },
      { headers: ["Authorization: AWS4-HMAC-SHA256 Credential=x", "X-Customer-ID: beta"], status: 400, code: "AuthorizationHeaderMalformed" },
      { headers: ["Authorization: garbage", "X-Customer-ID: beta"], status: 400, code: "InvalidRequest" },
    ];
    for (const [layer, base] of Object.entries(endpoints)) {
      for (const c of cases) {
        for (const [method, path] of [["PUT", "/made-anyway"], ["GET", "/private/secret.txt"], ["GET", "/"]] as const) {
          const res = await curl(method, `${base}${path}`, c.headers);
          expect({ layer, path, headers: c.headers, status: res.status, code: /<Code>([^<]*)<\/Code>/.exec(res.text)?.[1] }).toEqual({ layer, path, headers: c.headers, status: c.status, code: c.code });
        }
      }
    }
    // Nothing was created under any of them, and the same request without the header is served.
    expect((await curl("GET", `${endpoints.global}/made-anyway`, ["X-Customer-ID: beta"])).status).toBe(404);
    expect((await curl("GET", `${endpoints.global}/private/secret.txt`, ["X-Customer-ID: beta"])).text).toBe("beta only");
  });

  it("a key S3 cannot parse is 400 InvalidURI through the router too, signed (SDK) or not (curl)", async () => {
    const s3 = client(keys.beta!);
    await expect(s3.send(new GetObjectCommand({ Bucket: "private", Key: "\xae\x8a-" }))).rejects.toMatchObject({ name: "InvalidURI", $metadata: { httpStatusCode: 400 } });
    await expect(s3.send(new PutObjectCommand({ Bucket: "private", Key: "\xae\x8a-", Body: "x" }))).rejects.toMatchObject({ name: "InvalidURI" });
    const raw = await curl("GET", `${stack.global.url}/private/%AE%8A-`, ["X-Customer-ID: beta"]);
    expect([raw.status, /<Code>([^<]*)</.exec(raw.text)?.[1]]).toEqual([400, "InvalidURI"]);
  });

  it("unknown HTTP methods are 405 and unknown sub-resources 501 through the router as in the region, signed or not", async () => {
    const answer = (r: { status: number; text: string }) => [r.status, /<Code>([^<]*)</.exec(r.text)?.[1]];
    for (const [method, path] of [["PATCH", "/private"], ["PROPFIND", "/private/secret.txt"], ["PATCH", "/"], ["POST", "/private/secret.txt"]] as const) {
      expect([method, path, ...answer(await signedSend({ method, path, creds: keys.beta! }))]).toEqual([method, path, 405, "MethodNotAllowed"]);
      for (const base of [stack.global.url, `${stack.regions["DE-FRA"].url}/s3`]) {
        expect([method, base, ...answer(await curl(method, `${base}${path}`, ["X-Customer-ID: beta"]))]).toEqual([method, base, 405, "MethodNotAllowed"]);
      }
    }
    for (const path of ["/private?accelerate", "/private?website", "/private/secret.txt?restore", "/?session"]) {
      expect([path, ...answer(await signedSend({ method: "GET", path, creds: keys.beta! }))]).toEqual([path, 501, "NotImplemented"]);
      expect([path, ...answer(await curl("GET", `${stack.global.url}${path}`, ["X-Customer-ID: beta"]))]).toEqual([path, 501, "NotImplemented"]);
    }
    // ?policyStatus is served (no policy: NoSuchBucketPolicy), never a listing.
    expect(answer(await signedSend({ method: "GET", path: "/private?policyStatus", creds: keys.beta! }))).toEqual([404, "NoSuchBucketPolicy"]);
  });

  it("never lets one customer's key reach another customer's bucket", async () => {
    const alpha = client(keys.alpha!);
    await expect(alpha.send(new GetObjectCommand({ Bucket: "private", Key: "secret.txt" }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
    const claimed = await signedSend({ method: "GET", path: "/private/secret.txt", creds: keys.alpha!, headers: { "x-customer-id": "beta" } });
    expect(claimed.status).toBe(403);
    expect(claimed.text).toContain("<Code>AccessDenied</Code>");
  });
});
