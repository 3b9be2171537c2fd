import { CreateBucketCommand, DeleteObjectCommand, GetPublicAccessBlockCommand, PutObjectCommand, PutPublicAccessBlockCommand, S3Client } from "@aws-sdk/client-s3";
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminAuth } from "../apps/regional-gateway/test/harness.ts";
import { onboard, startStack, type RegionId, type TestStack } from "./support/stack.ts";

// Anonymous reads of a bucket a customer's compliance rule opens (public_read_buckets), through
// the global router in SigV4-only mode (no trusted X-Customer-ID anywhere), with plain fetch and
// no credentials. Bucket names are unique per customer only: both customers own "site-assets".
let stack: TestStack;
const sdk: Record<string, S3Client> = {};
const HOME: Record<string, RegionId> = { "pub-oy": "FI-HEL", "other-gmbh": "DE-FRA" };

const DOMAIN = "s3.public.test";
const anon = (path: string, init: RequestInit = {}) => fetch(`${stack.global.url}${path}`, init);
const direct = (region: RegionId, path: string, init: RequestInit = {}) => fetch(`${stack.regions[region].url}${path}`, init);
/** An unsigned request to the router with the Host naming a bucket (virtual-hosted style), over a plain socket. */
function virtualHosted(method: string, host: string, path: string): Promise<{ status: number; body: string }> {
  const port = Number(new URL(stack.global.url).port);
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, method, path, headers: { host: `${host}:${port}` } }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (d: string) => (body += d)).on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject).end();
  });
}
const codeOf = async (res: Response) => /<Code>([^<]+)<\/Code>/.exec(await res.text())?.[1];

const RULES = { allowed_content_types: null, max_object_size_bytes: null, reject_duplicate_content: false, block_cross_border_access: false, anomaly_threshold_per_hour: 100_000 };
function putRules(customer: string, publicReadBuckets: unknown): Promise<Response> {
  return fetch(`${stack.regions[HOME[customer]!].url}/api/customers/${customer}/rules`, {
    method: "PUT",
    headers: { "content-type": "application/json", ...adminAuth },
    body: JSON.stringify({ ...RULES, public_read_buckets: publicReadBuckets }),
  });
}

interface AuditRow { principal: string | null; result: string; key: string | null; customer_id: string | null; compliance_info: Record<string, unknown> }
async function auditRows(customer: string, operation: string): Promise<AuditRow[]> {
  const res = await fetch(`${stack.regions[HOME[customer]!].url}/api/audit/operations?customer_id=${customer}&operation=${operation}&limit=100`, { headers: adminAuth });
  expect(res.status).toBe(200);
  return ((await res.json()) as { items: AuditRow[] }).items;
}

beforeAll(async () => {
  stack = await startStack({ trustedCustomerHeader: false, virtualHostDomain: DOMAIN });
  for (const [customer, region] of Object.entries(HOME)) {
    await onboard(stack, customer, region, { customer_name: customer, country: region === "FI-HEL" ? "FI" : "DE", data_residency_requirement: "strict" });
    const res = await fetch(`${stack.regions[region].url}/api/customers/${customer}/access-keys`, { method: "POST", headers: { "content-type": "application/json", ...adminAuth }, body: JSON.stringify({ permission: "read-write" }) });
    expect(res.status).toBe(201);
    const key = (await res.json()) as { access_key_id: string; secret_access_key: string };
    sdk[customer] = new S3Client({ endpoint: stack.global.url, region: "us-east-1", forcePathStyle: true, maxAttempts: 1, credentials: { accessKeyId: key.access_key_id, secretAccessKey: key.secret_access_key } });
  }
  const put = (customer: string, bucket: string, key: string, body: string) => sdk[customer]!.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: "text/plain" }));
  for (const bucket of ["site-assets", "private-stuff"]) await sdk["pub-oy"]!.send(new CreateBucketCommand({ Bucket: bucket }));
  await sdk["other-gmbh"]!.send(new CreateBucketCommand({ Bucket: "site-assets" }));
  await put("pub-oy", "site-assets", "index.html", "hello public");
  await put("pub-oy", "private-stuff", "a.txt", "pub-oy private");
  await put("other-gmbh", "site-assets", "secret.txt", "other-gmbh private");
  expect((await putRules("pub-oy", ["site-assets"])).status).toBe(200);
}, 120_000);
afterAll(async () => {
  for (const client of Object.values(sdk)) client.destroy();
  await stack?.close();
});

describe("public reads by compliance rule, through the global router", () => {
  it("serves GET and HEAD of the allowed bucket anonymously, each audited with principal anonymous", async () => {
    const got = await anon("/site-assets/index.html");
    expect(got.status).toBe(200);
    expect(await got.text()).toBe("hello public");
    const head = await anon("/site-assets/index.html", { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe("12");
    // /s3 prefix and straight to the home region (no router proof): the region's own rule decides.
    expect(await (await anon("/s3/site-assets/index.html")).text()).toBe("hello public");
    expect(await (await direct("FI-HEL", "/site-assets/index.html")).text()).toBe("hello public");
    const rows = (await auditRows("pub-oy", "GetObject")).filter((r) => r.key === "index.html" && r.principal === "anonymous");
    expect(rows.length).toBe(3);
    expect(rows.every((r) => r.result === "success" && r.compliance_info.access === "public_read")).toBe(true);
    expect((await auditRows("pub-oy", "HeadObject")).some((r) => r.principal === "anonymous" && r.result === "success")).toBe(true);
  });

  it("serves the public bucket virtual-hosted style too, and nothing else that way", async () => {
    expect(await virtualHosted("GET", `site-assets.${DOMAIN}`, "/index.html")).toEqual({ status: 200, body: "hello public" });
    expect((await virtualHosted("HEAD", `site-assets.${DOMAIN}`, "/index.html")).status).toBe(200);
    for (const [method, host, path] of [["GET", `site-assets.${DOMAIN}`, "/"], ["PUT", `site-assets.${DOMAIN}`, "/x"], ["GET", `private-stuff.${DOMAIN}`, "/a.txt"], ["GET", `site-assets.${DOMAIN}`, "/index.html?acl"]] as const) {
      const res = await virtualHosted(method, host, path);
      expect([host, path, res.status]).toEqual([host, path, 403]);
      expect(res.body).not.toContain("pub-oy private");
    }
  });

  it("refuses the same customer's other bucket, and a missing key answers as S3 does", async () => {
    const res = await anon("/private-stuff/a.txt");
    expect(res.status).toBe(403);
    expect(await codeOf(res)).toBe("AccessDenied");
    expect((await direct("FI-HEL", "/private-stuff/a.txt")).status).toBe(403);
    expect(await codeOf(await anon("/site-assets/nope.txt"))).toBe("NoSuchKey");
  });

  it("never reaches another customer's private bucket of the same name", async () => {
    // The public name routes to its owner: other-gmbh's key there does not exist for pub-oy.
    const res = await anon("/site-assets/secret.txt");
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain("other-gmbh private");
    const home = await direct("DE-FRA", "/site-assets/secret.txt");
    expect(home.status).toBe(403);
    expect(await codeOf(home)).toBe("AccessDenied");
  });

  it("refuses a second customer claiming a taken public name (409) and leaves its rules as they were", async () => {
    const res = await putRules("other-gmbh", ["site-assets"]);
    expect(res.status).toBe(409);
    expect(JSON.stringify(await res.json())).toMatch(/public bucket name site-assets is taken by another customer/);
    const rules = await fetch(`${stack.regions["DE-FRA"].url}/api/customers/other-gmbh/rules`, { headers: adminAuth });
    expect(((await rules.json()) as { rules: { public_read_buckets: string[] } }).rules.public_read_buckets).toEqual([]);
  });

  it("refuses anonymous writes, deletes, listings, sub-resources and older versions", async () => {
    const cases: Array<[string, RequestInit, number]> = [
      ["/site-assets/new.txt", { method: "PUT", body: "x" }, 403],
      ["/site-assets/index.html", { method: "DELETE" }, 403],
      ["/site-assets", {}, 403],
      ["/site-assets?list-type=2", {}, 403],
      ["/site-assets/index.html?acl", {}, 403],
      ["/site-assets/index.html?tagging", {}, 403],
      ["/site-assets/index.html?versionId=null", {}, 403],
      ["/site-assets?uploads", { method: "POST" }, 403],
      ["/", {}, 403],
    ];
    for (const [path, init, status] of cases) {
      const res = await anon(path, init);
      expect([path, res.status]).toEqual([path, status]);
      expect(await codeOf(res)).toBe("AccessDenied");
      const home = await direct("FI-HEL", path, init);
      expect([path, home.status]).toEqual([path, status]);
    }
    expect(await (await anon("/site-assets/index.html")).text()).toBe("hello public");
    expect((await anon("/site-assets/new.txt")).status).toBe(404);
  });

  it("refuses response-* overrides on anonymous requests, as S3 does, even with a forged X-Customer-ID", async () => {
    for (const headers of [{}, { "x-customer-id": "pub-oy" }] as Array<Record<string, string>>) {
      for (const path of ["/site-assets/index.html?response-content-type=text/html", "/site-assets/index.html?Response-Content-Disposition=attachment"]) {
        const res = await anon(path, { headers });
        expect(res.status).toBe(400);
        expect(await codeOf(res)).toBe("InvalidRequest");
        expect((await direct("FI-HEL", path, { headers })).status).toBe(400);
      }
    }
  });

  it("forged X-Customer-ID (SigV4-only mode) changes nothing, at the router or the region", async () => {
    for (const claim of ["pub-oy", "other-gmbh", "nobody", "../x"]) {
      const priv = await anon("/private-stuff/a.txt", { headers: { "x-customer-id": claim } });
      expect(priv.status).toBe(403);
      expect((await direct("FI-HEL", "/private-stuff/a.txt", { headers: { "x-customer-id": claim } })).status).toBe(403);
      expect((await direct("DE-FRA", "/site-assets/secret.txt", { headers: { "x-customer-id": claim } })).status).toBe(403);
      // The public bucket is the owner's whoever is claimed: never other-gmbh's same-named bucket.
      const pub = await anon("/site-assets/secret.txt", { headers: { "x-customer-id": claim } });
      expect(pub.status).toBe(404);
      expect(await (await anon("/site-assets/index.html", { headers: { "x-customer-id": claim } })).text()).toBe("hello public");
      expect((await anon("/site-assets/x", { method: "PUT", body: "x", headers: { "x-customer-id": claim } })).status).toBe(403);
    }
    // Served as the owner's whatever was claimed, and audited so.
    const forged = (await auditRows("pub-oy", "GetObject")).filter((r) => r.principal === "anonymous");
    expect(forged.length).toBeGreaterThanOrEqual(7);
    expect(forged.every((r) => r.customer_id === "pub-oy")).toBe(true);
    // A malformed Authorization header is not anonymous: refused as today, never served as a public read.
    const basic = await anon("/site-assets/index.html", { headers: { authorization: "Basic Zm9vOmJhcg==" } });
    expect(basic.status).toBe(400);
    expect(await basic.text()).not.toContain("hello public");
    expect((await direct("FI-HEL", "/site-assets/index.html", { headers: { authorization: "Bearer not-a-token" } })).status).toBe(403);
  });

  it("reports and restates the relaxed public access block for the allowed bucket only", async () => {
    const owner = sdk["pub-oy"]!;
    const pab = async (bucket: string) => (await owner.send(new GetPublicAccessBlockCommand({ Bucket: bucket }))).PublicAccessBlockConfiguration;
    expect(await pab("site-assets")).toEqual({ BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: false, RestrictPublicBuckets: false });
    expect(await pab("private-stuff")).toEqual({ BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true });
    const put = (bucket: string, cfg: Record<string, boolean>) => owner.send(new PutPublicAccessBlockCommand({ Bucket: bucket, PublicAccessBlockConfiguration: cfg }));
    await put("site-assets", { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: false, RestrictPublicBuckets: false });
    await expect(put("site-assets", { BlockPublicAcls: false, IgnorePublicAcls: true, BlockPublicPolicy: false, RestrictPublicBuckets: false })).rejects.toMatchObject({ name: "AccessDenied" });
    await expect(put("site-assets", { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true })).rejects.toMatchObject({ name: "InvalidRequest" });
    await expect(put("private-stuff", { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: false, RestrictPublicBuckets: false })).rejects.toMatchObject({ name: "AccessDenied" });
    // Another customer's same-named bucket stays fully blocked.
    expect((await sdk["other-gmbh"]!.send(new GetPublicAccessBlockCommand({ Bucket: "site-assets" }))).PublicAccessBlockConfiguration?.RestrictPublicBuckets).toBe(true);
  });

  it("refuses an unsigned or wrongly signed claim of a public name at the router", async () => {
    const body = JSON.stringify({ customer_id: "other-gmbh" });
    for (const headers of [{ "content-type": "application/json" }, { "content-type": "application/json", "x-s3gw-internal-signature": "t=1,v1=00" }]) {
      for (const method of ["PUT", "DELETE"]) {
        const res = await fetch(`${stack.global.url}/internal/public-buckets/site-assets`, { method, headers, body });
        expect([method, res.status]).toEqual([method, 401]);
      }
    }
    expect(await (await anon("/site-assets/index.html")).text()).toBe("hello public");
  });

  it("validates the rule: malformed or reserved names and non-arrays are 400, nothing saved", async () => {
    for (const bad of [["Site_Assets"], ["ab"], ["api"], "site-assets", [1], Array.from({ length: 101 }, (_, i) => `bucket-${i}`)]) {
      expect((await putRules("other-gmbh", bad)).status).toBe(400);
    }
  });

  it("applies the owner's GDPR restriction and cross-border rule to anonymous reads", async () => {
    await sdk["pub-oy"]!.send(new PutObjectCommand({ Bucket: "site-assets", Key: "team/jane.txt", Body: "jane", Metadata: { "data-subject-id": "jane@pub-oy.example" } }));
    expect(await (await anon("/site-assets/team/jane.txt")).text()).toBe("jane");
    const gdpr = (path: string, body?: object) => fetch(`${stack.regions["FI-HEL"].url}/api/gdpr${path}`, { method: "POST", headers: { "content-type": "application/json", ...adminAuth }, body: body ? JSON.stringify(body) : undefined });
    const dsr = (await (await gdpr("/requests", { customer_id: "pub-oy", data_subject_id: "jane@pub-oy.example", request_type: "restriction" })).json()) as { request_id: string };
    expect((await gdpr(`/requests/${dsr.request_id}/execute`)).status).toBe(200);
    for (const init of [{}, { method: "HEAD" }]) expect((await anon("/site-assets/team/jane.txt", init)).status).toBe(403);
    expect((await direct("FI-HEL", "/site-assets/team/jane.txt")).status).toBe(403);
    expect(await (await anon("/site-assets/index.html")).text()).toBe("hello public");

    // Cross-border block, unknown origins denied: straight to the region no trusted edge names the source.
    const rules = (extra: object) => fetch(`${stack.regions["FI-HEL"].url}/api/customers/pub-oy/rules`, { method: "PUT", headers: { "content-type": "application/json", ...adminAuth }, body: JSON.stringify({ ...RULES, public_read_buckets: ["site-assets"], ...extra }) });
    expect((await rules({ block_cross_border_access: true, unknown_source_country: "deny" })).status).toBe(200);
    const refused = await direct("FI-HEL", "/site-assets/index.html");
    expect(refused.status).toBe(403);
    expect(await refused.text()).not.toContain("hello public");
    expect((await rules({})).status).toBe(200);
    expect(await (await direct("FI-HEL", "/site-assets/index.html")).text()).toBe("hello public");
  });

  it("rule removed: anonymous reads are refused at once through this router and region; the name is free again", async () => {
    expect((await putRules("pub-oy", [])).status).toBe(200);
    const res = await anon("/site-assets/index.html");
    expect(res.status).toBe(403);
    expect(await codeOf(res)).toBe("AccessDenied");
    expect((await direct("FI-HEL", "/site-assets/index.html")).status).toBe(403);
    expect((await sdk["pub-oy"]!.send(new GetPublicAccessBlockCommand({ Bucket: "site-assets" }))).PublicAccessBlockConfiguration?.RestrictPublicBuckets).toBe(true);

    // other-gmbh may now claim the name: the router routes it to DE-FRA, and pub-oy's bucket is out of reach.
    expect((await putRules("other-gmbh", ["site-assets"])).status).toBe(200);
    expect(await (await anon("/site-assets/secret.txt")).text()).toBe("other-gmbh private");
    expect((await anon("/site-assets/index.html")).status).toBe(404);
    expect((await putRules("pub-oy", ["site-assets"])).status).toBe(409);
    expect((await putRules("other-gmbh", [])).status).toBe(200);
    expect((await anon("/site-assets/secret.txt")).status).toBe(403);
    await sdk["other-gmbh"]!.send(new DeleteObjectCommand({ Bucket: "site-assets", Key: "secret.txt" }));
  });
});
