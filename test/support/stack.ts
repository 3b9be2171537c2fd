import { createHash } from "node:crypto";
import { createTestDatabase } from "@s3gw/db/testing";
import { startGlobalRouter, type GlobalRouterConfig, type RunningGlobalRouter } from "@s3gw/global-router";
import pino from "pino";
import type { RegionalConfig } from "../../apps/regional-gateway/src/config.ts";
import { ADMIN_TOKEN, adminAuth, startTestRegion, TEST_GATEWAY_SECRET, TEST_TOPOLOGY, type TestRegion } from "../../apps/regional-gateway/test/harness.ts";

export type RegionId = "FI-HEL" | "DE-FRA" | "US-EAST";

export interface TestStack {
  global: RunningGlobalRouter;
  globalDatabaseUrl: string;
  regions: Record<RegionId, TestRegion>;
  close(): Promise<void>;
}

/**
 * A global router for tests on port 0, with a fresh database of its own and the harness's admin
 * token and shared secret; `overrides` for what a suite needs otherwise (topology aside).
 */
export async function startTestRouter(
  topology: GlobalRouterConfig["topology"],
  overrides: Partial<GlobalRouterConfig> = {},
): Promise<{ router: RunningGlobalRouter; databaseUrl: string; close(): Promise<void> }> {
  const db = await createTestDatabase("global");
  const router = await startGlobalRouter(
    {
      port: 0,
      host: "127.0.0.1",
      database: { url: db.url },
      topology,
      upstream: { connectTimeoutMs: 1000, headersTimeoutMs: 10_000, bodyTimeoutMs: 120_000 },
      routingRefreshMs: 60_000,
      logLevel: "silent",
      adminToken: { sha256: createHash("sha256").update(ADMIN_TOKEN).digest("hex") },
      gatewaySharedSecret: TEST_GATEWAY_SECRET,
      trustedCustomerHeader: false,
      ...overrides,
    },
    { logger: pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" }), shutdownGraceMs: 2000 },
  );
  return { router, databaseUrl: db.url, close: async () => (await router.close(), await db.drop()) };
}

/**
 * The whole topology on loopback: three regional gateways, each with its own fresh Postgres
 * database and storage directory, and a global router whose registry points at them.
 */
export async function startStack(opts: { virtualHostDomain?: string; trustedCustomerHeader?: boolean; regionConfig?: Partial<RegionalConfig> } = {}): Promise<TestStack> {
  const ids: RegionId[] = ["FI-HEL", "DE-FRA", "US-EAST"];
  const started = await Promise.all(ids.map((id) => startTestRegion(id, opts.regionConfig)));
  const regions = Object.fromEntries(ids.map((id, i) => [id, started[i]!])) as Record<RegionId, TestRegion>;
  const topology = { regions: TEST_TOPOLOGY.regions.map((r) => ({ ...r, endpoint: regions[r.region_id as RegionId].url })) };
  const { router: global, databaseUrl: globalDatabaseUrl, close: closeRouter } = await startTestRouter(topology, {
    // Suites speak X-Customer-ID through the router too (trusted-header mode, loopback only).
    trustedCustomerHeader: opts.trustedCustomerHeader ?? true,
    virtualHostDomain: opts.virtualHostDomain,
  });
  // The router's topology needs the regions' URLs, so the regions start first and learn the
  // router's URL now (GLOBAL_ROUTER_URL: access keys are registered there; read per call).
  for (const region of started) {
    region.deps.config.globalRouterUrl = global.url;
    region.deps.config.publicS3Endpoint = global.url;
    region.deps.config.virtualHostDomain = opts.virtualHostDomain;
    region.deps.config.trustedCustomerHeader = opts.trustedCustomerHeader ?? true;
  }
  return {
    global,
    globalDatabaseUrl,
    regions,
    close: async () => {
      await closeRouter();
      await Promise.all(Object.values(regions).map((r) => r.destroy()));
    },
  };
}

/** Both registration steps of the seed: routing on the global endpoint, profile in the home region. */
export async function onboard(stack: TestStack, customerId: string, regionId: RegionId, profile: Record<string, unknown>): Promise<void> {
  const routed = await fetch(`${stack.global.url}/routing/customers/${customerId}?region_id=${regionId}`, { method: "POST", headers: adminAuth });
  if (routed.status !== 201) throw new Error(`routing ${customerId}: ${routed.status} ${await routed.text()}`);
  const registered = await fetch(`${stack.regions[regionId].url}/api/customers/${customerId}/register`, {
    method: "POST",
    headers: { "content-type": "application/json", ...adminAuth },
    body: JSON.stringify({
      compliance_requirements: ["GDPR"],
      primary_contact_email: `contact@${customerId}.example`,
      compliance_officer_email: `dpo@${customerId}.example`,
      ...profile,
    }),
  });
  if (registered.status !== 201) throw new Error(`register ${customerId}: ${registered.status} ${await registered.text()}`);
}
