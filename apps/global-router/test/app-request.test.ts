import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app.ts";
import type { GlobalDb } from "../src/db.ts";
import { RouterMetrics } from "../src/ops/metrics.ts";
import { RegionTraffic } from "../src/ops/traffic.ts";
import { RegionDirectory } from "../src/regions.ts";
import type { RoutingLogEntry } from "../src/routing-log.ts";
import { AccessKeyCache, type AccessKeyStore } from "../src/routing/access-keys.ts";
import { PublicBucketCache, type PublicBucketStore } from "../src/routing/public-buckets.ts";
import { RoutingCache } from "../src/routing/cache.ts";
import type { RoutingStore } from "../src/routing/store.ts";
import { UpstreamClient } from "../src/upstream/client.ts";
import { RegionCircuits } from "../src/upstream/region-circuits.ts";
import { adminAuth, adminToken, json, startFakeRegion, topologyOf, type FakeRegion } from "./helpers.ts";

// createApp without a server: fetch-style requests, no Node bindings, still streamed.
describe("createApp driven with app.request()", () => {
  let fi: FakeRegion;
  let upstream: UpstreamClient;
  const logged: RoutingLogEntry[] = [];
  let app: ReturnType<typeof createApp>;
  let metrics: RouterMetrics;

  beforeAll(async () => {
    fi = await startFakeRegion("FI-HEL");
    const topology = topologyOf([{ regionId: "FI-HEL", url: fi.url, country: "FI" }]);
    const regions = new RegionDirectory(topology);
    const store: RoutingStore = {
      loadAll: async () => [{ customerId: "acme-corp", primaryRegionId: "FI-HEL" }],
      find: async () => undefined,
      insert: async () => true,
    };
    const logger = pino({ level: "silent" });
    const routing = new RoutingCache({ store, clock: { now: () => Date.now() }, logger });
    await routing.reload();
    const accessKeyStore: AccessKeyStore = {
      loadAll: async () => [{ accessKeyId: "S3GWAAAAAAAAAAAAAAAA", customerId: "acme-corp" }],
      find: async () => undefined,
      put: async () => "created",
      remove: async () => true,
    };
    const accessKeys = new AccessKeyCache({ store: accessKeyStore, clock: { now: () => Date.now() }, logger });
    await accessKeys.reload();
    const publicBucketStore: PublicBucketStore = { loadAll: async () => [], find: async () => undefined, put: async () => "created", remove: async () => true };
    const publicBuckets = new PublicBucketCache({ store: publicBucketStore, clock: { now: () => Date.now() }, logger });
    upstream = new UpstreamClient(regions, { connectTimeoutMs: 1_000, headersTimeoutMs: 5_000, bodyTimeoutMs: 5_000 });
    const routingLog = { record: (e: RoutingLogEntry) => void logged.push(e), stats: () => ({ buffered: 0, written: logged.length, dropped: 0, spooled: 0 }) };
    const regionHealth = { statuses: async () => [] };
    metrics = new RouterMetrics({ routing, routingLog, regionHealth });
    app = createApp({
      config: {
        port: 0,
        host: "127.0.0.1",
        database: { url: "postgres://unused" },
        topology,
        upstream: { connectTimeoutMs: 1_000, headersTimeoutMs: 5_000, bodyTimeoutMs: 5_000 },
        routingRefreshMs: 30_000,
        logLevel: "silent",
        adminToken,
        trustedCustomerHeader: true,
      },
      db: undefined as unknown as GlobalDb,
      ping: async () => true,
      regions,
      routing,
      routingStore: store,
      accessKeys,
      accessKeyStore,
      publicBuckets,
      publicBucketStore,
      routingLog,
      upstream,
      circuits: new RegionCircuits({ regionIds: regions.ids(), reachable: async () => true, logger }),
      regionHealth,
      logger,
      clock: { now: () => Date.now() },
      traffic: new RegionTraffic(),
      metrics,
    });
  });
  afterAll(async () => {
    await upstream?.close();
    await fi?.close();
  });

  it("forwards and streams back", async () => {
    const res = await app.request("/s3/bucket/key?x=1", { method: "PUT", headers: { "x-customer-id": "acme-corp" }, body: "abc" });
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ region: "FI-HEL", method: "PUT", url: "/s3/bucket/key?x=1", bodyLength: 3 });
    expect(logged.at(-1)).toMatchObject({ customerId: "acme-corp", regionId: "FI-HEL", method: "PUT", statusCode: 200 });
  });

  it("counts relayed bytes once the streamed answer has ended", async () => {
    const counter = async (name: string) => Number(new RegExp(`^${name}\\{region="FI-HEL"\\} (\\d+)$`, "m").exec(await metrics.render())?.[1] ?? 0);
    const [inBefore, outBefore] = [await counter("s3gw_router_bytes_in_total"), await counter("s3gw_router_bytes_out_total")];
    const res = await app.request("/s3/bucket/key", { method: "PUT", headers: { "x-customer-id": "acme-corp", "content-length": "5" }, body: "12345" });
    const length = Number(res.headers.get("content-length"));
    expect(length).toBeGreaterThan(0);
    await res.arrayBuffer();
    expect((await counter("s3gw_router_bytes_in_total")) - inBefore).toBe(5);
    expect((await counter("s3gw_router_bytes_out_total")) - outBefore).toBe(length);
  });

  it("answers HEAD without a body and keeps the method", async () => {
    const res = await app.request("/s3/bucket/key", { method: "HEAD", headers: { "x-customer-id": "acme-corp" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("etag")).toBe('"fake-etag"');
    expect(fi.seen.at(-1)?.method).toBe("HEAD");
    expect(logged.at(-1)?.method).toBe("HEAD");
  });

  it("answers S3 errors in XML and API errors in JSON", async () => {
    const s3 = await app.request("/s3/bucket/key");
    expect(s3.status).toBe(403);
    expect(s3.headers.get("content-type")).toBe("application/xml");
    expect(s3.headers.get("x-amz-request-id")).toBeTruthy();
    const api = await app.request("/routing/customers/NOT_VALID", { headers: adminAuth });
    expect(api.status).toBe(400);
    expect((await json(api)).error.code).toBe("BAD_REQUEST");
  });
});
