// The two layers on a PostgreSQL server, each a real process: the global router and the FI-HEL
// regional gateway, each with its own fresh database (as in production, one per app), SigV4
// only (no trusted-header mode), the access key registered with the router by the region.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { postgresClient } from "@s3gw/db";
import { adminUrl, createTestDatabase } from "@s3gw/db/testing";
import { freePort, spawnNode, waitForHealth } from "../../test/support/processes.ts";
import { type Onboarded, onboardCustomer, targetsOf } from "./onboard.ts";
import { cpuProfileEnv, stopChild } from "./proc.ts";
import type { RunningSystem } from "./system.ts";

/** `extraCustomers`: further customers homed in FI-HEL (the conformance suite's alt and tenant accounts), keys in `customers` after the main one. */
export async function startPostgresGateway(opts: {
  workDir: string; logLevel: string; cleanup: (fn: () => Promise<void>) => void; extraCustomers?: string[]; bypassGovernance?: boolean;
  /** false: ENCRYPT_OBJECTS=false, the same stack storing plaintext, to measure what encryption at rest costs. */
  encrypt?: boolean;
  /**
   * FI-HEL's gateway processes (default 1): more than one share its database and storage and are
   * the region's `endpoints`, balanced by the router, as a region scales out. One Node process is
   * one event loop, so on a machine with a core to spare that is how a region uses it.
   */
  regionProcesses?: number;
}): Promise<RunningSystem & { customers: Onboarded[]; management: { regionUrl: string; adminToken: string } }> {
  const plain = opts.encrypt === false;
  const processes = opts.regionProcesses ?? 1;
  if (!(Number.isInteger(processes) && processes >= 1 && processes <= 4)) throw new Error("regionProcesses: 1..4");
  const regionalDb = await createTestDatabase("bench_region");
  opts.cleanup(() => regionalDb.drop());
  const globalDb = await createTestDatabase("bench_global");
  opts.cleanup(() => globalDb.drop());
  const gPort = await freePort();
  const rPorts: number[] = [];
  for (let i = 0; i < processes; i++) rPorts.push(await freePort());
  const adminToken = `bench-admin-${randomBytes(16).toString("hex")}`;
  const shared = { ADMIN_TOKEN: adminToken, GATEWAY_SHARED_SECRET: randomBytes(32).toString("base64url"), LOG_LEVEL: opts.logLevel, ...cpuProfileEnv() };
  const globalUrl = `http://127.0.0.1:${gPort}`;
  const regionUrls = rPorts.map((p) => `http://127.0.0.1:${p}`);
  const regionUrl = regionUrls[0]!;
  const served = processes === 1 ? { endpoint: regionUrl } : { endpoints: regionUrls };
  const topology = JSON.stringify({
    regions: [{ region_id: "FI-HEL", name: "Helsinki", country: "FI", ...served, provider: { provider_id: "fi-hel-fs", type: "fs", country: "FI" } }],
  });
  const masterKeys = `k1:${randomBytes(32).toString("base64")}`;
  const regionEnv = (port: number) => ({
    ...shared, REGION_ID: "FI-HEL", PORT: String(port), DATABASE_URL: viaSocket(regionalDb.url), STORAGE_DIR: join(opts.workDir, "pg-objects"),
    TOPOLOGY_JSON: topology, MASTER_KEYS: masterKeys, GLOBAL_ROUTER_URL: globalUrl, PUBLIC_S3_ENDPOINT: globalUrl,
    ...(plain ? { ENCRYPT_OBJECTS: "false" } : {}),
  });
  // The first one alone, so it runs the migrations before the others open the database.
  const regions = [spawnNode("apps/regional-gateway/src/server.ts", regionEnv(rPorts[0]!))];
  opts.cleanup(() => stopChild(regions[0]!.child));
  const global = spawnNode("apps/global-router/src/server.ts", { ...shared, PORT: String(gPort), DATABASE_URL: viaSocket(globalDb.url), TOPOLOGY_JSON: topology });
  opts.cleanup(() => stopChild(global.child));
  const outputs = () => `${regions.map((r, i) => `\n--- regional gateway ${i + 1}:\n${r.output().slice(-6000)}`).join("")}\n--- global router:\n${global.output().slice(-4000)}`;
  try {
    await waitForHealth(regionUrl, 60_000);
    for (const port of rPorts.slice(1)) {
      const more = spawnNode("apps/regional-gateway/src/server.ts", regionEnv(port));
      regions.push(more);
      opts.cleanup(() => stopChild(more.child));
      await waitForHealth(`http://127.0.0.1:${port}`, 60_000);
    }
    await waitForHealth(globalUrl, 60_000);
  } catch (err) {
    throw new Error(`${(err as Error).message}${outputs()}`);
  }
  const bypassGovernance = opts.bypassGovernance ?? false;
  const key = await onboardCustomer({ globalUrl, regionUrl, adminToken, customerId: "bench-pg", bypassGovernance });
  const customers = [key];
  for (const customerId of opts.extraCustomers ?? []) customers.push(await onboardCustomer({ globalUrl, regionUrl, adminToken, customerId, bypassGovernance }));
  const t = targetsOf(key, globalUrl, regionUrl);
  const regionPids = () => regions.map((r) => r.child.pid!);
  return {
    name: plain ? "gateway, Postgres server, no encryption" : processes > 1 ? `gateway, Postgres server, ${processes} FI-HEL processes` : "gateway, Postgres server",
    customers,
    management: { regionUrl, adminToken },
    endpoints: plain
      ? [{ label: "gateway, Postgres server, no encryption at rest, via global", id: "pgplain-global", target: t.global }]
      : processes > 1
        // Directly, a client would reach one of the processes only: measured via global alone.
        ? [{ label: `gateway, Postgres server, ${processes} FI-HEL processes, via global`, id: `pg${processes}-global`, target: t.global }]
        : [
          { label: "gateway, Postgres server, via global", id: "pg-global", target: t.global },
          { label: "gateway, Postgres server, FI-HEL directly", id: "pg-direct", target: t.direct },
        ],
    logs: outputs,
    pids: async () => ({ "global-router": global.child.pid!, ...Object.fromEntries(regionPids().map((pid, i) => [processes > 1 ? `FI-HEL-${i + 1}` : "FI-HEL", pid])) }),
    cpuPids: async () => ({ "global-router": [global.child.pid!], "FI-HEL": regionPids(), postgres: await backendPids([regionalDb.url, globalDb.url]) }),
    stop: async () => {
      await Promise.all([stopChild(global.child), ...regions.map((r) => stopChild(r.child))]);
    },
  };
}

/**
 * The database on this machine, reached over its Unix socket when it has one (BENCH_PG_SOCKET,
 * default /var/run/postgresql; "" for TCP): on one machine that is how a gateway should reach
 * it. Over loopback TCP every statement's send also runs the receiving side's TCP stack in the
 * sender's system call, a cost a database on another machine would not put on the gateway.
 */
function viaSocket(url: string): string {
  const dir = process.env.BENCH_PG_SOCKET ?? "/var/run/postgresql";
  if (!dir || !existsSync(join(dir, `.s.PGSQL.${new URL(url).port || 5432}`))) return url;
  const u = new URL(url);
  u.searchParams.set("host", dir);
  return u.toString();
}

/** The server processes (backends) serving these databases now: their CPU is the gateway's too. */
async function backendPids(urls: string[]): Promise<number[]> {
  const [a, b] = urls.map((u) => decodeURIComponent(new URL(u).pathname.slice(1)));
  const sql = postgresClient(adminUrl(), { max: 1 });
  try {
    const rows = await sql<{ pid: number }[]>`select pid from pg_stat_activity where datname in (${a!}, ${b!})`;
    return rows.map((r) => r.pid);
  } finally {
    await sql.end({ timeout: 1 });
  }
}
