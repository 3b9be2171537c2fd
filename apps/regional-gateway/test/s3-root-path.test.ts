import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminAuth, register, s3, startTestRegion, type TestRegion } from "./harness.ts";

let fi: TestRegion;
const root = (path: string, init: RequestInit & { headers?: Record<string, string> } = {}) =>
  fetch(`${fi.url}${path}`, { ...init, headers: { "x-customer-id": "acme-corp", ...(init.headers ?? {}) } });

beforeAll(async () => {
  fi = await startTestRegion("FI-HEL");
  expect((await register(fi.url, "acme-corp")).status).toBe(201);
});
afterAll(() => fi?.destroy());

describe("S3 at the root path (path-style clients)", () => {
  it("creates a bucket, puts, gets and lists at the root, the same data as under /s3", async () => {
    expect((await root("/documents", { method: "PUT" })).status).toBe(200);
    const put = await root("/documents/reports/q1.txt", { method: "PUT", body: "quarterly", headers: { "content-type": "text/plain" } });
    expect(put.status).toBe(200);
    const get = await root("/documents/reports/q1.txt");
    expect(get.status).toBe(200);
    expect(await get.text()).toBe("quarterly");
    expect(get.headers.get("content-type")).toBe("text/plain");
    const list = await root("/documents?list-type=2&prefix=reports/");
    expect(await list.text()).toContain("<Key>reports/q1.txt</Key>");
    const buckets = await root("/");
    expect(buckets.status).toBe(200);
    expect(await buckets.text()).toContain("<Name>documents</Name>");
    expect((await root("/documents", { method: "HEAD" })).status).toBe(200);
    expect(await (await s3(fi.url, "acme-corp")("/documents/reports/q1.txt")).text()).toBe("quarterly");
  });

  it("keeps a bucket whose name merely starts with s3 a bucket", async () => {
    expect((await root("/s3data", { method: "PUT" })).status).toBe(200);
    expect((await root("/s3data/k", { method: "PUT", body: "x" })).status).toBe(200);
    expect(await (await s3(fi.url, "acme-corp")("/s3data/k")).text()).toBe("x");
  });

  it("answers errors at the root as S3 XML", async () => {
    const res = await root("/no-such-bucket/key");
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toBe("application/xml");
    expect(await res.text()).toContain("<Code>NoSuchBucket</Code>");
    const anonymous = await fetch(`${fi.url}/documents`);
    expect(anonymous.status).toBe(403);
    expect(await anonymous.text()).toContain("<Code>AccessDenied</Code>");
  });

  it("refuses bucket names reserved for the gateways' own endpoints, naming the reservation", async () => {
    for (const name of ["api", "health", "metrics", "ops", "internal", "routing", "regions", "providers"]) {
      const res = await s3(fi.url, "acme-corp")(`/${name}`, { method: "PUT" });
      expect(res.status).toBe(400);
      const body = await res.text();
      expect(body).toContain("<Code>InvalidBucketName</Code>");
      expect(body).toContain(`bucket name ${name} is reserved`);
    }
    // At the root the region's own prefixes never reach S3 at all; the router's are buckets to the region, still refused.
    const routing = await root("/routing", { method: "PUT" });
    expect(routing.status).toBe(400);
    expect(await routing.text()).toContain("<Code>InvalidBucketName</Code>");
  });

  it("leaves management routes alone and answers unknown management paths in JSON", async () => {
    const health = await fetch(`${fi.url}/health`);
    expect(health.status).toBe(200);
    expect(health.headers.get("content-type")).toContain("application/json");
    expect((await fetch(`${fi.url}/metrics`)).status).toBe(200);
    expect((await fetch(`${fi.url}/api/customers/acme-corp/info`, { headers: adminAuth })).status).toBe(200);
    for (const [method, path] of [["GET", "/api/nope"], ["PUT", "/api"], ["GET", "/ops/nope"], ["PUT", "/health"], ["GET", "/internal/anything"]] as const) {
      const res = await root(path, { method });
      expect(res.status).toBe(404);
      expect(res.headers.get("content-type")).toContain("application/json");
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("NOT_FOUND");
    }
  });
});
