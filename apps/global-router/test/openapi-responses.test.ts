import { createTestDatabase } from "@s3gw/db/testing";
import { conformance, type Conformance, type OpenApiDoc } from "@s3gw/openapi/testing";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGlobalRouter } from "../src/start.ts";
import { adminAuth, closedPort, register, startFakeRegion, startRouter, type FakeRegion, type RouterHarness } from "./helpers.ts";

/**
 * Every documented JSON operation of a started global router answers, on its happy path and on
 * at least one error, a body that validates against the schema its document gives for that
 * status (exact objects: a field the schema does not name fails).
 */
describe("global router answers match their OpenAPI schemas", () => {
  let fi: FakeRegion;
  let h: RouterHarness;
  let url: string;
  let dead: string;
  let doc: OpenApiDoc;
  let c: Conformance;

  beforeAll(async () => {
    fi = await startFakeRegion("FI-HEL");
    dead = `http://127.0.0.1:${await closedPort()}`;
    // FI-HEL has two gateways, one of them down: /regions and /health name both.
    h = await startRouter({
      regions: [
        { region_id: "FI-HEL", name: "Helsinki", country: "FI", endpoints: [fi.url, dead], provider: { provider_id: "fi-hel-fs", type: "fs", country: "FI" } },
        { region_id: "DE-FRA", name: "Frankfurt", country: "DE", endpoint: dead, provider: { provider_id: "de-fra-fs", type: "fs", country: "DE" } },
      ],
    });
    url = h.router.url;
    doc = (await (await fetch(`${url}/ops/openapi.json`)).json()) as OpenApiDoc;
    c = conformance(doc);
  });
  afterAll(async () => {
    await h?.stop();
    await fi?.close();
  });

  async function expectAnswer<T = Record<string, unknown>>(base: string, status: number, method: string, documented: string, actual: string, headers: Record<string, string> = adminAuth): Promise<T> {
    const res = await fetch(`${base}${actual}`, { method: method.toUpperCase(), headers });
    const checked = await c.check(res, method, documented);
    expect.soft(checked.status, `${method} ${actual}: ${JSON.stringify(checked.body).slice(0, 500)}`).toBe(status);
    expect.soft(checked.problems, `${method} ${actual} ${status}: ${JSON.stringify(checked.problems).slice(0, 3000)}`).toEqual([]);
    return checked.body as T;
  }

  it("the check fails on an unnamed field and a wrong type", async () => {
    const body = { customer_id: "a", routed: true, primary_region: "FI-HEL", access_keys_removed: 0, public_buckets_removed: 0 };
    const answer = (b: unknown) => new Response(JSON.stringify(b), { status: 200 });
    expect((await c.check(answer(body), "delete", "/routing/customers/{id}")).problems).toEqual([]);
    expect((await c.check(answer({ ...body, region: "x" }), "delete", "/routing/customers/{id}")).problems).not.toEqual([]);
    expect((await c.check(answer({ ...body, routed: "yes" }), "delete", "/routing/customers/{id}")).problems).not.toEqual([]);
  });

  it("the happy path of every JSON operation, and an error of each", async () => {
    const ok = <T = Record<string, unknown>>(status: number, method: string, documented: string, actual: string, headers?: Record<string, string>) => expectAnswer<T>(url, status, method, documented, actual, headers);
    const health = await ok(200, "get", "/health", "/health", {});
    expect(health.status).toBe("degraded");
    const regions = await ok<{ regions: Array<{ region_id: string; endpoints: Array<{ endpoint: string; health: string; circuit: { state: string } }> }> }>(200, "get", "/regions", "/regions", {});
    expect(regions.regions.find((r) => r.region_id === "FI-HEL")!.endpoints.map((e) => [e.endpoint, e.health, e.circuit.state])).toEqual([
      [fi.url, "up", "closed"],
      [dead, "down", "closed"],
    ]);
    await ok(200, "get", "/providers", "/providers", {});
    expect((await register(url, "acme-corp", "FI-HEL")).status).toBe(201);
    await ok(201, "post", "/routing/customers/{id}", "/routing/customers/other-corp?region_id=FI-HEL");
    await ok(200, "get", "/routing/customers/{id}", "/routing/customers/acme-corp");
    await ok(200, "get", "/routing/customers", "/routing/customers");
    await ok(200, "get", "/ops/dashboard", "/ops/dashboard?format=json");
    await ok(200, "delete", "/routing/customers/{id}", "/routing/customers/acme-corp");
    expect(c.unseen().success).toEqual([]);

    // Without a token: every authenticated operation answers 401 in the documented error shape.
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops as Record<string, { security?: unknown[] }>)) {
        if (op.security?.length !== 0) await ok(401, method, path, path.replace("{id}", "acme-corp"), {});
      }
    }
    await ok(409, "post", "/routing/customers/{id}", "/routing/customers/other-corp?region_id=FI-HEL");
    await ok(400, "post", "/routing/customers/{id}", "/routing/customers/third-corp?region_id=XX-NOPE");
    await ok(400, "post", "/routing/customers/{id}", "/routing/customers/NOT_AN_ID?region_id=FI-HEL");
    await ok(404, "get", "/routing/customers/{id}", "/routing/customers/nobody-here");
    await ok(400, "get", "/routing/customers", "/routing/customers?limit=501");
    await ok(404, "delete", "/routing/customers/{id}", "/routing/customers/acme-corp");
    await ok(400, "get", "/ops/dashboard", "/ops/dashboard?format=yaml");
  });

  it("the open operations' answers with the global database down", async () => {
    const db = await createTestDatabase("global_router_openapi");
    const router = await startGlobalRouter(
      { ...h.config, port: 0, database: { url: db.url }, logLevel: "silent" },
      { logger: pino({ level: "silent" }), shutdownGraceMs: 500 },
    );
    try {
      await db.drop();
      await expectAnswer(router.url, 503, "get", "/health", "/health", {});
      await expectAnswer(router.url, 503, "get", "/regions", "/regions", {});
      await expectAnswer(router.url, 503, "get", "/providers", "/providers", {});
      await expectAnswer(router.url, 503, "get", "/routing/customers", "/routing/customers", adminAuth);
    } finally {
      await router.close();
    }
    expect(c.unseen().error).toEqual([]);
  });
});
