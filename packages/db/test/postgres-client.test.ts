// A Postgres connection that dies while it is still starting up must fail only the queries
// on it, never the process. postgres.js (3.4.9) runs a pg_type catalog query on every new
// connection by default and drops its promise; killing the connection during that query
// surfaced as an unhandled rejection and failed a CI run (router pool closed under load).
import { createConnection, createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { openDatabase, postgresClient } from "../src/index.ts";
import { adminUrl, createTestDatabase } from "../src/test-databases.ts";

/** Forwards to the real server, but destroys any connection that asks for the type catalog. */
function catalogKillingProxy(target: URL): Promise<{ server: Server; port: number; killed: () => number }> {
  let killed = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = createConnection({ host: target.hostname, port: Number(target.port || 5432) });
    sockets.add(client).add(upstream);
    client.on("data", (chunk) => {
      if (chunk.includes("pg_catalog.pg_type")) {
        killed++;
        client.destroy();
        upstream.destroy();
        return;
      }
      upstream.write(chunk);
    });
    upstream.pipe(client);
    const end = () => { client.destroy(); upstream.destroy(); };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
  });
  server.on("close", () => { for (const s of sockets) s.destroy(); });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ server, port: (server.address() as AddressInfo).port, killed: () => killed })));
}

const unhandled: unknown[] = [];
const record = (reason: unknown) => void unhandled.push(reason);
let database: { url: string; drop: () => Promise<void> };
let proxy: Awaited<ReturnType<typeof catalogKillingProxy>>;
let proxiedUrl: string;

beforeAll(async () => {
  process.on("unhandledRejection", record);
  database = await createTestDatabase("pgclient");
  proxy = await catalogKillingProxy(new URL(adminUrl()));
  const u = new URL(database.url);
  u.port = String(proxy.port);
  proxiedUrl = u.toString();
});
afterEach(() => expect(unhandled).toEqual([]));
afterAll(async () => {
  process.off("unhandledRejection", record);
  proxy.server.close();
  await database.drop();
});

it("a pool opened through the client factory never sends the catalog query, so it cannot be killed there", async () => {
  const client = postgresClient(proxiedUrl, { max: 4 });
  const answers = await Promise.all([1, 2, 3, 4].map((n) => client`select ${n}::int as n`));
  expect(answers.map((r) => r[0]?.n)).toEqual([1, 2, 3, 4]);
  await client.end({ timeout: 1 });
  expect(proxy.killed()).toBe(0);
});

it("the apps' database (pool and dedicated connection) survives a pool closed while connections are opening", async () => {
  const db = await openDatabase({ url: proxiedUrl, poolSize: 8 }, {});
  const dedicated = db.dedicatedConnection("pgclient-test");
  // Eight connections start at once and the pool is closed before they all finish starting.
  const queries = Array.from({ length: 8 }, () => db.db.execute(sql`select pg_sleep(0.05)`).then(() => "ok", () => "failed"));
  const own = dedicated.db.execute(sql`select 1`).then(() => "ok", () => "failed");
  await new Promise((r) => setTimeout(r, 5));
  await Promise.all([db.close(), dedicated.close()]);
  await Promise.all([...queries, own]);
  // Let any dropped promise reject before afterEach looks.
  await new Promise((r) => setTimeout(r, 100));
  expect(proxy.killed()).toBe(0);
});
