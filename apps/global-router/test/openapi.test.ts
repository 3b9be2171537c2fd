import { Validator } from "@seriousme/openapi-schema-validator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp, type AppDeps } from "../src/app.ts";
import { startFakeRegion, startRouter, topologyOf, type FakeRegion, type RouterHarness } from "./helpers.ts";
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

  beforeAll(async () => {
    fi = await startFakeRegion("FI-HEL");
    h = await startRouter(topologyOf([{ regionId: "FI-HEL", url: fi.url, country: "FI" }]));
    url = h.router.url;
    const res = await fetch(`${url}/ops/openapi.json`);
    expect(res.status).toBe(200);
    doc = (await res.json()) as Doc;
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
