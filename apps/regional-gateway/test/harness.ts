import { createHash, generateKeyPairSync } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestDatabase } from "@s3gw/db/testing";
import { MasterKeyRing, type Topology } from "@s3gw/core";
import pino from "pino";
import { expect } from "vitest";
import type { RegionalConfig } from "../src/config.ts";
import { startRegionalGateway, type RunningGateway } from "../src/start.ts";
import { AuditSigner } from "../src/services/audit/audit-signing.ts";
import { FingerprintKeys } from "../src/services/storage/customer-storage-fingerprint.ts";

export const TEST_TOPOLOGY: Topology = {
  regions: [
    { region_id: "FI-HEL", name: "Helsinki, Finland", country: "FI", endpoint: "http://127.0.0.1:1", provider: { provider_id: "fi-hel-fs", type: "fs", country: "FI" } },
    { region_id: "DE-FRA", name: "Frankfurt, Germany", country: "DE", endpoint: "http://127.0.0.1:1", provider: { provider_id: "de-fra-fs", type: "fs", country: "DE" } },
    { region_id: "US-EAST", name: "Virginia, United States", country: "US", endpoint: "http://127.0.0.1:1", provider: { provider_id: "us-east-fs", type: "fs", country: "US" } },
  ],
};

/** The bootstrap admin token every test region is configured with (by hash, as in production). */
export const ADMIN_TOKEN = "test-admin-token-0123456789abcdef";
export const adminAuth = { authorization: `Bearer ${ADMIN_TOKEN}` };

/** Shared by test regions and test routers (GATEWAY_SHARED_SECRET). */
export const TEST_GATEWAY_SECRET = "test-gateway-shared-secret-0123456789abcdef";
/** MASTER_KEYS of every test region unless overridden: one fixed key, "test-k1". */
export const TEST_MASTER_KEYS = `test-k1:${Buffer.alloc(32, 7).toString("base64")}`;
/** The Ed25519 key every test region signs audit checkpoints with (fresh per test process). */
export const TEST_AUDIT_SIGNER = new AuditSigner(generateKeyPairSync("ed25519").privateKey);

export interface TestRegion extends RunningGateway {
  storageDir: string;
  databaseUrl: string;
  /** Closes the gateway, drops its database and removes its storage. */
  destroy(): Promise<void>;
}

/** A real regional gateway on a random loopback port, with its own fresh Postgres database and storage dir. */
export async function startTestRegion(regionId: string, overrides: Partial<RegionalConfig> = {}): Promise<TestRegion> {
  const region = TEST_TOPOLOGY.regions.find((r) => r.region_id === regionId)!;
  const database = await createTestDatabase(regionId);
  const storageDir = await mkdtemp(join(tmpdir(), `s3gw-${regionId.toLowerCase()}-`));
  const config: RegionalConfig = {
    region,
    port: 0,
    host: "127.0.0.1",
    database: { url: database.url, poolSize: 10 },
    storageDir,
    trustedCustomerHeader: true,
    adminToken: { sha256: createHash("sha256").update(ADMIN_TOKEN).digest("hex") },
    sourceCountryHeader: "x-source-country",
    // Tests play the deployment's edge proxy from loopback.
    trustedProxies: ["127.0.0.1", "::ffff:127.0.0.1"],
    strayGraceMs: 15 * 60_000,
    sweepIntervalMs: 10 * 60_000,
    gdprDeadlineCheckMs: 15 * 60_000,
    lifecycleIntervalMs: 60 * 60_000,
    logLevel: "silent",
    masterKeys: MasterKeyRing.parse(TEST_MASTER_KEYS),
    gatewaySharedSecret: TEST_GATEWAY_SECRET,
    globalRouterUrl: undefined,
    // A lone test region has no router to confirm registrations with; with one (startStack sets
    // globalRouterUrl), the router is asked regardless.
    allowStandaloneRegistration: true,
    presignMaxExpiresSeconds: 3600,
    staleUploadDays: 7,
    auditSigner: TEST_AUDIT_SIGNER,
    auditCheckpointIntervalMs: 60 * 60_000,
    auditCheckpointRetentionDays: 3650,
    fingerprintKeys: FingerprintKeys.fromSettings({ masterKeys: TEST_MASTER_KEYS, activeMasterKeyId: "test-k1", regionId }),
    ...overrides,
  };
  const gw = await startRegionalGateway(config, { logger: pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" }) });
  let closed = false;
  return {
    ...gw,
    storageDir,
    databaseUrl: database.url,
    close: async () => {
      if (closed) return;
      closed = true;
      await gw.close();
    },
    destroy: async () => {
      if (!closed) {
        closed = true;
        await gw.close();
      }
      await database.drop();
      await rm(storageDir, { recursive: true, force: true });
    },
  };
}

export function registrationBody(overrides: Record<string, unknown> = {}) {
  return {
    customer_name: "Acme Corporation",
    country: "Finland",
    data_residency_requirement: "strict",
    compliance_requirements: ["GDPR", "Finnish_Data_Protection_Act"],
    primary_contact_email: "contact@acme.fi",
    compliance_officer_email: "gdpr@acme.fi",
    ...overrides,
  };
}

export async function register(baseUrl: string, customerId: string, overrides: Record<string, unknown> = {}): Promise<Response> {
  return fetch(`${baseUrl}/api/customers/${customerId}/register`, {
    method: "POST",
    headers: { "content-type": "application/json", ...adminAuth },
    body: JSON.stringify(registrationBody(overrides)),
  });
}

/** A tiny S3 client speaking the trusted-header mode over real HTTP. */
export function s3(baseUrl: string, customerId: string) {
  return (path: string, init: RequestInit & { headers?: Record<string, string> } = {}) =>
    fetch(`${baseUrl}/s3${path}`, { ...init, headers: { "x-customer-id": customerId, ...(init.headers ?? {}) }, duplex: "half" } as RequestInit);
}

/** Registers a customer (asserting 201) and creates its buckets (asserting 200); returns its S3 client. */
export async function registerWithBuckets(baseUrl: string, customerId: string, buckets: string[], overrides: Record<string, unknown> = {}) {
  expect((await register(baseUrl, customerId, overrides)).status).toBe(201);
  const client = s3(baseUrl, customerId);
  for (const bucket of buckets) expect((await client(`/${bucket}`, { method: "PUT" })).status).toBe(200);
  return client;
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** A management token minted by the admin through POST /api/tokens (asserting 201). */
export async function mintToken(baseUrl: string, name: string, role: string, customerId?: string): Promise<string> {
  const res = await fetch(`${baseUrl}/api/tokens`, {
    method: "POST",
    headers: { "content-type": "application/json", ...adminAuth },
    body: JSON.stringify({ name, role, ...(customerId ? { customer_id: customerId } : {}) }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { token: string }).token;
}

/** A GET on the management API, as the admin unless other headers are given. */
export const getAs = (baseUrl: string, path: string, auth: Record<string, string> = adminAuth) => fetch(`${baseUrl}${path}`, { headers: auth });

export interface Page<T> { items: T[]; next_cursor: string | null }

/** Every page of a paginated list, following next_cursor (each page asserted 200). */
export async function allPages<T>(baseUrl: string, path: string, auth: Record<string, string> = adminAuth): Promise<T[][]> {
  const pages: T[][] = [];
  let cursor: string | null = null;
  do {
    const res = await getAs(baseUrl, `${path}${path.includes("?") ? "&" : "?"}${cursor ? `cursor=${cursor}` : ""}`, auth);
    expect(res.status).toBe(200);
    const page = (await res.json()) as Page<T>;
    pages.push(page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return pages;
}
