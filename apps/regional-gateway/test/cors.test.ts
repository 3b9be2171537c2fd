import { DeleteBucketCorsCommand, GetBucketCorsCommand, PutBucketCorsCommand, S3Client } from "@aws-sdk/client-s3";
import { postgresClient } from "@s3gw/db";
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { corsXml, createAccessKey, curl, preflight, type TestKey } from "./browser-helpers.ts";
import pino from "pino";
import { bucketSettingCacheKey, RegionalCache } from "../src/services/cache/regional-cache.ts";
import { registerWithBuckets, startTestRegion, type TestRegion } from "./harness.ts";

let fi: TestRegion;
let sql: postgres.Sql;
let acme: ReturnType<typeof import("./harness.ts").s3>;
let acmeKey: TestKey;
let otherKey: TestKey;
let sdk: S3Client;

const APP = "https://app.example.com";
const RULES = corsXml([
  `<ID>app</ID><AllowedOrigin>${APP}</AllowedOrigin><AllowedMethod>PUT</AllowedMethod><AllowedMethod>GET</AllowedMethod><AllowedHeader>content-type</AllowedHeader><AllowedHeader>x-amz-*</AllowedHeader><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>600</MaxAgeSeconds>`,
  `<AllowedOrigin>*</AllowedOrigin><AllowedMethod>HEAD</AllowedMethod>`,
]);

beforeAll(async () => {
  fi = await startTestRegion("FI-HEL");
  sql = postgresClient(fi.databaseUrl, { max: 1 });
  acme = await registerWithBuckets(fi.url, "acme-corp", ["web", "plain"]);
  await registerWithBuckets(fi.url, "other-corp", ["mine"]);
  acmeKey = await createAccessKey(fi.url, "acme-corp");
  otherKey = await createAccessKey(fi.url, "other-corp");
  sdk = new S3Client({ endpoint: fi.url, region: "us-east-1", forcePathStyle: true, credentials: { accessKeyId: acmeKey.access_key_id, secretAccessKey: acmeKey.secret_access_key } });
  expect((await acme("/web?cors", { method: "PUT", body: RULES })).status).toBe(200);
  expect((await acme("/web/hello.txt", { method: "PUT", body: "hello" })).status).toBe(200);
});
afterAll(async () => {
  sdk?.destroy();
  await sql?.end();
  await fi?.destroy();
});

/** A presigned-looking query: what a browser's preflight of a presigned URL carries (only the key id matters). */
const presignedQuery = (key: TestKey) => `X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${key.access_key_id}%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260101T000000Z&X-Amz-Expires=300&X-Amz-SignedHeaders=host&X-Amz-Signature=${"0".repeat(64)}`;

describe("PUT/GET/DELETE ?cors", () => {
  it("round-trips a configuration with the AWS SDK", async () => {
    await sdk.send(new PutBucketCorsCommand({ Bucket: "plain", CORSConfiguration: { CORSRules: [{ ID: "r1", AllowedOrigins: ["https://*.example.org"], AllowedMethods: ["POST", "DELETE"], AllowedHeaders: ["Content-Type", "X-Amz-*"], ExposeHeaders: ["x-amz-request-id"], MaxAgeSeconds: 30 }] } }));
    const got = await sdk.send(new GetBucketCorsCommand({ Bucket: "plain" }));
    expect(got.CORSRules).toEqual([{ ID: "r1", AllowedOrigins: ["https://*.example.org"], AllowedMethods: ["POST", "DELETE"], AllowedHeaders: ["Content-Type", "X-Amz-*"], ExposeHeaders: ["x-amz-request-id"], MaxAgeSeconds: 30 }]);
    await sdk.send(new DeleteBucketCorsCommand({ Bucket: "plain" }));
    await expect(sdk.send(new GetBucketCorsCommand({ Bucket: "plain" }))).rejects.toMatchObject({ name: "NoSuchCORSConfiguration", $metadata: { httpStatusCode: 404 } });
  });

  it("refuses malformed and out-of-bounds configurations as S3 does", async () => {
    const put = async (body: string) => {
      const res = await acme("/plain?cors", { method: "PUT", body });
      return `${res.status} ${/<Code>(\w+)<\/Code>/.exec(await res.text())?.[1]}`;
    };
    expect(await put("<CORSConfiguration><CORSRule>")).toBe("400 MalformedXML");
    expect(await put(corsXml(["<AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod>"]))).toBe("400 InvalidRequest");
    expect(await put(corsXml(["<AllowedOrigin>*.*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"]))).toBe("400 InvalidRequest");
    expect(await put(corsXml(Array(101).fill("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>")))).toBe("400 InvalidRequest");
    expect(await put(corsXml([`<AllowedOrigin>${"a".repeat(70 * 1024)}</AllowedOrigin><AllowedMethod>GET</AllowedMethod>`]))).toBe("400 MalformedXML");
    expect(await put(corsXml(["<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedHeader>bad header</AllowedHeader>"]))).toBe("400 InvalidRequest");
    // Nothing was stored by any of them.
    expect((await acme("/plain?cors")).status).toBe(404);
    expect((await acme("/nope?cors", { method: "PUT", body: RULES })).status).toBe(404);
  });

  it("is another customer's business only: their key reads their own bucket namespace", async () => {
    const theirs = new S3Client({ endpoint: fi.url, region: "us-east-1", forcePathStyle: true, credentials: { accessKeyId: otherKey.access_key_id, secretAccessKey: otherKey.secret_access_key } });
    try {
      await expect(theirs.send(new GetBucketCorsCommand({ Bucket: "web" }))).rejects.toMatchObject({ name: "NoSuchBucket" });
      await expect(theirs.send(new DeleteBucketCorsCommand({ Bucket: "web" }))).rejects.toMatchObject({ name: "NoSuchBucket" });
    } finally {
      theirs.destroy();
    }
    expect((await acme("/web?cors")).status).toBe(200);
  });
});

describe("OPTIONS preflight (curl)", () => {
  const url = (path: string, key: TestKey = acmeKey) => `${fi.url}${path}?${presignedQuery(key)}`;

  it("answers a matching preflight with the rule's headers", async () => {
    const res = await preflight(url("/web/uploads/a.bin"), { Origin: APP, "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "Content-Type, X-Amz-Meta-Owner" });
    expect(res.status).toBe(200);
    expect(res.headers).toMatchObject({
      "access-control-allow-origin": APP, "access-control-allow-methods": "PUT, GET", "access-control-allow-headers": "content-type, x-amz-meta-owner",
      "access-control-max-age": "600", "access-control-expose-headers": "ETag", "access-control-allow-credentials": "true",
    });
    expect(res.headers.vary).toContain("Origin");
    // A bucket URL, in trusted-header mode (curl can send X-Customer-ID; browsers cannot).
    const bucket = await preflight(`${fi.url}/web`, { Origin: "https://anyone.example", "Access-Control-Request-Method": "HEAD", "X-Customer-ID": "acme-corp" });
    expect(bucket.status).toBe(200);
    expect(bucket.headers["access-control-allow-origin"]).toBe("*");
  });

  it("refuses with 403 when no rule matches, and 400 without Origin or method", async () => {
    const denied = await preflight(url("/web/a"), { Origin: APP, "Access-Control-Request-Method": "DELETE" });
    expect(denied.status).toBe(403);
    expect(denied.body).toContain("<Code>AccessForbidden</Code>");
    expect(denied.body).toContain("CORSResponse: This CORS request is not allowed");
    expect(denied.headers["access-control-allow-origin"]).toBeUndefined();
    expect((await preflight(url("/web/a"), { Origin: APP, "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "authorization" })).status).toBe(403);
    expect((await preflight(url("/web/a"), { Origin: "https://app.example.com.evil.test", "Access-Control-Request-Method": "PUT" })).status).toBe(403);
    const noOrigin = await preflight(url("/web/a"), { "Access-Control-Request-Method": "PUT" });
    expect(noOrigin.status).toBe(400);
    expect(noOrigin.body).toContain("<Code>BadRequest</Code>");
    expect((await preflight(url("/web/a"), { Origin: APP })).status).toBe(400);
  });

  it("tells a missing bucket, a bucket without CORS and an unknown key apart from nothing", async () => {
    const ask = (path: string, key?: TestKey) =>
      preflight(key ? url(path, key) : `${fi.url}${path}`, { Origin: APP, "Access-Control-Request-Method": "PUT" }).then((r) => `${r.status} ${r.body.replace(/<RequestId>.*<\/RequestId>/, "")}`);
    const noCors = await ask("/plain/a");
    expect(noCors).toMatch(/^403 .*CORS is not enabled for this bucket/s);
    expect(await ask("/no-such-bucket/a", acmeKey)).toBe(await ask("/plain/a", acmeKey));
    const unknownKey = { access_key_id: "S3GWAAAAAAAAAAAAAAAA", secret_access_key: "" };
    expect(await ask("/web/a", unknownKey)).toBe(noCors);
    // Another customer's key names that customer's buckets: acme's rules are never consulted.
    expect(await ask("/web/a", otherKey)).toBe(noCors);
    expect(await ask("/web/a")).toBe(noCors); // no credential at all (and no X-Customer-ID)
  });

  it("is audited, one row per preflight, never as the customer's authenticated request", async () => {
    await preflight(url("/web/audited"), { Origin: APP, "Access-Control-Request-Method": "GET" });
    const rows = await sql`select customer_id, status_code, principal from operations_log where operation_type = 'PreflightCORS' and object_key = 'audited'`;
    expect(rows).toEqual([{ customer_id: "acme-corp", status_code: 200, principal: "anonymous" }]);
  });
});

describe("CORS headers on actual responses", () => {
  it("adds the matching rule's headers and Vary: Origin to successes and errors", async () => {
    const ok = await acme("/web/hello.txt", { headers: { origin: APP } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("access-control-allow-origin")).toBe(APP);
    expect(ok.headers.get("access-control-expose-headers")).toBe("ETag");
    expect(ok.headers.get("vary")).toContain("Origin");
    const missing = await acme("/web/missing.txt", { headers: { origin: APP } });
    expect(missing.status).toBe(404);
    expect(missing.headers.get("access-control-allow-origin")).toBe(APP);
  });

  it("adds only Vary for an origin no rule allows, and nothing for a bucket without rules or a request without Origin", async () => {
    const other = await acme("/web/hello.txt", { headers: { origin: "https://evil.example" } });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
    expect(other.headers.get("vary")).toContain("Origin");
    expect((await acme("/web/hello.txt")).headers.get("access-control-allow-origin")).toBeNull();
    const plain = await acme("/plain?list-type=2", { headers: { origin: APP } });
    expect(plain.headers.get("access-control-allow-origin")).toBeNull();
    expect(plain.headers.get("vary")).toBeNull();
  });

  it("takes effect at once when the configuration changes (the cache is invalidated)", async () => {
    expect((await preflight(`${fi.url}/web/x?${presignedQuery(acmeKey)}`, { Origin: APP, "Access-Control-Request-Method": "GET" })).status).toBe(200);
    expect((await acme("/web?cors", { method: "DELETE" })).status).toBe(204);
    expect((await preflight(`${fi.url}/web/x?${presignedQuery(acmeKey)}`, { Origin: APP, "Access-Control-Request-Method": "GET" })).status).toBe(403);
    expect((await acme("/web/hello.txt", { headers: { origin: APP } })).headers.get("access-control-allow-origin")).toBeNull();
    expect((await acme("/web?cors", { method: "PUT", body: RULES })).status).toBe(200);
    expect((await acme("/web/hello.txt", { headers: { origin: APP } })).headers.get("access-control-allow-origin")).toBe(APP);
    const res = await curl(["-X", "GET", "-H", "x-customer-id: acme-corp", `${fi.url}/web?cors`]);
    expect(res.body).toContain("<AllowedOrigin>https://app.example.com</AllowedOrigin>");
  });
});

describe("the bucket-settings cache", () => {
  it("forgets only the notified customer's settings", async () => {
    const cache = new RegionalCache(pino({ level: "silent" }));
    cache.setLive(true);
    const load = (v: string) => async () => ({ document: v });
    await cache.bucketSettings.get(bucketSettingCacheKey("a", "b1", "cors"), load("a1"));
    await cache.bucketSettings.get(bucketSettingCacheKey("ab", "b2", "cors"), load("ab1"));
    cache.onNotification(JSON.stringify({ t: "bucket_settings", c: "a" }));
    expect(await cache.bucketSettings.get(bucketSettingCacheKey("a", "b1", "cors"), load("a2"))).toEqual({ document: "a2" });
    // "ab" shares a prefix with "a" but is another customer: still cached.
    expect(await cache.bucketSettings.get(bucketSettingCacheKey("ab", "b2", "cors"), load("ab2"))).toEqual({ document: "ab1" });
  });

  it("a change made in the database directly reaches the preflight through the notification", async () => {
    const url = `${fi.url}/web/n?${presignedQuery(acmeKey)}`;
    const ask = async () => (await preflight(url, { Origin: APP, "Access-Control-Request-Method": "GET" })).status;
    expect(await ask()).toBe(200); // cached now
    await sql`delete from bucket_settings where customer_id = 'acme-corp' and kind = 'cors'`;
    let status = 200;
    for (let i = 0; i < 100 && status === 200; i++) status = await ask();
    expect(status).toBe(403);
    expect((await acme("/web?cors", { method: "PUT", body: RULES })).status).toBe(200);
  });
});
