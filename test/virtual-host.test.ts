import { createHash } from "node:crypto";
import { Agent, request } from "node:http";
import type { LookupFunction } from "node:net";
import { CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { Sha256 } from "@aws-crypto/sha256-js";
import { SignatureV4 } from "@smithy/signature-v4";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminAuth } from "../apps/regional-gateway/test/harness.ts";
import type { Credentials } from "./support/s3-clients.ts";
import { onboard, startStack, type TestStack } from "./support/stack.ts";

const DOMAIN = "s3.gateway.test";
let stack: TestStack;
const keys: Record<string, Credentials> = {};
const sha256hex = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");

// Every name resolves to loopback: `<bucket>.s3.gateway.test` reaches the test stack and nothing else.
const loopback: LookupFunction = (_host, options, callback) => {
  if (options.all) (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: "127.0.0.1", family: 4 }]);
  else callback(null, "127.0.0.1", 4);
};

async function accessKey(customer: string): Promise<Credentials> {
  const res = await fetch(`${stack.regions["FI-HEL"].url}/api/customers/${customer}/access-keys`, { method: "POST", headers: { "content-type": "application/json", ...adminAuth }, body: "{}" });
  const k = (await res.json()) as { access_key_id: string; secret_access_key: string };
  return { accessKeyId: k.access_key_id, secretAccessKey: k.secret_access_key };
}

/** The SDK in its default addressing: virtual-hosted style against `http://s3.gateway.test:<router port>`. */
function virtualClient(creds: Credentials): S3Client {
  const port = new URL(stack.global.url).port;
  return new S3Client({
    endpoint: `http://${DOMAIN}:${port}`, region: "us-east-1", credentials: creds, maxAttempts: 1,
    requestHandler: { httpAgent: new Agent({ lookup: loopback }) },
  });
}

/** A signed request with the Host the signature was made for, sent with `sentHost` (by default the same). */
async function signedSend(opts: { method: string; host: string; path: string; creds: Credentials; sentHost?: string }) {
  const port = Number(new URL(stack.global.url).port);
  const signer = new SignatureV4({ service: "s3", region: "us-east-1", credentials: opts.creds, sha256: Sha256, uriEscapePath: false });
  const signed = await signer.sign(
    { method: opts.method, protocol: "http:", hostname: opts.host, port, path: opts.path, query: {}, headers: { host: `${opts.host}:${port}`, "x-amz-content-sha256": sha256hex("") } },
    { signingDate: new Date() },
  );
  const headers = { ...(signed.headers as Record<string, string>), host: `${opts.sentHost ?? opts.host}:${port}` };
  return new Promise<{ status: number; text: string; headers: Record<string, unknown> }>((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, method: opts.method, path: opts.path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString(), headers: res.headers }));
    });
    req.on("error", reject);
    req.end();
  });
}

const code = (text: string) => /<Code>([^<]+)<\/Code>/.exec(text)?.[1];

beforeAll(async () => {
  stack = await startStack({ virtualHostDomain: DOMAIN });
  await onboard(stack, "alpha", "FI-HEL", { customer_name: "Alpha", country: "FI", data_residency_requirement: "strict" });
  await onboard(stack, "gamma", "FI-HEL", { customer_name: "Gamma", country: "FI", data_residency_requirement: "strict" });
  keys.alpha = await accessKey("alpha");
  keys.gamma = await accessKey("gamma");
}, 120_000);
afterAll(() => stack?.close());

describe("virtual-hosted-style addressing through the global router", () => {
  it("serves the SDK's default addressing: bucket in the Host, keys literal, management paths are keys", async () => {
    const s3 = virtualClient(keys.alpha!);
    const hosts = new Set<string>();
    s3.middlewareStack.add((next) => async (args) => {
      hosts.add((args.request as { hostname: string }).hostname);
      return next(args);
    }, { step: "finalizeRequest" });
    await s3.send(new CreateBucketCommand({ Bucket: "vhost-docs" }));
    for (const key of ["health", "api/customers", "s3/inner", "a b/c+d", "routing/../x"]) {
      await s3.send(new PutObjectCommand({ Bucket: "vhost-docs", Key: key, Body: `body of ${key}` }));
      expect(await (await s3.send(new GetObjectCommand({ Bucket: "vhost-docs", Key: key }))).Body!.transformToString()).toBe(`body of ${key}`);
    }
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: "vhost-docs" }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual(["a b/c+d", "api/customers", "health", "routing/../x", "s3/inner"]);
    expect([...hosts]).toEqual([`vhost-docs.${DOMAIN}`]);
    // The same objects path-style: one bucket, two addressing styles.
    const path = new S3Client({ endpoint: stack.global.url, region: "us-east-1", forcePathStyle: true, credentials: keys.alpha!, maxAttempts: 1 });
    expect((await path.send(new HeadObjectCommand({ Bucket: "vhost-docs", Key: "health" }))).ContentLength).toBe("body of health".length);
    await s3.send(new DeleteObjectCommand({ Bucket: "vhost-docs", Key: "health" }));
    await expect(path.send(new HeadObjectCommand({ Bucket: "vhost-docs", Key: "health" }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
    s3.destroy();
    path.destroy();
  });

  it("the router's own routes are not reachable under a bucket's host", async () => {
    const res = await signedSend({ method: "GET", host: `vhost-docs.${DOMAIN}`, path: "/health", creds: keys.alpha! });
    expect([res.status, code(res.text)]).toEqual([404, "NoSuchKey"]);
    const routing = await signedSend({ method: "GET", host: `vhost-docs.${DOMAIN}`, path: "/routing/customers/alpha", creds: keys.alpha! });
    expect(code(routing.text)).toBe("NoSuchKey");
    // On the bare domain and on other hosts, routes and path-style S3 are as before.
    expect((await fetch(`${stack.global.url}/health`)).status).toBe(200);
    const service = await signedSend({ method: "GET", host: DOMAIN, path: "/", creds: keys.alpha! });
    expect([service.status, service.text.includes("<Name>vhost-docs</Name>")]).toEqual([200, true]);
  });

  it("refuses a Host changed after signing, hostile hosts, and another customer's bucket", async () => {
    const gamma = virtualClient(keys.gamma!);
    await gamma.send(new CreateBucketCommand({ Bucket: "gamma-private" }));
    await gamma.send(new PutObjectCommand({ Bucket: "gamma-private", Key: "secret", Body: "gamma only" }));
    // Signed for alpha's bucket, sent to gamma's: the signature covers the Host.
    const swapped = await signedSend({ method: "GET", host: `vhost-docs.${DOMAIN}`, sentHost: `gamma-private.${DOMAIN}`, path: "/secret", creds: keys.alpha! });
    expect([swapped.status, code(swapped.text)]).toEqual([403, "SignatureDoesNotMatch"]);
    // Properly signed by alpha for gamma's bucket: not alpha's, so it does not exist for alpha.
    const foreign = await signedSend({ method: "GET", host: `gamma-private.${DOMAIN}`, path: "/secret", creds: keys.alpha! });
    expect([foreign.status, code(foreign.text)]).toEqual([404, "NoSuchBucket"]);
    expect(foreign.text).not.toContain("gamma only");
    // Not a bucket name, or not under the domain: never a bucket of the domain.
    const bad = await signedSend({ method: "GET", host: `Bad..Name.${DOMAIN}`, path: "/", creds: keys.alpha! });
    expect([bad.status, code(bad.text)]).toEqual([400, "InvalidBucketName"]);
    const elsewhere = await signedSend({ method: "GET", host: `vhost-docs.${DOMAIN}.evil.example`, path: "/vhost-docs/a%20b/c%2Bd", creds: keys.alpha! });
    expect(elsewhere.status).toBe(200);
    gamma.destroy();
  });
});
