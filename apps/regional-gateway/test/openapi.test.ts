import { Validator } from "@seriousme/openapi-schema-validator";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app.ts";
import { adminAuth, getAs, register, startTestRegion, type TestRegion } from "./harness.ts";
import { routeCoverage } from "@s3gw/openapi";

type Doc = { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>>; components?: unknown };

/** Hono `:id` → OpenAPI `{id}`. */
const NOT_JSON_API = [/^\/console(\/|$)/, /^\/internal(\/|$)/, /^\/metrics$/, /^\/ops\/openapi\.json$/, /^\/ops\/docs(\/|$)/, /^\/s3(\/|$)/];

describe("OpenAPI document of the regional gateway", () => {
  let gw: TestRegion;
  let doc: Doc;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);

  beforeAll(async () => {
    gw = await startTestRegion("FI-HEL");
    const res = await fetch(`${gw.url}/ops/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/json");
    doc = (await res.json()) as Doc;
    ajv.addSchema({ $id: "doc", components: doc.components });
  });
  afterAll(async () => gw?.destroy());

  it("describes every JSON route of the app with its method and path", () => {
    const coverage = routeCoverage(createApp(gw.deps).routes, doc.paths, NOT_JSON_API);
    expect(coverage.routes).toBeGreaterThan(60);
    expect(coverage.missing).toEqual([]);
    // And nothing described that the app does not serve.
    expect(coverage.extra).toEqual([]);
  });

  it("is a valid OpenAPI 3.1 document", async () => {
    const result = await new Validator().validate(doc as unknown as Parameters<Validator["validate"]>[0]);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect((doc as unknown as { openapi: string }).openapi).toBe("3.1.0");
  });

  /** Checks a real answer against the schema the document gives for its route and status. */
  async function conforms(res: Response, method: string, path: string): Promise<unknown> {
    const described = doc.paths[path]?.[method]?.responses[String(res.status)];
    expect(described, `${method} ${path} ${res.status} is described`).toBeDefined();
    const schema = described!.content?.["application/json"]?.schema;
    expect(schema, `${method} ${path} ${res.status} has a JSON schema`).toBeDefined();
    const body = await res.json();
    const validate = ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"doc#/components/')));
    expect(validate(body) ? [] : validate.errors, `${method} ${path} ${res.status}: ${JSON.stringify(body).slice(0, 300)}`).toEqual([]);
    return body;
  }

  const post = (path: string, body: unknown, headers: Record<string, string> = adminAuth, method = "POST") =>
    fetch(`${gw.url}${path}`, { method, headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });

  it("real answers, success and error, match their described schemas", async () => {
    const checked: string[] = [];
    const check = async (res: Response, method: string, path: string, status: number) => {
      expect(res.status, `${method} ${path}`).toBe(status);
      checked.push(`${method} ${path} ${status}`);
      return conforms(res, method, path);
    };
    await check(await fetch(`${gw.url}/health`), "get", "/health", 200);
    await check(await register(gw.url, "acme-corp"), "post", "/api/customers/{id}/register", 201);
    await check(await register(gw.url, "acme-corp"), "post", "/api/customers/{id}/register", 409);
    await check(await register(gw.url, "bad", { data_residency_requirement: "nowhere" }), "post", "/api/customers/{id}/register", 400);
    await check(await getAs(gw.url, "/api/customers"), "get", "/api/customers", 200);
    await check(await getAs(gw.url, "/api/customers?limit=0"), "get", "/api/customers", 400);
    await check(await getAs(gw.url, "/api/customers/acme-corp/info"), "get", "/api/customers/{id}/info", 200);
    await check(await getAs(gw.url, "/api/customers/nobody-here/info"), "get", "/api/customers/{id}/info", 404);
    await check(await getAs(gw.url, "/api/customers/acme-corp/info", {}), "get", "/api/customers/{id}/info", 401);
    await check(await post("/api/customers/acme-corp", { customer_name: "Acme Oy" }, adminAuth, "PATCH"), "patch", "/api/customers/{id}", 200);
    await check(await post("/api/customers/acme-corp/suspend", { reason: "unpaid", reads: "allowed" }), "post", "/api/customers/{id}/suspend", 200);
    await check(await post("/api/customers/acme-corp/resume", {}), "post", "/api/customers/{id}/resume", 200);
    const token = (await check(await post("/api/tokens", { name: "auditor", role: "auditor" }), "post", "/api/tokens", 201)) as { token: string };
    await check(await post("/api/tokens", { name: "x", role: "emperor" }), "post", "/api/tokens", 400);
    await check(await getAs(gw.url, "/api/tokens"), "get", "/api/tokens", 200);
    await check(await getAs(gw.url, "/api/tokens", { authorization: `Bearer ${token.token}` }), "get", "/api/tokens", 403);
    await check(await post("/api/customers/acme-corp/access-keys", { description: "laptop" }), "post", "/api/customers/{id}/access-keys", 201);
    await check(await getAs(gw.url, "/api/customers/acme-corp/access-keys"), "get", "/api/customers/{id}/access-keys", 200);
    await check(await getAs(gw.url, "/api/customers/acme-corp/rules"), "get", "/api/customers/{id}/rules", 200);
    await check(await getAs(gw.url, "/api/compliance/summary", { ...adminAuth, "x-customer-id": "acme-corp" }), "get", "/api/compliance/summary", 200);
    await check(await post("/api/gdpr/requests", { customer_id: "acme-corp", data_subject_id: "john@acme.fi", request_type: "access" }), "post", "/api/gdpr/requests", 201);
    await check(await getAs(gw.url, "/api/gdpr/requests"), "get", "/api/gdpr/requests", 200);
    await check(await getAs(gw.url, "/api/gdpr/requests/not-a-uuid"), "get", "/api/gdpr/requests/{id}", 400);
    await check(await getAs(gw.url, "/api/audit/verify"), "get", "/api/audit/verify", 200);
    await check(await getAs(gw.url, "/api/audit/operations?limit=5"), "get", "/api/audit/operations", 200);
    await check(await getAs(gw.url, "/api/compliance/alerts"), "get", "/api/compliance/alerts", 200);
    await check(await getAs(gw.url, "/ops/dashboard?format=json"), "get", "/ops/dashboard", 200);
    expect(checked.length).toBeGreaterThanOrEqual(10);
  });

  it("a response that breaks its schema is caught (the check can fail)", async () => {
    const res = new Response(JSON.stringify({ error: { code: "X", message: "m" } }), { status: 404 });
    const schema = doc.paths["/api/customers/{id}/info"]!.get!.responses["404"]!.content!["application/json"]!.schema;
    const validate = ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"doc#/components/')));
    expect(validate(await res.json())).toBe(false);
  });

  it("serves /ops/docs from the shipped swagger-ui-dist with its own CSP, open and not audited", async () => {
    const page = await fetch(`${gw.url}/ops/docs`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("/ops/docs/swagger-ui-bundle.js");
    expect(html).not.toMatch(/https?:\/\//);
    const csp = page.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("script-src 'self'");
    const bundle = await fetch(`${gw.url}/ops/docs/swagger-ui-bundle.js`);
    expect(bundle.status).toBe(200);
    expect((await bundle.arrayBuffer()).byteLength).toBeGreaterThan(100_000);
    expect((await fetch(`${gw.url}/ops/docs/init.js`)).status).toBe(200);
    const unknown = await fetch(`${gw.url}/ops/docs/..%2f..%2fpackage.json`);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe("NOT_FOUND");
    // No operations-log row for the document or the page: the last rows are the API calls only.
    await expect
      .poll(async () => {
        const ops = (await (await getAs(gw.url, "/api/audit/operations?limit=500")).json()) as { items: Array<{ operation: string }> };
        return ops.items.some((o) => o.operation === "VerifyAuditChain");
      })
      .toBe(true);
    const ops = (await (await getAs(gw.url, "/api/audit/operations?limit=500")).json()) as { items: unknown[] };
    expect(JSON.stringify(ops.items)).not.toMatch(/openapi|\/ops\/docs/);
  });
});
