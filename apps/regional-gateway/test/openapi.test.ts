import { Validator } from "@seriousme/openapi-schema-validator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app.ts";
import { getAs, startTestRegion, type TestRegion } from "./harness.ts";
import { routeCoverage } from "@s3gw/openapi";

type Doc = { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>>; components?: unknown };

/** Hono `:id` → OpenAPI `{id}`. */
const NOT_JSON_API = [/^\/console(\/|$)/, /^\/internal(\/|$)/, /^\/metrics$/, /^\/ops\/openapi\.json$/, /^\/ops\/docs(\/|$)/, /^\/s3(\/|$)/];

describe("OpenAPI document of the regional gateway", () => {
  let gw: TestRegion;
  let doc: Doc;

  beforeAll(async () => {
    gw = await startTestRegion("FI-HEL");
    const res = await fetch(`${gw.url}/ops/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/json");
    doc = (await res.json()) as Doc;
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
    expect((await getAs(gw.url, "/api/audit/verify")).status).toBe(200);
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
