import { customerRouting } from "@s3gw/schema-global";
import { eq } from "drizzle-orm";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RoutingCache } from "../src/routing/cache.ts";
import type { CustomerRoute, RoutingStore } from "../src/routing/store.ts";
import { eventually, json, register, send, startFakeRegion, startRouter, topologyOf, type FakeRegion } from "./helpers.ts";

const silent = pino({ level: "silent" });

function countingStore(initial: CustomerRoute[]) {
  const rows = new Map(initial.map((r) => [r.customerId, r.primaryRegionId]));
  const calls = { loadAll: 0, find: 0 };
  let failing = false;
  const store: RoutingStore = {
    async loadAll() {
      calls.loadAll++;
      if (failing) throw new Error("database down");
      return [...rows].map(([customerId, primaryRegionId]) => ({ customerId, primaryRegionId }));
    },
    async find(customerId) {
      calls.find++;
      if (failing) throw new Error("database down");
      await new Promise((r) => setTimeout(r, 5));
      const region = rows.get(customerId);
      return region === undefined ? undefined : { customerId, primaryRegionId: region };
    },
    async insert() {
      return true;
    },
  };
  return { store, rows, calls, fail: (v: boolean) => (failing = v) };
}

describe("RoutingCache", () => {
  it("answers known customers from memory without touching the store", async () => {
    const s = countingStore([{ customerId: "acme-corp", primaryRegionId: "FI-HEL" }]);
    const cache = new RoutingCache({ store: s.store, clock: { now: () => 0 }, logger: silent });
    await cache.reload();
    for (let i = 0; i < 1_000; i++) expect(await cache.resolve("acme-corp")).toBe("FI-HEL");
    expect(s.calls).toEqual({ loadAll: 1, find: 0 });
    expect(cache.stats()).toEqual({ entries: 1, hits: 1_000, misses: 0 });
  });

  it("asks the store once per unknown id, coalescing concurrent misses, and remembers the answer briefly", async () => {
    let now = 1_000;
    const s = countingStore([]);
    const cache = new RoutingCache({ store: s.store, clock: { now: () => now }, logger: silent, negativeTtlMs: 5_000 });
    await cache.reload();
    const answers = await Promise.all(Array.from({ length: 20 }, () => cache.resolve("ghost")));
    expect(answers.every((a) => a === undefined)).toBe(true);
    expect(s.calls.find).toBe(1);
    for (let i = 0; i < 100; i++) await cache.resolve("ghost");
    expect(s.calls.find).toBe(1);
    // Registered elsewhere (another router instance): seen once the negative entry expires.
    s.rows.set("ghost", "DE-FRA");
    now += 5_001;
    expect(await cache.resolve("ghost")).toBe("DE-FRA");
    expect(s.calls.find).toBe(2);
    expect(await cache.resolve("ghost")).toBe("DE-FRA");
    expect(s.calls.find).toBe(2);
  });

  it("bounds the negative cache", async () => {
    const s = countingStore([]);
    const cache = new RoutingCache({ store: s.store, clock: { now: () => 0 }, logger: silent, maxNegativeEntries: 10 });
    for (let i = 0; i < 50; i++) await cache.resolve(`ghost-${i}`);
    expect(s.calls.find).toBe(50);
    await cache.resolve("ghost-49");
    expect(s.calls.find).toBe(50);
    await cache.resolve("ghost-0");
    expect(s.calls.find).toBe(51);
  });

  it("keeps serving the previous map when a reload fails, and keeps writes made during a reload", async () => {
    const s = countingStore([{ customerId: "acme-corp", primaryRegionId: "FI-HEL" }]);
    const cache = new RoutingCache({ store: s.store, clock: { now: () => 0 }, logger: silent });
    await cache.reload();
    s.fail(true);
    await expect(cache.reload()).rejects.toThrow("database down");
    expect(await cache.resolve("acme-corp")).toBe("FI-HEL");
    s.fail(false);
    const reloading = cache.reload();
    cache.set("newcomer", "DE-FRA");
    await reloading;
    expect(await cache.resolve("newcomer")).toBe("DE-FRA");
  });

  it("re-reads an entry that changed elsewhere: the old one serves meanwhile, the later re-read wins, an earlier lookup cannot bring the old value back", async () => {
    // A store whose answers the test releases one by one, in the order it chooses.
    const pending: Array<(region: string | undefined) => void> = [];
    let failNext = false;
    const store: RoutingStore = {
      loadAll: async () => [{ customerId: "acme-corp", primaryRegionId: "FI-HEL" }],
      find: (customerId) => {
        if (failNext) return Promise.reject(new Error("database down"));
        return new Promise((resolve) => pending.push((region) => resolve(region === undefined ? undefined : { customerId, primaryRegionId: region })));
      },
      insert: async () => true,
    };
    const cache = new RoutingCache({ store, clock: { now: () => 0 }, logger: silent });
    await cache.reload();
    const first = cache.refreshKey("acme-corp");
    const second = cache.refreshKey("acme-corp");
    expect(await cache.resolve("acme-corp")).toBe("FI-HEL");
    pending[1]!("DE-FRA");
    await second;
    expect(await cache.resolve("acme-corp")).toBe("DE-FRA");
    // The earlier re-read answers last, with what it saw before the second change: ignored.
    pending[0]!("FI-HEL");
    await first;
    expect(await cache.resolve("acme-corp")).toBe("DE-FRA");
    // A miss's lookup begun before a re-read does not store its (older) answer.
    const miss = cache.resolve("newcomer");
    const reread = cache.refreshKey("newcomer");
    pending[3]!(undefined);
    await reread;
    pending[2]!("FI-HEL");
    expect(await miss).toBe("FI-HEL");
    expect(cache.stats().entries).toBe(1);
    // The database away during a re-read: the entry is dropped rather than kept stale.
    failNext = true;
    await cache.refreshKey("acme-corp");
    expect(cache.stats().entries).toBe(0);
  });
});

describe("routing cache in the running router", () => {
  let fi: FakeRegion;

  beforeAll(async () => {
    fi = await startFakeRegion("FI-HEL");
  });
  afterAll(async () => {
    await fi?.close();
  });

  it("routes from memory; a row deleted behind its back is forgotten when its notification arrives", async () => {
    const h = await startRouter(topologyOf([{ regionId: "FI-HEL", url: fi.url, country: "FI" }]), { routingRefreshMs: 60_000 });
    try {
      expect((await register(h.router.url, "acme-corp", "FI-HEL")).status).toBe(201);
      for (let i = 0; i < 5; i++) {
        const res = await send(`${h.router.url}/s3/bucket/key`, { headers: { "x-customer-id": "acme-corp" } });
        expect(res.status).toBe(200);
      }
      const health = await json(await fetch(`${h.router.url}/health`));
      expect(health.routing_cache).toMatchObject({ entries: 1, hits: 5, misses: 0 });
      // The trigger's notification, not the refresh (a minute away), drops the entry.
      await h.db.db.delete(customerRouting).where(eq(customerRouting.customerId, "acme-corp"));
      await eventually(async () => {
        const res = await send(`${h.router.url}/s3/bucket/key`, { headers: { "x-customer-id": "acme-corp" } });
        return res.status === 403 ? true : undefined;
      }, 2_000);
    } finally {
      await h.stop();
    }
  });

  it("finds customers registered directly in the database on first use", async () => {
    const h = await startRouter(topologyOf([{ regionId: "FI-HEL", url: fi.url, country: "FI" }]));
    try {
      await h.db.db.insert(customerRouting).values({ customerId: "late-arrival", primaryRegionId: "FI-HEL" });
      const res = await send(`${h.router.url}/s3/bucket/key`, { headers: { "x-customer-id": "late-arrival" } });
      expect(res.status).toBe(200);
      const health = await json(await fetch(`${h.router.url}/health`));
      expect(health.routing_cache).toMatchObject({ entries: 1, misses: 1 });
    } finally {
      await h.stop();
    }
  });
});
