import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminAuth, closedPort, eventually, json, register, send, startFakeRegion, startRouter, topologyOf, type FakeRegion, type RouterHarness } from "./helpers.ts";

let fi: FakeRegion;
let de: FakeRegion;
let h: RouterHarness;

const dashboard = async () => {
  const res = await fetch(`${h.router.url}/ops/dashboard`, { headers: { ...adminAuth, accept: "application/json" } });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  return json(res);
};
const s3 = (customer: string, headers: Record<string, string> = {}) => send(`${h.router.url}/s3/bucket/key`, { headers: { "x-customer-id": customer, ...headers } });

beforeAll(async () => {
  fi = await startFakeRegion("FI-HEL");
  de = await startFakeRegion("DE-FRA");
  h = await startRouter(
    topologyOf([
      { regionId: "FI-HEL", url: fi.url, country: "FI" },
      { regionId: "DE-FRA", url: de.url, country: "DE" },
      // Registered but unreachable: shows as down.
      { regionId: "US-EAST", url: `http://127.0.0.1:${await closedPort()}`, country: "US" },
    ]),
  );
  expect((await register(h.router.url, "acme-corp", "FI-HEL")).status).toBe(201);
  expect((await register(h.router.url, "globex", "DE-FRA")).status).toBe(201);
});
afterAll(async () => {
  await h?.stop();
  await fi?.close();
  await de?.close();
});

describe("global GET /ops/dashboard", () => {
  it("counts routed requests per region, with errors, latency and refusals before routing", async () => {
    const before = await dashboard();
    for (let i = 0; i < 5; i++) expect((await s3("acme-corp")).status).toBe(200);
    expect((await s3("acme-corp", { "x-test-status": "500" })).status).toBe(500);
    for (let i = 0; i < 3; i++) expect((await s3("globex")).status).toBe(200);
    expect((await s3("globex", { "x-test-status": "404" })).status).toBe(404);
    expect((await s3("nobody-here")).status).toBe(403);
    expect((await s3("nobody-here")).status).toBe(403);
    const after = await dashboard();

    const region = (d: any, id: string) => d.regions.find((r: any) => r.region_id === id);
    for (const w of ["last_5m", "last_60m"]) {
      const delta = (pick: (d: any) => any, field: string) => pick(after)[w][field] - pick(before)[w][field];
      expect(delta((d) => region(d, "FI-HEL"), "requests")).toBe(6);
      expect(delta((d) => region(d, "FI-HEL"), "server_errors")).toBe(1);
      expect(delta((d) => region(d, "FI-HEL"), "client_errors")).toBe(0);
      expect(delta((d) => region(d, "DE-FRA"), "requests")).toBe(4);
      expect(delta((d) => region(d, "DE-FRA"), "client_errors")).toBe(1);
      expect(delta((d) => region(d, "US-EAST"), "requests")).toBe(0);
      expect(delta((d) => d.totals, "requests")).toBe(10);
      expect(delta((d) => d.unrouted, "requests")).toBe(2);
      expect(delta((d) => d.unrouted, "client_errors")).toBe(2);
    }
    const fi5 = region(after, "FI-HEL").last_5m;
    expect(fi5.requests_per_minute).toBe(Math.round((fi5.requests / 5) * 100) / 100);
    expect(fi5.error_rate).toBe(Math.round((fi5.server_errors / fi5.requests) * 10_000) / 10_000);
    expect(fi5.latency_ms.p50).toBeGreaterThan(0);
    expect(fi5.latency_ms.p50).toBeLessThanOrEqual(fi5.latency_ms.p95);
    expect(fi5.latency_ms.p95).toBeLessThanOrEqual(fi5.latency_ms.p99);

    // Every routed lookup hit the map (registration fills it); each unknown id is a miss.
    expect(after.routing_cache.hits - before.routing_cache.hits).toBe(10);
    expect(after.routing_cache.misses - before.routing_cache.misses).toBe(2);
    const { hits, misses, hit_rate, entries } = after.routing_cache;
    expect(entries).toBe(2);
    expect(hit_rate).toBe(Math.round((hits / (hits + misses)) * 10_000) / 10_000);
  });

  it("reports region health, the database and the routing log", async () => {
    const d = await dashboard();
    expect(d).toMatchObject({ service: "global-router", database: "ok" });
    expect(d.regions.map((r: any) => [r.region_id, r.status])).toEqual([
      ["FI-HEL", "up"],
      ["DE-FRA", "up"],
      ["US-EAST", "down"],
    ]);
    expect(d.regions[0].endpoint).toBe(fi.url);
    // Ten routed requests so far; the buffer writes them off the request path.
    const written = await eventually(async () => {
      const log = (await dashboard()).routing_log;
      return log.written >= 10 ? log : undefined;
    });
    expect(written).toEqual({ buffered: 0, written: 10, dropped: 0, spooled: 0 });
  });

  it("answers curl with fixed-width text naming regions, health and cache", async () => {
    for (const accept of ["*/*", "text/plain", undefined]) {
      const res = await fetch(`${h.router.url}/ops/dashboard`, { headers: { ...adminAuth, ...(accept ? { accept } : {}) } });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/plain; charset=utf-8");
      const text = await res.text();
      const lines = text.trimEnd().split("\n");
      expect(lines[0]).toMatch(/^s3gw global router +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
      for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(100);
      for (const section of ["HEALTH", "REGIONS", "ROUTED REQUESTS"]) expect(lines.some((l) => l.startsWith(section)), section).toBe(true);
      expect(text).toMatch(/^ {2}routing cache {2}entries 2, hits \d+, misses \d+, hit rate \d+\.\d\d%$/m);
      expect(text).toMatch(new RegExp(`^ {2}US-EAST +down +http://127\\.0\\.0\\.1:\\d+$`, "m"));
      expect(text).toMatch(/^ {2}FI-HEL +5 min +6 +1\.20 +16\.67% +0\.00% /m);
      expect(text).toMatch(/^ {2}not routed +5 min +2 +0\.40 +0\.00% +100\.00% /m);
    }
    const forced = await fetch(`${h.router.url}/ops/dashboard?format=json`, { headers: adminAuth });
    expect((await json(forced)).service).toBe("global-router");
    expect((await fetch(`${h.router.url}/ops/dashboard?format=html`, { headers: adminAuth })).status).toBe(400);
  });
});
