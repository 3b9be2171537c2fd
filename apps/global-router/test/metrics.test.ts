import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scrapeMetrics } from "../../../test/support/prometheus.ts";
import { closedPort, register, send, startFakeRegion, startRouter, topologyOf, type FakeRegion, type RouterHarness } from "./helpers.ts";

let fi: FakeRegion;
let h: RouterHarness;

const scrape = () => scrapeMetrics(h.router.url);

beforeAll(async () => {
  fi = await startFakeRegion("FI-HEL");
  h = await startRouter(
    topologyOf([
      { regionId: "FI-HEL", url: fi.url, country: "FI" },
      { regionId: "US-EAST", url: `http://127.0.0.1:${await closedPort()}`, country: "US" },
    ]),
  );
  expect((await register(h.router.url, "acme-corp", "FI-HEL")).status).toBe(201);
});
afterAll(async () => {
  await h?.stop();
  await fi?.close();
});

describe("global GET /metrics", () => {
  it("is open and declares the router's metrics in Prometheus exposition", async () => {
    const m = await scrape();
    for (const [name, type] of [
      ["s3gw_router_requests_total", "counter"],
      ["s3gw_router_request_duration_seconds", "histogram"],
      ["s3gw_router_bytes_in_total", "counter"],
      ["s3gw_router_bytes_out_total", "counter"],
      ["s3gw_router_routing_cache_hits_total", "counter"],
      ["s3gw_router_routing_cache_misses_total", "counter"],
      ["s3gw_router_routing_cache_entries", "gauge"],
      ["s3gw_router_routing_log_queue_depth", "gauge"],
      ["s3gw_router_region_up", "gauge"],
      ["process_cpu_user_seconds_total", "counter"],
    ]) {
      expect(m.types.get(name!), name).toBe(type);
    }
    expect(m.value("s3gw_router_region_up", { region: "FI-HEL" })).toBe(1);
    expect(m.value("s3gw_router_region_up", { region: "US-EAST" })).toBe(0);
    expect(m.value("s3gw_router_routing_cache_entries")).toBe(1);
  });

  it("counts routed requests, latencies and bytes per region, and refusals under region none", async () => {
    const before = await scrape();
    const headers = { "x-customer-id": "acme-corp" };
    let bytesOut = 0;
    for (let i = 0; i < 3; i++) {
      const res = await send(`${h.router.url}/s3/bucket/key-${i}`, { method: "PUT", headers: { ...headers, "content-length": "1000" }, body: "x".repeat(1000) });
      expect(res.status).toBe(200);
      bytesOut += Number(res.headers["content-length"]);
    }
    const failed = await send(`${h.router.url}/s3/bucket/key`, { headers: { ...headers, "x-test-status": "503" } });
    expect(failed.status).toBe(503);
    expect((await send(`${h.router.url}/s3/bucket/key`, { headers: { "x-customer-id": "nobody-here" } })).status).toBe(403);
    const after = await scrape();
    const delta = (name: string, labels?: Record<string, string>) => after.value(name, labels) - before.value(name, labels);
    expect(delta("s3gw_router_requests_total", { region: "FI-HEL", status: "200" })).toBe(3);
    expect(delta("s3gw_router_requests_total", { region: "FI-HEL", status: "503" })).toBe(1);
    expect(delta("s3gw_router_requests_total", { region: "none", status: "403" })).toBe(1);
    expect(delta("s3gw_router_request_duration_seconds_count", { region: "FI-HEL" })).toBe(4);
    expect(delta("s3gw_router_request_duration_seconds_bucket", { region: "FI-HEL", le: "+Inf" })).toBe(4);
    // Only successful exchanges count: the 503's body is an error, not relayed data.
    expect(delta("s3gw_router_bytes_in_total", { region: "FI-HEL" })).toBe(3000);
    expect(delta("s3gw_router_bytes_out_total", { region: "FI-HEL" })).toBe(bytesOut);
    expect(delta("s3gw_router_routing_cache_hits_total")).toBe(4);
    expect(delta("s3gw_router_routing_cache_misses_total")).toBe(1);
  });

  it("carries no customer ids", async () => {
    const m = await scrape();
    expect(m.text).not.toContain("acme-corp");
    expect(m.text).not.toContain("nobody-here");
    const routed = m.samples.filter((s) => s.name === "s3gw_router_requests_total");
    expect(routed.length).toBeGreaterThan(0);
    for (const s of routed) expect(Object.keys(s.labels).sort()).toEqual(["region", "status"]);
  });
});
