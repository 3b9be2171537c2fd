// A real two-layer stack for the CLI's tests: a global router and two regional gateways on loopback,
// each on a fresh Postgres database, and the CLI run as a child process against them.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import { createTestDatabase } from "@s3gw/db/testing";
import { startGlobalRouter, type RunningGlobalRouter } from "@s3gw/global-router";
import pino from "pino";
import { ADMIN_TOKEN, startTestRegion, TEST_GATEWAY_SECRET, TEST_TOPOLOGY, type TestRegion } from "../../regional-gateway/test/harness.ts";

export const CLI = fileURLToPath(new URL("../src/main.ts", import.meta.url));
export { ADMIN_TOKEN };

export interface CliStack {
  global: RunningGlobalRouter;
  fi: TestRegion;
  de: TestRegion;
  close(): Promise<void>;
}

/** A global router whose registry names the given regions' endpoints (some may be down). */
export async function startRouter(urls: Record<string, string>): Promise<{ router: RunningGlobalRouter; close(): Promise<void> }> {
  const topology = { regions: TEST_TOPOLOGY.regions.filter((r) => urls[r.region_id]).map((r) => ({ ...r, endpoint: urls[r.region_id]! })) };
  const db = await createTestDatabase("global");
  const router = await startGlobalRouter(
    {
      port: 0,
      host: "127.0.0.1",
      database: { url: db.url },
      topology,
      upstream: { connectTimeoutMs: 1000, headersTimeoutMs: 10_000, bodyTimeoutMs: 60_000 },
      routingRefreshMs: 60_000,
      logLevel: "silent",
      adminToken: { sha256: createHash("sha256").update(ADMIN_TOKEN).digest("hex") },
      gatewaySharedSecret: TEST_GATEWAY_SECRET,
      trustedCustomerHeader: true,
    },
    { logger: pino({ level: "silent" }), shutdownGraceMs: 2000 },
  );
  return { router, close: async () => (await router.close(), await db.drop()) };
}

export async function startCliStack(): Promise<CliStack> {
  const [fi, de] = await Promise.all([startTestRegion("FI-HEL"), startTestRegion("DE-FRA")]);
  const { router: global, close: closeRouter } = await startRouter({ "FI-HEL": fi.url, "DE-FRA": de.url });
  // Regions confirm registrations with the router (signed internal channel), as in a real stack.
  for (const r of [fi, de]) {
    r.deps.config.globalRouterUrl = global.url;
    r.deps.config.publicS3Endpoint = global.url;
    r.deps.config.allowStandaloneRegistration = false;
  }
  return {
    global,
    fi,
    de,
    close: async () => {
      await closeRouter();
      await Promise.all([fi.destroy(), de.destroy()]);
    },
  };
}

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

/** Runs the CLI with only the environment given (plus PATH): nothing leaks in from the test runner's. */
export function runCli(args: string[], env: Record<string, string> = {}, stdin?: string): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? "", ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === "number" ? ((err as { code: number }).code) : -1) : 0;
      resolve({ code, out: stdout, err: stderr });
    });
    if (stdin !== undefined) child.stdin!.end(stdin);
    else child.stdin!.end();
  });
}
