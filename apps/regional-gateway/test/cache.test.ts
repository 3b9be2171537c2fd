import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SigningKeyMemo } from "@s3gw/core";
import { openDatabase, postgresClient } from "@s3gw/db";
import { createTestDatabase } from "@s3gw/db/testing";
import { customers, regionalMigrationsFolder, regionalSchema } from "@s3gw/schema-regional";
import { eq } from "drizzle-orm";
import pino from "pino";
import { describe, expect, it } from "vitest";
import type { RegionalDb } from "../src/env.ts";
import { CacheInvalidationListener } from "../src/services/cache/invalidation-listener.ts";
import { RegionalCache } from "../src/services/cache/regional-cache.ts";
import { TtlCache } from "../src/services/cache/ttl-cache.ts";

// Across two gateway processes: test/adversarial/cache-invalidation.test.ts.

const logger = pino({ level: "silent" });

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const until = async (what: string, check: () => boolean | Promise<boolean>, deadlineMs = 5_000) => {
  const start = performance.now();
  while (!(await check())) {
    if (performance.now() - start > deadlineMs) throw new Error(`${what}: not within ${deadlineMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe("TtlCache", () => {
  it("never stores what a load read before an invalidation that ran while it was in flight", async () => {
    const cache = new TtlCache<string>({ ttlMs: 60_000, maxEntries: 10 });
    cache.setLive(true);
    const old = deferred<string>();
    const first = cache.get("k", () => old.promise);
    cache.invalidate("k"); // the change committed and was notified while the old row was on its way
    old.resolve("old");
    expect(await first).toBe("old"); // that caller asked before the change: fine
    expect(await cache.get("k", async () => "new")).toBe("new");
    expect(await cache.get("k", async () => "newer")).toBe("new"); // cached now
  });

  it("a caller arriving after an invalidation does not share a load that started before it", async () => {
    const cache = new TtlCache<string>({ ttlMs: 60_000, maxEntries: 10 });
    cache.setLive(true);
    const old = deferred<string>();
    let loads = 0;
    const a = cache.get("k", () => (loads++, old.promise));
    const b = cache.get("k", async () => (loads++, "unused")); // shares a's load
    cache.invalidate("k");
    const c = cache.get("k", async () => (loads++, "new"));
    old.resolve("old");
    expect([await a, await b, await c]).toEqual(["old", "old", "new"]);
    expect(loads).toBe(2);
  });

  it("keeps no absent rows, expires by TTL, and reads through while not live", async () => {
    let t = 0;
    const cache = new TtlCache<string>({ ttlMs: 5_000, maxEntries: 10, now: () => t });
    let answer: string | undefined;
    let loads = 0;
    const load = async () => (loads++, answer);
    expect(await cache.get("k", load)).toBeUndefined(); // not live: every call loads, nothing kept
    cache.setLive(true);
    expect(await cache.get("k", load)).toBeUndefined();
    answer = "v1";
    expect(await cache.get("k", load)).toBe("v1"); // the absent answer was not kept
    answer = "v2";
    t = 4_999;
    expect(await cache.get("k", load)).toBe("v1");
    t = 5_000;
    expect(await cache.get("k", load)).toBe("v2");
    cache.setLive(false);
    answer = "v3";
    expect(await cache.get("k", load)).toBe("v3"); // dropped, and not caching
    expect(cache.size).toBe(0);
    expect(loads).toBe(5);
  });

  it("stays within maxEntries", async () => {
    const cache = new TtlCache<number>({ ttlMs: 60_000, maxEntries: 3 });
    cache.setLive(true);
    for (let i = 0; i < 10; i++) await cache.get(`k${i}`, async () => i);
    expect(cache.size).toBe(3);
  });
});

describe("RegionalCache notifications", () => {
  it("forgets the entry a notification names, and everything on TRUNCATE or an unreadable payload", async () => {
    const cache = new RegionalCache(logger, { ttlMs: 60_000 });
    cache.setLive(true);
    const fill = async () => {
      await cache.accessKeys.get("AK", async () => ({ accessKeyId: "AK", customerId: "c", secretAccessKey: "s", permission: "read-write", allowedBuckets: null, bypassGovernance: false, signingKeys: new SigningKeyMemo("s") }));
      await cache.rules.get("c", async () => ({ allowedContentTypes: null, maxObjectSizeBytes: null, rejectDuplicateContent: false, blockCrossBorderAccess: false, unknownSourceCountry: "deny", anomalyThresholdPerHour: 1, publicReadBuckets: [] }));
    };
    await fill();
    cache.onNotification(JSON.stringify({ t: "access_keys", c: "c", k: "AK", b: null }));
    expect([cache.accessKeys.size, cache.rules.size]).toEqual([0, 1]);
    for (const payload of ['{"t":"*"}', "not json", JSON.stringify({ t: "access_keys" })]) {
      await fill();
      cache.onNotification(payload);
      expect([cache.accessKeys.size, cache.rules.size]).toEqual([0, 0]);
    }
  });
});

/** A customer row a gateway would cache, loaded through the cache like findCustomer does. */
async function cachedStatus(cache: RegionalCache, db: RegionalDb, id: string): Promise<string | undefined> {
  const row = await cache.customers.get(id, async () => (await db.select().from(customers).where(eq(customers.customerId, id)))[0]);
  return row?.status;
}

const customerRow = (id: string) => ({
  customerId: id, customerName: id, regionId: "FI-HEL", country: "FI", legalZone: "EU", dataResidencyRequirement: "strict" as const,
  primaryContactEmail: "a@example.com", complianceOfficerEmail: "b@example.com",
});

describe("CacheInvalidationListener", () => {
  it("Postgres: a lost LISTEN connection turns caching off at once, and on again, empty, once it is back", async () => {
    const test = await createTestDatabase("cache_listener");
    const database = await openDatabase({ url: test.url }, regionalSchema);
    const admin = postgresClient(test.url, { max: 1 });
    const cache = new RegionalCache(logger, { ttlMs: 60_000 });
    const listener = new CacheInvalidationListener({ database: { url: test.url }, db: database.db, cache, logger });
    try {
      await database.migrate(regionalMigrationsFolder);
      await database.db.insert(customers).values(customerRow("c1"));
      await listener.start();
      expect(listener.listening).toBe(true);
      expect(await cachedStatus(cache, database.db, "c1")).toBe("active");
      expect(cache.customers.size).toBe(1);

      // Kept off until the connection is back: no notification can be missed while it is down.
      const [{ pid }] = (await admin`select pid from pg_stat_activity where datname = current_database() and application_name like 's3gw-cache-listener%'`) as unknown as [{ pid: number }];
      await admin`select pg_terminate_backend(${pid})`;
      await until("listener noticed the loss", () => !listener.listening);
      expect(cache.customers.size).toBe(0);
      await until("listener back", () => listener.listening);
      expect(await cachedStatus(cache, database.db, "c1")).toBe("active");
      expect(cache.customers.size).toBe(1);

      // And notified again: a change in SQL, from outside any gateway, reaches the cache.
      await admin`update customers set status = 'suspended' where customer_id = 'c1'`;
      await until("notified", () => cache.customers.size === 0);
      expect(await cachedStatus(cache, database.db, "c1")).toBe("suspended");
    } finally {
      await listener.close();
      await admin.end();
      await database.close();
      await test.drop();
    }
  });

  it("embedded (PGlite): the same triggers notify the in-process listener", async () => {
    const dir = await mkdtemp(join(tmpdir(), "s3gw-cache-pglite-"));
    const database = await openDatabase({ pgliteDir: dir }, regionalSchema);
    const cache = new RegionalCache(logger, { ttlMs: 60_000 });
    const listener = new CacheInvalidationListener({ database: { pgliteDir: dir }, db: database.db, cache, logger });
    try {
      await database.migrate(regionalMigrationsFolder);
      await database.db.insert(customers).values(customerRow("c1"));
      await listener.start();
      expect(listener.listening).toBe(true);
      expect(await cachedStatus(cache, database.db, "c1")).toBe("active");
      await database.db.update(customers).set({ status: "suspended" }).where(eq(customers.customerId, "c1"));
      await until("notified", () => cache.customers.size === 0);
      expect(await cachedStatus(cache, database.db, "c1")).toBe("suspended");
    } finally {
      await listener.close();
      await database.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
