import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import net, { type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestDatabase } from "@s3gw/db/testing";
import { postgresClient } from "@s3gw/db";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GlobalRouterConfig } from "../../apps/global-router/src/config.ts";
import { startGlobalRouter, type RunningGlobalRouter } from "../../apps/global-router/src/start.ts";
import { adminAuth, adminToken, eventually, register, send, startFakeRegion, startRouter, topologyOf, type FakeRegion } from "../../apps/global-router/test/helpers.ts";
import { freePort, REPO_ROOT, spawnNode, waitForHealth } from "../support/processes.ts";

// Dependency faults of the global router: a hung region (a real process, SIGSTOPped) and
// its own database cut away (a TCP proxy in this process between router and Postgres).

describe("a hung region (SIGSTOP) opens its circuit; other regions are unaffected", () => {
  let child: ReturnType<typeof spawnNode>["child"] | undefined;
  let output: () => string = () => "";
  let de: FakeRegion;
  let h: Awaited<ReturnType<typeof startRouter>>;
  let drop: () => Promise<void>;
  let storageDir: string;

  beforeAll(async () => {
    const db = await createTestDatabase("router_hung_region");
    drop = db.drop;
    storageDir = await mkdtemp(join(tmpdir(), "s3gw-hung-"));
    const port = await freePort();
    const spawned = spawnNode("apps/regional-gateway/src/server.ts", {
      REGION_ID: "FI-HEL", PORT: String(port), HOST: "127.0.0.1", DATABASE_URL: db.url, STORAGE_DIR: storageDir,
      TOPOLOGY_FILE: join(REPO_ROOT, "infra/topology.local.json"), TRUSTED_CUSTOMER_HEADER: "true", ADMIN_TOKEN: "hung-region-admin-token-0123456789", LOG_LEVEL: "warn",
    });
    child = spawned.child;
    output = spawned.output;
    await waitForHealth(`http://127.0.0.1:${port}`).catch((err: Error) => { throw new Error(`${err.message}\n${output()}`); });
    de = await startFakeRegion("DE-FRA");
    h = await startRouter(
      topologyOf([{ regionId: "FI-HEL", url: `http://127.0.0.1:${port}`, country: "FI" }, { regionId: "DE-FRA", url: de.url, country: "DE" }]),
      // The production default headers timeout: only the breaker can make a hang short.
      { upstream: { connectTimeoutMs: 1_000, headersTimeoutMs: 30_000, bodyTimeoutMs: 30_000 }, circuit: { failureThreshold: 3, slowRequestMs: 500, probeTimeoutMs: 1_000, probeIntervalMs: 300 } },
    );
    expect((await register(h.router.url, "fi-co", "FI-HEL")).status).toBe(201);
    expect((await register(h.router.url, "de-co", "DE-FRA")).status).toBe(201);
  }, 60_000);
  afterAll(async () => {
    child?.kill("SIGCONT");
    child?.kill("SIGTERM");
    await h?.stop();
    await de?.close();
    await drop?.();
    await rm(storageDir, { recursive: true, force: true });
  });

  it("answers 503 within 2 s of the hang, then at once; closes again after SIGCONT", async () => {
    // Alive: the region answers (here 403, the customer has no profile there), not 503.
    const before = await send(`${h.router.url}/bkt/key`, { headers: { "x-customer-id": "fi-co" } });
    expect(before.status).not.toBe(503);

    child!.kill("SIGSTOP");
    let started = Date.now();
    const first = await send(`${h.router.url}/bkt/key`, { headers: { "x-customer-id": "fi-co" } });
    expect(first.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(first.body.toString()).toContain("<Code>ServiceUnavailable</Code>");
    expect(first.headers["retry-after"]).toBeDefined();

    for (let i = 0; i < 5; i++) {
      started = Date.now();
      const res = await send(`${h.router.url}/bkt/key`, { method: "PUT", headers: { "x-customer-id": "fi-co" }, body: Buffer.alloc(64 * 1024) });
      expect(res.status).toBe(503);
      expect(res.headers["retry-after"]).toBe("1");
      expect(Date.now() - started).toBeLessThan(300);
    }
    // The other region is untouched.
    const other = await send(`${h.router.url}/bkt/key`, { headers: { "x-customer-id": "de-co" } });
    expect(other.status).toBe(200);

    const health = (await (await fetch(`${h.router.url}/health`)).json()) as { circuits: Array<{ region_id: string; state: string }> };
    expect(health.circuits).toEqual(expect.arrayContaining([expect.objectContaining({ region_id: "FI-HEL", state: "open" }), expect.objectContaining({ region_id: "DE-FRA", state: "closed" })]));
    const metrics = await (await fetch(`${h.router.url}/metrics`)).text();
    expect(metrics).toMatch(/s3gw_router_region_circuit_open\{region="FI-HEL"\} 1/);
    expect(metrics).toMatch(/s3gw_router_region_circuit_open\{region="DE-FRA"\} 0/);

    child!.kill("SIGCONT");
    await eventually(async () => {
      const res = await send(`${h.router.url}/bkt/key`, { headers: { "x-customer-id": "fi-co" } });
      return res.status !== 503 ? true : undefined;
    }, 10_000);
    const after = await (await fetch(`${h.router.url}/metrics`)).text();
    expect(after).toMatch(/s3gw_router_region_circuit_open\{region="FI-HEL"\} 0/);
  }, 30_000);
});

/** A TCP proxy to the local Postgres that the test can cut and restore on the same port. */
async function dbProxy(): Promise<{ port: number; cut(): Promise<void>; restore(): Promise<void>; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let port = 0;
  const listen = async () => {
    server = net.createServer((client) => {
      const upstream = net.connect(5432, "127.0.0.1");
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on("error", () => {});
        s.on("close", () => sockets.delete(s));
      }
      client.pipe(upstream).pipe(client);
      client.on("close", () => upstream.destroy());
      upstream.on("close", () => client.destroy());
    });
    await new Promise<void>((r) => server!.listen(port, "127.0.0.1", r));
    port = (server.address() as AddressInfo).port;
  };
  const cut = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server = undefined;
  };
  await listen();
  return { port, cut, restore: listen, close: cut };
}

describe("the router's database away: start from the snapshot, spool routing-log rows", () => {
  let fi: FakeRegion;
  let dir: string;
  let proxy: Awaited<ReturnType<typeof dbProxy>>;
  let db: { url: string; drop: () => Promise<void> };
  let config: GlobalRouterConfig;
  let router: RunningGlobalRouter | undefined;
  const logger = pino({ level: "silent" });

  beforeAll(async () => {
    fi = await startFakeRegion("FI-HEL");
    dir = await mkdtemp(join(tmpdir(), "s3gw-router-data-"));
    db = await createTestDatabase("router_snapshot");
    proxy = await dbProxy();
    const viaProxy = new URL(db.url);
    viaProxy.port = String(proxy.port);
    config = {
      port: 0, host: "127.0.0.1", database: { url: viaProxy.toString() }, topology: topologyOf([{ regionId: "FI-HEL", url: fi.url, country: "FI" }]),
      upstream: { connectTimeoutMs: 1_000, headersTimeoutMs: 5_000, bodyTimeoutMs: 5_000 }, routingRefreshMs: 500, logLevel: "silent", adminToken,
      trustedCustomerHeader: true, snapshotFile: join(dir, "routing-snapshot.json"), routingLogSpoolFile: join(dir, "routing-log-spool.jsonl"),
    };
  });
  afterAll(async () => {
    await router?.close();
    await proxy?.close();
    await db?.drop();
    await fi?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const routingLogRows = async (): Promise<number> => {
    const sql = postgresClient(db.url, { max: 1 });
    try {
      const [row] = await sql`select count(*)::int as n from routing_log where customer_id = 'snap-co'`;
      return (row as { n: number }).n;
    } finally {
      await sql.end();
    }
  };
  const routed = () => send(`${router!.url}/bkt/key`, { headers: { "x-customer-id": "snap-co" } });

  it("writes the snapshot (0600) when the routing map changes", async () => {
    router = await startGlobalRouter(config, { logger, shutdownGraceMs: 500 });
    expect((await register(router.url, "snap-co", "FI-HEL")).status).toBe(201);
    const saved = await eventually(async () => {
      const text = await readFile(config.snapshotFile!, "utf8").catch(() => "");
      return text.includes("snap-co") ? JSON.parse(text) : undefined;
    });
    expect(saved.routes).toContainEqual(["snap-co", "FI-HEL"]);
    expect((await stat(config.snapshotFile!)).mode & 0o777).toBe(0o600);
    expect((await routed()).status).toBe(200);
    await eventually(async () => ((await routingLogRows()) === 1 ? true : undefined));
    await router.close();
    router = undefined;
  });

  it("starts with the database down and routes from the snapshot; rows logged meanwhile arrive when it returns", async () => {
    await proxy.cut();
    router = await startGlobalRouter(config, { logger, shutdownGraceMs: 500 });
    for (let i = 0; i < 3; i++) expect((await routed()).status).toBe(200);
    // Unknown customers cannot be looked up: a clean 503, not a hang.
    expect((await send(`${router.url}/bkt/key`, { headers: { "x-customer-id": "never-seen" } })).status).toBe(503);
    await eventually(async () => ((await stat(config.routingLogSpoolFile!).catch(() => undefined))?.size ? true : undefined));
    expect((await stat(config.routingLogSpoolFile!)).mode & 0o777).toBe(0o600);
    await proxy.restore();
    await eventually(async () => ((await routingLogRows()) === 4 ? true : undefined), 15_000);
    expect((await fetch(`${router.url}/routing/customers/snap-co`, { headers: adminAuth })).status).toBe(200);
  }, 30_000);

  it("never loses rows at shutdown: spooled while the database is down, replayed by the next start", async () => {
    await proxy.cut();
    for (let i = 0; i < 2; i++) expect((await routed()).status).toBe(200);
    await router!.close();
    router = undefined;
    await proxy.restore();
    expect(await routingLogRows()).toBe(4);
    router = await startGlobalRouter(config, { logger, shutdownGraceMs: 500 });
    await eventually(async () => ((await routingLogRows()) === 6 ? true : undefined), 15_000);
  }, 30_000);
});
