import { Validator } from "@seriousme/openapi-schema-validator";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp, type AppDeps } from "../src/app.ts";
import { adminAuth, register, startFakeRegion, startRouter, topologyOf, type FakeRegion, type RouterHarness } from "./helpers.ts";
import { routeCoverage } from "@s3gw/openapi";

type Doc = { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>>; components?: unknown };

/** Not the JSON API: S3 (the catch-all and /s3), the console picker, metrics, signed internal calls, the document itself. */
const NOT_JSON_API = [/^\/console(\/|$)/, /^\/internal(\/|$)/, /^\/metrics$/, /^\/ops\/openapi\.json$/, /^\/ops\/docs(\/|$)/, /^\/s3(\/|$)/, /^\/\*$/, /^\/:/];

/** The route table of createApp: building it reads no dependency (every handler gets them per request). */
function routeTable() {
  const inert: unknown = new Proxy(function () {}, { get: (_t, p) => (p === Symbol.toPrimitive ? () => "" : inert), apply: () => inert, construct: () => inert as object });
  return createApp(inert as AppDeps).routes;
}

describe("OpenAPI document of the global router", () => {
  let fi: FakeRegion;
  let h: RouterHarness;
  let url: string;
  let doc: Doc;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);

  beforeAll(async () => {
    fi = await startFakeRegion("FI-HEL");
    h = await startRouter(topologyOf([{ regionId: "FI-HEL", url: fi.url, country: "FI" }]));
    url = h.router.url;
    const res = await fetch(`${url}/ops/openapi.json`);
    expect(res.status).toBe(200);
    doc = (await res.json()) as Doc;
    ajv.addSchema({ $id: "doc", components: doc.components });
  });
  afterAll(async () => {
    await h?.stop();
    await fi?.close();
  });

  it("describes every JSON route with its method and path, and nothing else", () => {
    const coverage = routeCoverage(routeTable(), doc.paths, NOT_JSON_API);
    expect(coverage.routes).toBeGreaterThanOrEqual(8);
    expect(coverage.missing).toEqual([]);
    // And nothing described that the app does not serve.
    expect(coverage.extra).toEqual([]);
  });

  it("is a valid OpenAPI 3.1 document", async () => {
    const result = await new Validator().validate(doc as unknown as Parameters<Validator["validate"]>[0]);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it("real answers, success and error, match their described schemas", async () => {
    let checked = 0;
    const check = async (res: Response, method: string, path: string, status: number) => {
      expect(res.status, `${method} ${path}`).toBe(status);
      const schema = doc.paths[path]?.[method]?.responses[String(status)]?.content?.["application/json"]?.schema;
      expect(schema, `${method} ${path} ${status} is described`).toBeDefined();
      const body = await res.json();
      const validate = ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"doc#/components/')));
      expect(validate(body) ? [] : validate.errors, `${method} ${path} ${status}: ${JSON.stringify(body).slice(0, 300)}`).toEqual([]);
      checked++;
    };
    const get = (p: string, headers: Record<string, string> = adminAuth) => fetch(`${url}${p}`, { headers });
    await check(await get("/health", {}), "get", "/health", 200);
    await check(await get("/regions", {}), "get", "/regions", 200);
    await check(await get("/providers", {}), "get", "/providers", 200);
    await check(await register(url, "acme-corp", "FI-HEL"), "post", "/routing/customers/{id}", 201);
    await check(await register(url, "acme-corp", "FI-HEL"), "post", "/routing/customers/{id}", 409);
    await check(await register(url, "other-corp", "XX-NOPE"), "post", "/routing/customers/{id}", 400);
    await check(await fetch(`${url}/routing/customers/third-corp?region_id=FI-HEL`, { method: "POST" }), "post", "/routing/customers/{id}", 401);
    await check(await get("/routing/customers/acme-corp"), "get", "/routing/customers/{id}", 200);
    await check(await get("/routing/customers/nobody-here"), "get", "/routing/customers/{id}", 404);
    await check(await get("/routing/customers"), "get", "/routing/customers", 200);
    await check(await get("/routing/customers?limit=501"), "get", "/routing/customers", 400);
    await check(await get("/ops/dashboard?format=json"), "get", "/ops/dashboard", 200);
    await check(await fetch(`${url}/routing/customers/acme-corp`, { method: "DELETE", headers: adminAuth }), "delete", "/routing/customers/{id}", 200);
    await check(await fetch(`${url}/routing/customers/acme-corp`, { method: "DELETE", headers: adminAuth }), "delete", "/routing/customers/{id}", 404);
    expect(checked).toBeGreaterThanOrEqual(10);
  });

  it("serves /ops/docs from the shipped swagger-ui-dist with its own CSP, without a token", async () => {
    const page = await fetch(`${url}/ops/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(await page.text()).not.toMatch(/https?:\/\//);
    const css = await fetch(`${url}/ops/docs/swagger-ui.css`);
    expect(css.status).toBe(200);
    expect(css.headers.get("content-type")).toContain("text/css");
    const unknown = await fetch(`${url}/ops/docs/index.html`);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe("NOT_FOUND");
    // /docs at the root is still S3 (a path-style bucket named docs): the router answers it as S3.
    const s3 = await fetch(`${url}/docs`);
    expect(s3.headers.get("content-type") ?? "").not.toContain("text/html");
  });
});
