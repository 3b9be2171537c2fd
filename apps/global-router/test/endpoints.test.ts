import { createHash, randomBytes } from "node:crypto";
import net, { type AddressInfo } from "node:net";
import type { Topology } from "@s3gw/core";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.ts";
import { RegionDirectory } from "../src/regions.ts";
import { closedPort, eventually, register, send, startFakeRegion, startRouter, type FakeRegion, type RouterHarness } from "./helpers.ts";

/** Several stateless gateways per region: topology syntax, balancing, per-gateway circuits, the one safe retry. */

const provider = { provider_id: "fi-hel-fs", type: "fs" as const, country: "FI" };
const regionWith = (endpoints: string[]): Topology => ({ regions: [{ region_id: "FI-HEL", name: "Helsinki", country: "FI", endpoints, provider }] });
const asCustomer = { "x-customer-id": "multi-co" };
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const answeredBy = (r: { headers: Record<string, unknown> }) => r.headers["x-upstream-region"];

/**
 * A gateway that accepts the connection, reads the request and resets it: a GET or DELETE as
 * soon as its head arrived, a request with a body only after `bodyBytes` of it arrived (so the
 * router has surely sent part of the body).
 */
async function startResettingGateway(bodyBytes: number): Promise<{ url: string; requests: string[]; close(): Promise<void> }> {
  const requests: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on("error", () => {});
    let got = Buffer.alloc(0);
    sock.on("data", (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      const head = got.indexOf("\r\n\r\n");
      if (head < 0) return;
      const line = got.subarray(0, got.indexOf("\r\n")).toString();
      const hasBody = /^(PUT|POST)/.test(line);
      if (hasBody && got.length - head - 4 < bodyBytes) return;
      requests.push(line);
      sock.resetAndDestroy();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise<void>((r) => (sockets.forEach((s) => s.destroy()), server.close(() => r()))),
  };
}

describe("topology with several endpoints per region", () => {
  const env = (topology: unknown) => ({ DATABASE_URL: "postgres://x@127.0.0.1/x", TOPOLOGY_JSON: JSON.stringify(topology) });
  const region = (extra: Record<string, unknown>) => ({ regions: [{ region_id: "FI-HEL", name: "Helsinki", country: "FI", provider, ...extra }] });

  it("reads endpoints as a list and a single endpoint as a list of one", () => {
    const many = loadConfig(env(region({ endpoints: ["http://10.0.0.1:8001", "http://10.0.0.2:8001/"] })));
    expect(new RegionDirectory(many.topology).get("FI-HEL")).toMatchObject({ endpoint: "http://10.0.0.1:8001", endpoints: ["http://10.0.0.1:8001", "http://10.0.0.2:8001"] });
    const one = loadConfig(env(region({ endpoint: "http://10.0.0.1:8001" })));
    expect(new RegionDirectory(one.topology).get("FI-HEL")?.endpoints).toEqual(["http://10.0.0.1:8001"]);
  });

  it.each([
    ["both endpoint and endpoints", { endpoint: "http://a:1", endpoints: ["http://b:1"] }, /either endpoint or endpoints/],
    ["an empty list", { endpoints: [] }, /at least one URL/],
    ["neither", {}, /endpoint \(or endpoints\) is required/],
    ["a duplicate", { endpoints: ["http://a:1", "http://a:1/"] }, /distinct/],
    ["a non-URL", { endpoints: ["http://a:1", "not a url"] }, /endpoints\.1/],
  ])("refuses %s with a config error naming the problem", (_what, extra, message) => {
    expect(() => loadConfig(env(region(extra)))).toThrow(ConfigError);
    expect(() => loadConfig(env(region(extra)))).toThrow(message);
  });
});

describe("balancing across a region's gateways", () => {
  let a: FakeRegion;
  let b: FakeRegion;
  let h: RouterHarness | undefined;
  const stops: Array<() => Promise<void>> = [];

  afterEach(async () => {
    await h?.stop();
    h = undefined;
    for (const stop of stops.splice(0)) await stop();
  });
  afterAll(async () => {
    for (const stop of stops.splice(0)) await stop();
  });

  const start = async (endpoints: string[]) => {
    h = await startRouter(regionWith(endpoints), { circuit: { failureThreshold: 2, slowRequestMs: 300, probeTimeoutMs: 500, probeIntervalMs: 200 } });
    expect((await register(h.router.url, "multi-co", "FI-HEL")).status).toBe(201);
    return h.router.url;
  };

  it("spreads requests over both gateways (least in flight, ties round-robin)", async () => {
    a = await startFakeRegion("A");
    b = await startFakeRegion("B");
    stops.push(a.close, b.close);
    const url = await start([a.url, b.url]);
    const by: Record<string, number> = {};
    for (let i = 0; i < 20; i++) {
      const res = await send(`${url}/bkt/k${i}`, { headers: asCustomer });
      expect(res.status).toBe(200);
      by[String(answeredBy(res))] = (by[String(answeredBy(res))] ?? 0) + 1;
    }
    expect(by).toEqual({ A: 10, B: 10 });
    const health = (await (await fetch(`${url}/health`)).json()) as any;
    expect(health.status).toBe("healthy");
    expect(health.regions[0].endpoints).toEqual([{ endpoint: a.url, status: "up" }, { endpoint: b.url, status: "up" }]);
  }, 30_000);

  it("sends new requests to the gateway with fewer in flight, not blindly in turn", async () => {
    a = await startFakeRegion("A");
    b = await startFakeRegion("B");
    stops.push(a.close, b.close);
    const url = await start([a.url, b.url]);
    // One request that A holds (it never answers): A has one in flight, B none.
    const held = new AbortController();
    const stalled = fetch(`${url}/bkt/held`, { headers: { ...asCustomer, "x-test-mode": "stall" }, signal: held.signal }).catch(() => undefined);
    await eventually(async () => (a.seen.some((s) => s.url.endsWith("/held")) ? true : undefined));
    const by: string[] = [];
    for (let i = 0; i < 6; i++) by.push(String(answeredBy(await send(`${url}/bkt/n${i}`, { headers: asCustomer }))));
    expect(by).toEqual(["B", "B", "B", "B", "B", "B"]);
    held.abort();
    await stalled;
  }, 30_000);

  it("serves from the live gateway when the other refuses connections, retrying GETs and not-yet-sent PUTs there", async () => {
    a = await startFakeRegion("A");
    stops.push(a.close);
    const dead = `http://127.0.0.1:${await closedPort()}`;
    const url = await start([a.url, dead]);
    for (let i = 0; i < 8; i++) {
      const get = await send(`${url}/bkt/g${i}`, { headers: asCustomer });
      expect(get.status).toBe(200);
      const body = randomBytes(64 * 1024 + i);
      const put = await send(`${url}/bkt/p${i}`, { method: "PUT", headers: { ...asCustomer, "content-length": String(body.length) }, body });
      expect(put.status).toBe(200);
      // The whole body reached the live gateway, once.
      expect(JSON.parse(put.body.toString())).toMatchObject({ region: "A", bodyLength: body.length, bodySha256: sha(body) });
    }
    expect(a.seen.filter((s) => s.method === "PUT")).toHaveLength(8);
    const circuits = await eventually(async () => {
      const health = (await (await fetch(`${url}/health`)).json()) as any;
      return health.circuits[0].endpoints[1].state === "open" ? health : undefined;
    });
    // The region is up (one gateway serves it), degraded (one is down).
    expect(circuits.status).toBe("degraded");
    expect(circuits.circuits[0]).toMatchObject({ region_id: "FI-HEL", state: "closed" });
    expect(circuits.regions[0]).toMatchObject({ status: "up", endpoints: [{ endpoint: a.url, status: "up" }, { endpoint: dead, status: "down" }] });
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toContain(`s3gw_router_endpoint_circuit_open{region="FI-HEL",endpoint="${dead}"} 1`);
    expect(metrics).toContain(`s3gw_router_endpoint_circuit_open{region="FI-HEL",endpoint="${a.url}"} 0`);
    // GET /regions names both gateways with their probe and their circuit, not only the first.
    const regions = (await (await fetch(`${url}/regions`)).json()) as any;
    const gateways = regions.regions.find((r: { region_id: string }) => r.region_id === "FI-HEL").endpoints;
    expect(gateways.map((g: { endpoint: string; health: string; circuit: { state: string } }) => [g.endpoint, g.health, g.circuit.state])).toEqual([
      [a.url, "up", "closed"],
      [dead, "down", "open"],
    ]);
    expect(gateways[1].circuit.opened_at).not.toBeNull();
  }, 30_000);

  it("never replays a request whose body was partly sent, nor a reset DELETE; a reset GET goes to the other gateway", async () => {
    a = await startFakeRegion("A");
    const resetting = await startResettingGateway(128 * 1024);
    stops.push(a.close, resetting.close);
    const url = await start([resetting.url, a.url]);
    const outcomes: Array<{ method: string; key: string; status: number }> = [];
    // Round-robin over two gateways: of each two requests, one meets the resetting gateway.
    for (let i = 0; i < 4; i++) {
      const body = randomBytes(1024 * 1024);
      const put = await send(`${url}/bkt/partial${i}`, { method: "PUT", headers: { ...asCustomer, "content-length": String(body.length) }, body }).catch(() => ({ status: 0, headers: {}, body: Buffer.alloc(0) }));
      outcomes.push({ method: "PUT", key: `partial${i}`, status: put.status });
    }
    const failedPuts = outcomes.filter((o) => o.status !== 200);
    expect(failedPuts.length).toBeGreaterThan(0);
    for (const o of failedPuts) {
      expect(o.status).toBe(503);
      // The resetting gateway had part of the body: the request was not sent again anywhere.
      expect(a.seen.some((s) => s.url.endsWith(o.key))).toBe(false);
    }
    expect(resetting.requests.filter((r) => r.startsWith("PUT"))).toHaveLength(failedPuts.length);
    // The breaker may now have that gateway open: let it close (its probes fail, so wait for a fresh router).
    await h!.stop();
    h = undefined;
    const url2 = await start([resetting.url, a.url]);
    // The first pick is the resetting gateway: the GET is reset there and retried on A.
    const get = await send(`${url2}/bkt/readable`, { headers: asCustomer });
    expect(get.status).toBe(200);
    expect(answeredBy(get)).toBe("A");
    expect(resetting.requests.filter((r) => r.startsWith("GET /bkt/readable"))).toHaveLength(1);
    // The retry went to A, so the next pick is the resetting one again: a DELETE may have arrived there, it is not replayed.
    const del = await send(`${url2}/bkt/victim`, { method: "DELETE", headers: asCustomer });
    expect(del.status).toBe(503);
    expect(resetting.requests.filter((r) => r.startsWith("DELETE /bkt/victim"))).toHaveLength(1);
    expect(a.seen.some((s) => s.method === "DELETE")).toBe(false);
  }, 45_000);

  it("answers 503 at once when every gateway of the region is down", async () => {
    const url = await start([`http://127.0.0.1:${await closedPort()}`, `http://127.0.0.1:${await closedPort()}`]);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await send(`${url}/bkt/k`, { headers: asCustomer })).status);
    expect(new Set(statuses)).toEqual(new Set([503]));
    const health = await eventually(async () => {
      const body = (await (await fetch(`${url}/health`)).json()) as any;
      return body.circuits[0].state === "open" ? body : undefined;
    });
    expect(health.circuits[0].endpoints.map((e: { state: string }) => e.state)).toEqual(["open", "open"]);
    const started = Date.now();
    expect((await send(`${url}/bkt/k`, { headers: asCustomer })).status).toBe(503);
    expect(Date.now() - started).toBeLessThan(1_000);
  }, 30_000);
});
