import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closedPort, json, register, startFakeRegion, startRouter, topologyOf, type FakeRegion, type RouterHarness } from "./helpers.ts";

describe("health and registry", () => {
  let fi: FakeRegion;
  let h: RouterHarness;
  let downUrl: string;

  beforeAll(async () => {
    fi = await startFakeRegion("FI-HEL");
    downUrl = `http://127.0.0.1:${await closedPort()}`;
    h = await startRouter(
      topologyOf([
        { regionId: "FI-HEL", url: fi.url, country: "FI" },
        { regionId: "US-EAST", url: downUrl, country: "US" },
      ]),
    );
  });
  afterAll(async () => {
    await h?.stop();
    await fi?.close();
  });

  it("reports the database, each region's reachability and the routing cache", async () => {
    const res = await fetch(`${h.router.url}/health`);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    const body = await json(res);
    expect(body).toEqual({
      status: "degraded",
      service: "global-router",
      database: "ok",
      regions: [
        { region_id: "FI-HEL", endpoint: fi.url, status: "up", endpoints: [{ endpoint: fi.url, status: "up" }] },
        { region_id: "US-EAST", endpoint: downUrl, status: "down", endpoints: [{ endpoint: downUrl, status: "down" }] },
      ],
      circuits: [
        { region_id: "FI-HEL", state: "closed", consecutive_failures: 0, opened_at: null, endpoints: [{ endpoint: fi.url, state: "closed", consecutive_failures: 0, opened_at: null, in_flight: 0 }] },
        { region_id: "US-EAST", state: "closed", consecutive_failures: 0, opened_at: null, endpoints: [{ endpoint: downUrl, state: "closed", consecutive_failures: 0, opened_at: null, in_flight: 0 }] },
      ],
      routing_cache: { entries: 0, hits: 0, misses: 0 },
    });
  });

  it("lists the regions from the topology with their legal zones and every gateway's probe and circuit", async () => {
    const gateway = (endpoint: string, health: string) => ({ endpoint, health, circuit: { state: "closed", consecutive_failures: 0, opened_at: null, in_flight: 0 } });
    const res = await fetch(`${h.router.url}/regions`);
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body.regions).toEqual([
      { region_id: "FI-HEL", name: "Region FI-HEL", country: "FI", legal_zone: "EU", gateway_endpoint: fi.url, status: "active", endpoints: [gateway(fi.url, "up")] },
      { region_id: "US-EAST", name: "Region US-EAST", country: "US", legal_zone: "US", gateway_endpoint: downUrl, status: "active", endpoints: [gateway(downUrl, "down")] },
    ]);
  });

  it("lists the storage providers", async () => {
    const res = await fetch(`${h.router.url}/providers`);
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body.providers).toEqual([
      { provider_id: "fi-hel-fs", provider_type: "fs", region_id: "FI-HEL", country: "FI", legal_zone: "EU", endpoint: null, status: "active" },
      { provider_id: "us-east-fs", provider_type: "fs", region_id: "US-EAST", country: "US", legal_zone: "US", endpoint: null, status: "active" },
    ]);
  });

  it("stores jurisdiction info for each region", async () => {
    const rows = await h.db.db.query.regions.findMany();
    expect(rows.find((r) => r.regionId === "FI-HEL")?.jurisdictionInfo).toEqual({ country: "FI", legal_zone: "EU" });
  });

  it("answers unknown management paths with the JSON error envelope", async () => {
    const res = await fetch(`${h.router.url}/regions/nope`);
    expect(res.status).toBe(404);
    const body = await json(res);
    expect(body.error.code).toBe("NOT_FOUND");
    expect(body.error.requestId).toBe(res.headers.get("x-request-id"));
  });
});

describe("restart on an existing database", () => {
  it("re-publishes the topology and marks regions that left it inactive", async () => {
    const fi = await startFakeRegion("FI-HEL");
    const de = await startFakeRegion("DE-FRA");
    const h = await startRouter(
      topologyOf([
        { regionId: "FI-HEL", url: fi.url, country: "FI" },
        { regionId: "DE-FRA", url: de.url, country: "DE" },
      ]),
    );
    try {
      expect((await register(h.router.url, "acme-corp", "FI-HEL")).status).toBe(201);
      await h.router.close();
      const { startGlobalRouter } = await import("../src/start.ts");
      const { pino } = await import("pino");
      const again = await startGlobalRouter(
        { ...h.config, topology: topologyOf([{ regionId: "FI-HEL", url: fi.url, country: "FI" }]) },
        { logger: pino({ level: "silent" }) },
      );
      try {
        const regions = (await json(await fetch(`${again.url}/regions`))).regions as Array<{ region_id: string; status: string }>;
        expect(regions.map((r) => [r.region_id, r.status])).toEqual([
          ["DE-FRA", "inactive"],
          ["FI-HEL", "active"],
        ]);
        // The routing loaded at start-up survives the restart.
        const health = await json(await fetch(`${again.url}/health`));
        expect(health.routing_cache.entries).toBe(1);
      } finally {
        await again.close();
      }
    } finally {
      await h.stop();
      await fi.close();
      await de.close();
    }
  });
});
