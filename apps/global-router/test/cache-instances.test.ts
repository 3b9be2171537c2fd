import { INTERNAL_SIGNATURE_HEADER, signInternalRequest } from "@s3gw/core";
import { openDatabase, type Database } from "@s3gw/db";
import { createTestDatabase } from "@s3gw/db/testing";
import { customerRouting, globalSchema } from "@s3gw/schema-global";
import { eq } from "drizzle-orm";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GlobalRouterConfig } from "../src/config.ts";
import { ROUTING_LISTENER_NAME } from "../src/routing/invalidation.ts";
import { startGlobalRouter, type RunningGlobalRouter } from "../src/start.ts";
import { adminAuth, adminToken, GATEWAY_SECRET, register, send, startFakeRegion, topologyOf, type FakeRegion } from "./helpers.ts";
import { startPgProxy, type PgProxy } from "./pg-proxy.ts";

/**
 * Router instances on one global database, as behind a load balancer. The instance that takes
 * a change applies it at once; the others hear of it by LISTEN/NOTIFY (a trigger on each
 * routing table notifies in the changing transaction): within NOTIFY_BOUND_MS, while their
 * periodic refresh is far away (60 s). When the notification connection is silently cut, the
 * refresh still bounds staleness (ROUTING_REFRESH_MS); when it drops, the listener reconnects
 * and reloads, so what it missed meanwhile is not kept stale either.
 */
// Notifications arrive in milliseconds; the slack is for a busy machine.
const NOTIFY_BOUND_MS = 1_000;
const SCHEDULING_SLACK_MS = 1_500;
const KEY = "S3GWCACHEINSTANCES01";

let fi: FakeRegion;
let de: FakeRegion;
let testDb: { url: string; drop: () => Promise<void> };
let db: Database<typeof globalSchema>;
const routers: RunningGlobalRouter[] = [];

const sigv4 = (akid: string) => ({
  authorization: `AWS4-HMAC-SHA256 Credential=${akid}/20260101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=${"a".repeat(64)}`,
  "x-amz-date": "20260101T000000Z",
});

function internal(base: string, method: "PUT" | "DELETE", akid: string, body = ""): Promise<Response> {
  const path = `/internal/access-keys/${akid}`;
  const signature = signInternalRequest(GATEWAY_SECRET, { method, path, body }, Date.now() / 1000);
  return fetch(`${base}${path}`, { method, headers: { [INTERNAL_SIGNATURE_HEADER]: signature, "content-type": "application/json" }, body: method === "PUT" ? body : undefined });
}

/** Polls `check` until it holds; returns how long that took. */
async function within(check: () => Promise<boolean>, limitMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check()) return Date.now() - started;
    if (Date.now() - started > limitMs) throw new Error(`not within ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The region a request for `customer` reaches through `router` ("none": refused unrouted). */
const regionVia = async (router: RunningGlobalRouter, headers: Record<string, string>) => {
  const res = await send(`${router.url}/bucket/key`, { headers });
  return res.status === 200 ? (JSON.parse(res.body.toString()) as { region: string }).region : "none";
};
const customer = (id: string) => ({ "x-customer-id": id });
const cacheHits = async (router: RunningGlobalRouter) => ((await (await fetch(`${router.url}/health`)).json()) as { routing_cache: { hits: number } }).routing_cache.hits;
/** Until `router` answers for `id` from its map (a hit), not by reading the database: then its entry can go stale. */
async function heldInMemory(router: RunningGlobalRouter, id: string, region: string): Promise<void> {
  await within(async () => {
    const before = await cacheHits(router);
    expect(await regionVia(router, customer(id))).toBe(region);
    return (await cacheHits(router)) > before;
  }, 5_000);
}
const unroute = (router: RunningGlobalRouter, id: string) => fetch(`${router.url}/routing/customers/${id}`, { method: "DELETE", headers: adminAuth });

async function startInstance(refreshMs: number, databaseUrl = testDb.url): Promise<RunningGlobalRouter> {
  const config: GlobalRouterConfig = {
    port: 0,
    host: "127.0.0.1",
    database: { url: databaseUrl },
    topology: topologyOf([{ regionId: "FI-HEL", url: fi.url, country: "FI" }, { regionId: "DE-FRA", url: de.url, country: "DE" }]),
    upstream: { connectTimeoutMs: 1_000, headersTimeoutMs: 5_000, bodyTimeoutMs: 5_000 },
    routingRefreshMs: refreshMs,
    logLevel: "silent",
    adminToken,
    gatewaySharedSecret: GATEWAY_SECRET,
    trustedCustomerHeader: true,
    snapshotFile: undefined,
    routingLogSpoolFile: undefined,
  };
  const router = await startGlobalRouter(config, { logger: pino({ level: "silent" }), shutdownGraceMs: 500 });
  routers.push(router);
  return router;
}

beforeAll(async () => {
  fi = await startFakeRegion("FI-HEL");
  de = await startFakeRegion("DE-FRA");
  testDb = await createTestDatabase("router_instances");
  db = await openDatabase({ url: testDb.url, poolSize: 1 }, globalSchema);
}, 60_000);

afterAll(async () => {
  for (const r of routers) await r.close();
  await db?.close();
  await testDb?.drop();
  await fi?.close();
  await de?.close();
});

describe("routing maps across two router instances (notifications)", () => {
  let a: RunningGlobalRouter;
  let b: RunningGlobalRouter;
  beforeAll(async () => {
    a = await startInstance(60_000);
    b = await startInstance(60_000);
  });

  it("a customer and a key registered through one instance are routed by the other at once", async () => {
    expect((await register(a.url, "acme-corp", "FI-HEL")).status).toBe(201);
    expect((await internal(a.url, "PUT", KEY, JSON.stringify({ customer_id: "acme-corp" }))).status).toBe(201);
    expect(await regionVia(b, customer("acme-corp"))).toBe("FI-HEL");
    expect(await regionVia(b, sigv4(KEY))).toBe("FI-HEL");
  });

  it("a revoked key stops routing on the other instance within the notification bound", async () => {
    expect((await internal(a.url, "DELETE", KEY)).status).toBe(204);
    expect(await regionVia(a, sigv4(KEY))).toBe("none");
    expect(await within(async () => (await regionVia(b, sigv4(KEY))) === "none", NOTIFY_BOUND_MS + SCHEDULING_SLACK_MS)).toBeLessThanOrEqual(NOTIFY_BOUND_MS);
  });

  it("an unroute and a re-route to another region through one instance take effect on the other within the bound", async () => {
    await heldInMemory(b, "acme-corp", "FI-HEL");
    expect((await unroute(a, "acme-corp")).status).toBe(200);
    expect(await within(async () => (await regionVia(b, customer("acme-corp"))) === "none", NOTIFY_BOUND_MS + SCHEDULING_SLACK_MS)).toBeLessThanOrEqual(NOTIFY_BOUND_MS);
    // b now remembers the customer as unknown (5 s); the re-route's notification forgets that.
    expect((await register(a.url, "acme-corp", "DE-FRA")).status).toBe(201);
    expect(await within(async () => (await regionVia(b, customer("acme-corp"))) === "DE-FRA", NOTIFY_BOUND_MS + SCHEDULING_SLACK_MS)).toBeLessThanOrEqual(NOTIFY_BOUND_MS);
  });

  it("a change made in the database directly (an operator's SQL) reaches both instances within the bound", async () => {
    await heldInMemory(a, "acme-corp", "DE-FRA");
    await heldInMemory(b, "acme-corp", "DE-FRA");
    await db.db.update(customerRouting).set({ primaryRegionId: "FI-HEL" }).where(eq(customerRouting.customerId, "acme-corp"));
    const both = async (region: string) => (await regionVia(a, customer("acme-corp"))) === region && (await regionVia(b, customer("acme-corp"))) === region;
    expect(await within(() => both("FI-HEL"), NOTIFY_BOUND_MS + SCHEDULING_SLACK_MS)).toBeLessThanOrEqual(NOTIFY_BOUND_MS);
    await db.db.delete(customerRouting).where(eq(customerRouting.customerId, "acme-corp"));
    expect(await within(() => both("none"), NOTIFY_BOUND_MS + SCHEDULING_SLACK_MS)).toBeLessThanOrEqual(NOTIFY_BOUND_MS);
  });
});

describe("when the notification connection is lost", () => {
  const REFRESH_MS = 4_000;
  let proxy: PgProxy;
  let c: RunningGlobalRouter;
  let d: RunningGlobalRouter;
  beforeAll(async () => {
    proxy = await startPgProxy(testDb.url);
    c = await startInstance(REFRESH_MS);
    // d reaches the database through the proxy: the test can cut its LISTEN connection alone.
    d = await startInstance(REFRESH_MS, proxy.url);
    await within(async () => proxy.named(ROUTING_LISTENER_NAME).length === 1, 5_000);
  });
  afterAll(async () => {
    await proxy?.close();
  });

  it("silently cut (nothing arrives, nothing closes): the periodic refresh still bounds staleness", async () => {
    expect((await register(c.url, "silent-co", "FI-HEL")).status).toBe(201);
    await heldInMemory(d, "silent-co", "FI-HEL");
    expect(proxy.silence(ROUTING_LISTENER_NAME)).toBe(1);
    expect((await unroute(c, "silent-co")).status).toBe(200);
    const took = await within(async () => (await regionVia(d, customer("silent-co"))) === "none", REFRESH_MS + SCHEDULING_SLACK_MS * 2);
    expect(took).toBeLessThanOrEqual(REFRESH_MS + SCHEDULING_SLACK_MS);
  }, 20_000);

  it("dropped: the listener reconnects and reloads, so a change made meanwhile is not kept stale", async () => {
    // The silenced connection is dropped too: a fresh one replaces it.
    expect((await register(c.url, "drop-co", "FI-HEL")).status).toBe(201);
    await heldInMemory(d, "drop-co", "FI-HEL");
    expect(proxy.drop(ROUTING_LISTENER_NAME)).toBe(1);
    expect((await unroute(c, "drop-co")).status).toBe(200);
    const took = await within(async () => (await regionVia(d, customer("drop-co"))) === "none", REFRESH_MS + SCHEDULING_SLACK_MS * 2);
    // Reconnect backoff (100 ms) and a reload, well before the next refresh.
    expect(took).toBeLessThanOrEqual(NOTIFY_BOUND_MS + SCHEDULING_SLACK_MS);
    await within(async () => proxy.named(ROUTING_LISTENER_NAME).length === 1, 5_000);
    // And notifications flow again on the new connection.
    expect((await register(c.url, "after-co", "DE-FRA")).status).toBe(201);
    await heldInMemory(d, "after-co", "DE-FRA");
    expect((await unroute(c, "after-co")).status).toBe(200);
    expect(await within(async () => (await regionVia(d, customer("after-co"))) === "none", NOTIFY_BOUND_MS + SCHEDULING_SLACK_MS)).toBeLessThanOrEqual(NOTIFY_BOUND_MS);
  }, 20_000);
});
