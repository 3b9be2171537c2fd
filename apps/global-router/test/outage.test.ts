import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "@s3gw/db/testing";
import { pino } from "pino";
import { startGlobalRouter, type RunningGlobalRouter } from "../src/start.ts";
import { adminToken, json, register, send, startFakeRegion, topologyOf, type FakeRegion } from "./helpers.ts";

describe("global database outage", () => {
  let fi: FakeRegion;
  let router: RunningGlobalRouter;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    fi = await startFakeRegion("FI-HEL");
    const testDb = await createTestDatabase("global_router_outage");
    drop = testDb.drop;
    router = await startGlobalRouter(
      {
        port: 0,
        host: "127.0.0.1",
        database: { url: testDb.url },
        topology: topologyOf([{ regionId: "FI-HEL", url: fi.url, country: "FI" }]),
        upstream: { connectTimeoutMs: 1_000, headersTimeoutMs: 5_000, bodyTimeoutMs: 10_000 },
        routingRefreshMs: 200,
        logLevel: "silent",
        adminToken,
        trustedCustomerHeader: true,
      },
      { logger: pino({ level: "silent" }), shutdownGraceMs: 500 },
    );
    expect((await register(router.url, "acme-corp", "FI-HEL")).status).toBe(201);
    await drop();
  });
  afterAll(async () => {
    await router?.close();
    await drop?.();
    await fi?.close();
  });

  it("reports 503 with the database down", async () => {
    const res = await fetch(`${router.url}/health`);
    expect(res.status).toBe(503);
    const body = await json(res);
    expect(body).toMatchObject({ status: "degraded", database: "down" });
    expect(body.regions).toEqual([{ region_id: "FI-HEL", endpoint: fi.url, status: "up", endpoints: [{ endpoint: fi.url, status: "up" }] }]);
  });

  it("keeps routing known customers from memory, across failed refreshes", async () => {
    await new Promise((r) => setTimeout(r, 500));
    const res = await send(`${router.url}/s3/bucket/key`, { headers: { "x-customer-id": "acme-corp" } });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body.toString()).region).toBe("FI-HEL");
  });

  it("answers the management API with 503 JSON, and unknown S3 customers with 503 XML", async () => {
    const api = await fetch(`${router.url}/regions`);
    expect(api.status).toBe(503);
    expect((await json(api)).error.code).toBe("SERVICE_UNAVAILABLE");
    const s3 = await send(`${router.url}/s3/bucket/key`, { headers: { "x-customer-id": "someone-new" } });
    expect(s3.status).toBe(503);
    expect(s3.body.toString()).toContain("<Code>ServiceUnavailable</Code>");
  });

  it("still shuts down promptly", async () => {
    const started = Date.now();
    await router.close();
    // Bounded, not fast: a hang here would mean a shutdown that never ends.
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});
