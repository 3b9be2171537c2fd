import { INTERNAL_SIGNATURE_HEADER, signInternalRequest } from "@s3gw/core";
import { openDatabase, type Database } from "@s3gw/db";
import { createTestDatabase } from "@s3gw/db/testing";
import { customerRouting, globalSchema } from "@s3gw/schema-global";
import { eq } from "drizzle-orm";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GlobalRouterConfig } from "../src/config.ts";
import { startGlobalRouter, type RunningGlobalRouter } from "../src/start.ts";
import { adminToken, GATEWAY_SECRET, register, send, startFakeRegion, topologyOf, type FakeRegion } from "./helpers.ts";

/**
 * Two router instances on one global database, as behind a load balancer. The instance that
 * takes a change applies it at once; the other learns it by its periodic reload, so the stated
 * bound is ROUTING_REFRESH_MS (here 300 ms). A revoked key routed by a stale map still reaches
 * only its own region, which refuses it there (the region's own key cache is authoritative).
 */
const REFRESH_MS = 300;
// Timers run late on a busy machine; still far below the 5 s an unknown id is remembered.
const SCHEDULING_SLACK_MS = 1_500;
const KEY = "S3GWCACHEINSTANCES01";

let fi: FakeRegion;
let testDb: { url: string; drop: () => Promise<void> };
let db: Database<typeof globalSchema>;
let a: RunningGlobalRouter;
let b: RunningGlobalRouter;

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
    await new Promise((r) => setTimeout(r, 20));
  }
}

const statusVia = async (router: RunningGlobalRouter, headers: Record<string, string>) => (await send(`${router.url}/bucket/key`, { headers })).status;

beforeAll(async () => {
  fi = await startFakeRegion("FI-HEL");
  testDb = await createTestDatabase("router_instances");
  const config = (): GlobalRouterConfig => ({
    port: 0,
    host: "127.0.0.1",
    database: { url: testDb.url },
    topology: topologyOf([{ regionId: "FI-HEL", url: fi.url, country: "FI" }]),
    upstream: { connectTimeoutMs: 1_000, headersTimeoutMs: 5_000, bodyTimeoutMs: 5_000 },
    routingRefreshMs: REFRESH_MS,
    logLevel: "silent",
    adminToken,
    gatewaySharedSecret: GATEWAY_SECRET,
    trustedCustomerHeader: true,
    snapshotFile: undefined,
    routingLogSpoolFile: undefined,
  });
  const logger = pino({ level: "silent" });
  a = await startGlobalRouter(config(), { logger, shutdownGraceMs: 500 });
  b = await startGlobalRouter(config(), { logger, shutdownGraceMs: 500 });
  db = await openDatabase({ url: testDb.url, poolSize: 1 }, globalSchema);
}, 60_000);

afterAll(async () => {
  await a?.close();
  await b?.close();
  await db?.close();
  await testDb?.drop();
  await fi?.close();
});

describe("routing maps across two router instances", () => {
  it("a customer and a key registered through one instance are routed by the other at once", async () => {
    expect((await register(a.url, "acme-corp", "FI-HEL")).status).toBe(201);
    expect((await internal(a.url, "PUT", KEY, JSON.stringify({ customer_id: "acme-corp" }))).status).toBe(201);
    // Not yet in b's map: a miss reads the database once.
    expect(await statusVia(b, { "x-customer-id": "acme-corp" })).toBe(200);
    expect(await statusVia(b, sigv4(KEY))).toBe(200);
  });

  it("a revoked key stops routing on the instance that took the revocation at once, on the other within the refresh bound", async () => {
    expect(await statusVia(b, sigv4(KEY))).toBe(200);
    expect((await internal(a.url, "DELETE", KEY)).status).toBe(204);
    expect(await statusVia(a, sigv4(KEY))).toBe(403);
    const took = await within(async () => (await statusVia(b, sigv4(KEY))) === 403, REFRESH_MS + 3_000);
    expect(took).toBeLessThanOrEqual(REFRESH_MS + SCHEDULING_SLACK_MS);
  });

  it("a customer unrouted in the database (an operator's delete) stops routing on both within the bound", async () => {
    expect(await statusVia(a, { "x-customer-id": "acme-corp" })).toBe(200);
    expect(await statusVia(b, { "x-customer-id": "acme-corp" })).toBe(200);
    await db.db.delete(customerRouting).where(eq(customerRouting.customerId, "acme-corp"));
    const took = await within(async () => (await statusVia(a, { "x-customer-id": "acme-corp" })) === 403 && (await statusVia(b, { "x-customer-id": "acme-corp" })) === 403, REFRESH_MS + 3_000);
    expect(took).toBeLessThanOrEqual(REFRESH_MS + SCHEDULING_SLACK_MS);
  });

  it("an id one instance found unknown is routed once another registers it, within the bound", async () => {
    expect(await statusVia(b, { "x-customer-id": "globex" })).toBe(403);
    expect((await register(a.url, "globex", "FI-HEL")).status).toBe(201);
    expect(await statusVia(a, { "x-customer-id": "globex" })).toBe(200);
    // b remembered "unknown" (negative cache, 5 s); its next reload forgets that.
    const took = await within(async () => (await statusVia(b, { "x-customer-id": "globex" })) === 200, REFRESH_MS + 3_000);
    expect(took).toBeLessThanOrEqual(REFRESH_MS + SCHEDULING_SLACK_MS);
  });
});
