import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { corsXml, createAccessKey, curl, curlForm, preflight, signedForm, type TestKey } from "../apps/regional-gateway/test/browser-helpers.ts";
import { CLIENT_BINARIES, clientAvailable, runClient } from "./support/s3-clients.ts";
import { onboard, startStack, type TestStack } from "./support/stack.ts";

/**
 * Browsers through the global endpoint: a page served from another loopback origin uploads
 * with a presigned PUT (preflight, then the PUT) and with a signed form POST, in Debian's
 * chromium driven by playwright-core. curl covers what a browser cannot be made to send.
 */

const CHROMIUM = "/usr/bin/chromium";
let stack: TestStack;
let key: TestKey;
let otherKey: TestKey;
let page: Server;
let pageOrigin: string;
let browser: Browser | undefined;
let sdk: S3Client;
const via = (path: string, init: RequestInit & { headers?: Record<string, string> } = {}) =>
  fetch(`${stack.global.url}${path}`, { ...init, headers: { "x-customer-id": "acme-corp", ...(init.headers ?? {}) } });

beforeAll(async () => {
  stack = await startStack();
  await onboard(stack, "acme-corp", "FI-HEL", { customer_name: "Acme", country: "Finland", data_residency_requirement: "strict" });
  await onboard(stack, "us-health", "US-EAST", { customer_name: "US Health", country: "US", data_residency_requirement: "strict" });
  key = await createAccessKey(stack.regions["FI-HEL"].url, "acme-corp");
  otherKey = await createAccessKey(stack.regions["US-EAST"].url, "us-health");
  expect((await via("/uploads", { method: "PUT" })).status).toBe(200);
  expect((await via("/plain", { method: "PUT" })).status).toBe(200);
  page = createServer((_req, res) => res.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><title>app</title>"));
  await new Promise<void>((resolve) => page.listen(0, "127.0.0.1", resolve));
  pageOrigin = `http://127.0.0.1:${(page.address() as AddressInfo).port}`;
  const rules = corsXml([`<AllowedOrigin>${pageOrigin}</AllowedOrigin><AllowedMethod>PUT</AllowedMethod><AllowedMethod>POST</AllowedMethod><AllowedMethod>GET</AllowedMethod><AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader>`]);
  expect((await via("/uploads?cors", { method: "PUT", body: rules })).status).toBe(200);
  sdk = new S3Client({ endpoint: stack.global.url, region: "us-east-1", forcePathStyle: true, credentials: { accessKeyId: key.access_key_id, secretAccessKey: key.secret_access_key } });
  if (existsSync(CHROMIUM)) {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"] });
  }
});
afterAll(async () => {
  await browser?.close();
  sdk?.destroy();
  await new Promise((resolve) => page?.close(resolve));
  await stack?.close();
});

describe("a real browser through the global endpoint", () => {
  it("uploads with a presigned PUT from another origin (preflight, then PUT)", async (ctx) => {
    if (!browser) return ctx.skip();
    const url = await getSignedUrl(sdk, new PutObjectCommand({ Bucket: "uploads", Key: "from-browser/photo.txt" }), { expiresIn: 300 });
    const tab = await browser.newPage();
    try {
      await tab.goto(pageOrigin);
      const result = await tab.evaluate(async (target) => {
        const res = await fetch(target, { method: "PUT", body: "pixels from the browser", headers: { "content-type": "text/plain" } });
        return { status: res.status, etag: res.headers.get("etag") };
      }, url);
      expect(result.status).toBe(200);
      expect(result.etag).toMatch(/^"[0-9a-f]{32}"$/); // exposed by the rule, so readable by the page
    } finally {
      await tab.close();
    }
    expect(await (await via("/uploads/from-browser/photo.txt")).text()).toBe("pixels from the browser");
  });

  it("uploads with a signed form POST (FormData, file last)", async (ctx) => {
    if (!browser) return ctx.skip();
    const fields = signedForm(key, {
      bucket: "uploads",
      fields: [["key", "forms/${filename}"], ["Content-Type", "text/plain"], ["success_action_status", "201"]],
      conditions: [["starts-with", "$key", "forms/"], ["starts-with", "$Content-Type", "text/"], { success_action_status: "201" }, ["content-length-range", 1, 1 << 20]],
    });
    const tab = await browser.newPage();
    try {
      await tab.goto(pageOrigin);
      const result = await tab.evaluate(async ({ target, fields }) => {
        const form = new FormData();
        for (const [k, v] of fields) form.append(k, v);
        form.append("file", new Blob(["form bytes"], { type: "text/plain" }), "note.txt");
        const res = await fetch(target, { method: "POST", body: form });
        return { status: res.status, body: await res.text() };
      }, { target: `${stack.global.url}/uploads`, fields });
      expect(result.status).toBe(201);
      expect(result.body).toContain("<Key>forms/note.txt</Key>");
    } finally {
      await tab.close();
    }
    expect(await (await via("/uploads/forms/note.txt")).text()).toBe("form bytes");
  });
});

describe("preflight routing at the global endpoint (curl)", () => {
  it("routes a presigned URL's preflight by its credential and answers from the rules", async () => {
    const url = await getSignedUrl(sdk, new PutObjectCommand({ Bucket: "uploads", Key: "x" }), { expiresIn: 300 });
    const ok = await preflight(url, { Origin: pageOrigin, "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "content-type" });
    expect(ok.status).toBe(200);
    expect(ok.headers["access-control-allow-origin"]).toBe(pageOrigin);
    const denied = await preflight(url, { Origin: pageOrigin, "Access-Control-Request-Method": "DELETE" });
    expect(denied.status).toBe(403);
    expect(denied.body).toContain("<Code>AccessForbidden</Code>");
  });

  it("refuses, as a CORS refusal, a preflight it cannot route: no credential, or an unknown key", async () => {
    const bare = await preflight(`${stack.global.url}/uploads/x`, { Origin: pageOrigin, "Access-Control-Request-Method": "PUT" });
    expect(bare.status).toBe(403);
    expect(bare.body).toContain("<Code>AccessForbidden</Code>");
    const unknown = `${stack.global.url}/uploads/x?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=S3GWAAAAAAAAAAAAAAAA%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260101T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=${"0".repeat(64)}`;
    const refused = await preflight(unknown, { Origin: pageOrigin, "Access-Control-Request-Method": "PUT" });
    expect(refused.status).toBe(403);
    expect(refused.body).toContain("<Code>AccessForbidden</Code>");
    // Another customer's presigned URL for the same bucket name reaches that customer's region and rules.
    const theirs = new S3Client({ endpoint: stack.global.url, region: "us-east-1", forcePathStyle: true, credentials: { accessKeyId: otherKey.access_key_id, secretAccessKey: otherKey.secret_access_key } });
    try {
      const url = await getSignedUrl(theirs, new PutObjectCommand({ Bucket: "uploads", Key: "x" }), { expiresIn: 300 });
      const other = await preflight(url, { Origin: pageOrigin, "Access-Control-Request-Method": "PUT" });
      expect(other.status).toBe(403);
      expect(other.body).toContain("CORS is not enabled for this bucket");
    } finally {
      theirs.destroy();
    }
  });

  const clientEnv = () => ({ AWS_ACCESS_KEY_ID: key.access_key_id, AWS_SECRET_ACCESS_KEY: key.secret_access_key, AWS_DEFAULT_REGION: "us-east-1", AWS_CA_BUNDLE: null });

  it("sets and reads CORS with the aws cli through the global endpoint", async (ctx) => {
    if (!clientAvailable("aws cli")) return ctx.skip();
    const aws = CLIENT_BINARIES["aws cli"];
    const config = JSON.stringify({ CORSRules: [{ AllowedOrigins: ["https://cli.example"], AllowedMethods: ["GET"] }] });
    await runClient(aws, ["--endpoint-url", stack.global.url, "s3api", "put-bucket-cors", "--bucket", "plain", "--cors-configuration", config], clientEnv());
    const got = JSON.parse(await runClient(aws, ["--endpoint-url", stack.global.url, "s3api", "get-bucket-cors", "--bucket", "plain"], clientEnv())) as { CORSRules: unknown[] };
    expect(got.CORSRules).toEqual([{ AllowedOrigins: ["https://cli.example"], AllowedMethods: ["GET"] }]);
    await runClient(aws, ["--endpoint-url", stack.global.url, "s3api", "delete-bucket-cors", "--bucket", "plain"], clientEnv());
  });

  it("sets CORS with boto3 and answers its preflight", async (ctx) => {
    if (!clientAvailable("boto3")) return ctx.skip();
    const script = [
      "import boto3, json, sys",
      "from botocore.config import Config",
      "s3 = boto3.client('s3', endpoint_url=sys.argv[1], config=Config(signature_version='s3v4', s3={'addressing_style': 'path'}))",
      "s3.put_bucket_cors(Bucket='plain', CORSConfiguration={'CORSRules': [{'AllowedOrigins': ['https://boto.example'], 'AllowedMethods': ['GET', 'PUT'], 'MaxAgeSeconds': 9}]})",
      "print(json.dumps(s3.get_bucket_cors(Bucket='plain')['CORSRules']))",
      "print(s3.generate_presigned_url('put_object', Params={'Bucket': 'plain', 'Key': 'k'}, ExpiresIn=300))",
    ].join("\n");
    const [rules, url] = (await runClient(CLIENT_BINARIES.boto3, ["-c", script, stack.global.url], clientEnv())).trim().split("\n");
    expect(JSON.parse(rules!)).toEqual([{ AllowedOrigins: ["https://boto.example"], AllowedMethods: ["GET", "PUT"], MaxAgeSeconds: 9 }]);
    const res = await preflight(url!, { Origin: "https://boto.example", "Access-Control-Request-Method": "PUT" });
    expect(res.status).toBe(200);
    expect(res.headers["access-control-max-age"]).toBe("9");
    expect((await via("/plain?cors", { method: "DELETE" })).status).toBe(204);
  });
});

describe("form uploads routed by the credential inside the form (curl)", () => {
  const form = (k: TestKey, bucket: string, max = 8 << 20) =>
    signedForm(k, { bucket, fields: [["key", "big/${filename}"]], conditions: [["starts-with", "$key", "big/"], ["content-length-range", 1, max]] });

  it("relays the whole body unchanged: a 3 MiB file arrives byte for byte", async () => {
    const content = Buffer.alloc(3 * 1024 * 1024 + 7, 0);
    for (let i = 0; i < content.length; i++) content[i] = (i * 31) & 0xff;
    const res = await curlForm(`${stack.global.url}/uploads`, form(key, "uploads"), { name: "blob.bin", content });
    expect(res.status).toBe(204);
    const got = Buffer.from(await (await via("/uploads/big/blob.bin")).arrayBuffer());
    expect(got.equals(content)).toBe(true);
  });

  it("relays a chunked form too", async () => {
    const res = await curlForm(`${stack.global.url}/uploads`, form(key, "uploads"), { name: "chunked.bin", content: "sent in chunks" }, ["-H", "Transfer-Encoding: chunked"]);
    expect(res.status).toBe(204);
    expect(await (await via("/uploads/big/chunked.bin")).text()).toBe("sent in chunks");
  });

  it("enforces the policy's size through the router and routes another customer's form to that customer", async () => {
    const tooBig = await curlForm(`${stack.global.url}/uploads`, form(key, "uploads", 1024), { name: "b.bin", content: Buffer.alloc(2048) });
    expect(tooBig.status).toBe(400);
    expect(tooBig.body).toContain("<Code>EntityTooLarge</Code>");
    // us-health's credential is routed to US-EAST, where it has no bucket "uploads": acme's data is out of reach.
    const other = await curlForm(`${stack.global.url}/uploads`, form(otherKey, "uploads"), { name: "o.bin", content: "x" });
    expect(other.status).toBe(404);
    expect(other.body).toContain("<Code>NoSuchBucket</Code>");
    expect((await via("/uploads/big/o.bin")).status).toBe(404);
  });

  it("refuses a form whose fields before the file exceed the bound, and a malformed one, without a region", async () => {
    const huge: [string, string][] = [["x-ignore-pad", "p".repeat(100 * 1024)], ...form(key, "uploads")];
    const res = await curlForm(`${stack.global.url}/uploads`, huge, { name: "h.bin", content: "x" });
    expect(res.status).toBe(400);
    expect(res.body).toContain("<Code>MaxPostPreDataLengthExceeded</Code>");
    const garbage = await curl(["-X", "POST", "-H", "content-type: multipart/form-data; boundary=zz", "--data-binary", "--zz\r\nnot a part", `${stack.global.url}/uploads`]);
    expect(garbage.status).toBe(403);
  });

  it("replays a form read whole before routing (no file part): the region answers it", async () => {
    const noFile = await curl([...form(key, "uploads").flatMap(([k, v]) => ["--form-string", `${k}=${v}`]), `${stack.global.url}/uploads`]);
    expect(noFile.status).toBe(400);
    expect(noFile.body).toContain("<Code>IncorrectNumberOfFilesInPostRequest</Code>");
  });

  it("answers its own refusal of a large form (unknown key) and drops the rest of the upload", async () => {
    const unknown = { access_key_id: "S3GWAAAAAAAAAAAAAAAA", secret_access_key: "x" };
    const res = await curlForm(`${stack.global.url}/uploads`, form(unknown, "uploads"), { name: "u.bin", content: Buffer.alloc(5 * 1024 * 1024, 1) });
    expect(res.status).toBe(403);
    expect(res.body).toContain("<Code>InvalidAccessKeyId</Code>");
  });
});
