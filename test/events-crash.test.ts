import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestDatabase } from "@s3gw/db/testing";
import type { RunningGlobalRouter } from "@s3gw/global-router";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestRouter } from "./support/stack.ts";
import { notificationXml } from "../apps/regional-gateway/test/notification-helpers.ts";
import { freePort, REPO_ROOT, spawnNode, waitForHealth } from "./support/processes.ts";
import { WebhookReceiver } from "./support/webhook-receiver.ts";
import { ADMIN_TOKEN, TEST_TOPOLOGY } from "../apps/regional-gateway/test/harness.ts";

// The outbox's promise under a crash: every acknowledged write's event is delivered after the
// gateway is killed with deliveries in flight, and a receiver that dedupes by event id sees each
// exactly once. The gateway is a real child process; the global router runs in this process.
const SHARED_SECRET = "events-crash-shared-secret-0123456789abcdef";
const auth = { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" };

let regionDb: { url: string; drop: () => Promise<void> };
let closeRouter: () => Promise<void>;
let storageDir: string;
let topologyFile: string;
let port: number;
let router: RunningGlobalRouter;
const receiver = new WebhookReceiver();

beforeAll(async () => {
  regionDb = await createTestDatabase("events-crash");
  storageDir = await mkdtemp(join(tmpdir(), "s3gw-events-crash-"));
  port = await freePort();
  const topology = { regions: TEST_TOPOLOGY.regions.map((r) => ({ ...r, endpoint: r.region_id === "FI-HEL" ? `http://127.0.0.1:${port}` : r.endpoint })) };
  topologyFile = join(storageDir, "..", `s3gw-events-crash-topology-${process.pid}.json`);
  await writeFile(topologyFile, JSON.stringify(topology));
  ({ router, close: closeRouter } = await startTestRouter(topology, {
    upstream: { connectTimeoutMs: 1000, headersTimeoutMs: 10_000, bodyTimeoutMs: 60_000 },
    gatewaySharedSecret: SHARED_SECRET, trustedCustomerHeader: true,
  }));
  await receiver.start();
});
afterAll(async () => {
  await closeRouter?.();
  await receiver.close();
  await regionDb?.drop();
  await rm(storageDir, { recursive: true, force: true });
  await rm(topologyFile, { force: true });
});

function startGateway() {
  return spawnNode("apps/regional-gateway/src/server.ts", {
    REGION_ID: "FI-HEL", PORT: String(port), HOST: "127.0.0.1", DATABASE_URL: regionDb.url, STORAGE_DIR: storageDir,
    TOPOLOGY_FILE: topologyFile, TRUSTED_CUSTOMER_HEADER: "true", ADMIN_TOKEN, GATEWAY_SHARED_SECRET: SHARED_SECRET,
    GLOBAL_ROUTER_URL: router.url, MASTER_KEYS: `crash-k1:${Buffer.alloc(32, 5).toString("base64")}`, LOG_LEVEL: "warn",
    EVENT_POLL_MS: "50", EVENT_LEASE_TTL_MS: "1000", EVENT_RETRY_BASE_MS: "50", EVENT_RETRY_MAX_MS: "200",
  });
}

it("delivers every acknowledged write's event after kill -9 with deliveries in flight, once per id after dedupe", async () => {
  const base = `http://127.0.0.1:${port}`;
  let gateway = startGateway();
  try {
    await waitForHealth(base);
    const s3 = (path: string, init: RequestInit = {}) => fetch(`${router.url}/s3${path}`, { ...init, headers: { "x-customer-id": "acme-corp" } });
    expect((await fetch(`${router.url}/routing/customers/acme-corp?region_id=FI-HEL`, { method: "POST", headers: auth })).status).toBe(201);
    const registered = await fetch(`${base}/api/customers/acme-corp/register`, {
      method: "POST", headers: auth,
      body: JSON.stringify({ customer_name: "Acme", country: "Finland", data_residency_requirement: "strict", primary_contact_email: "a@acme.fi", compliance_officer_email: "d@acme.fi" }),
    });
    expect(registered.status, await registered.clone().text()).toBe(201);
    // The target answers nothing while the gateway runs: every delivery is in flight when it dies.
    receiver.mode = "hang";
    const target = await fetch(`${base}/api/notification-targets`, { method: "POST", headers: auth, body: JSON.stringify({ name: "crash-hook", kind: "webhook", country: "FI", webhook: { url: receiver.url, timeout_ms: 60_000 } }) });
    expect(target.status).toBe(201);
    const { arn, secret } = (await target.json()) as { arn: string; secret: string };
    receiver.secret = secret;
    expect((await s3("/docs", { method: "PUT" })).status).toBe(200);
    expect((await s3("/docs?notification", { method: "PUT", body: notificationXml([{ arn, events: ["s3:ObjectCreated:*"] }]) })).status).toBe(200);
    const keys = Array.from({ length: 12 }, (_, i) => `k${i}`);
    for (const key of keys) expect((await s3(`/docs/${key}`, { method: "PUT", body: `body of ${key}` })).status).toBe(200);
    // Wait until the dispatcher is sending (one request per key in flight), then kill it.
    await new Promise<void>((resolve, reject) => {
      const end = Date.now() + 15_000;
      const tick = setInterval(() => {
        if (receiver.hangingCount() >= 1) { clearInterval(tick); resolve(); }
        else if (Date.now() > end) { clearInterval(tick); reject(new Error(`no delivery in flight\n${gateway.output()}`)); }
      }, 20);
    });
    gateway.child.kill("SIGKILL");
    await new Promise((r) => gateway.child.once("exit", r));
    receiver.releaseHung();
    receiver.mode = "ok";

    gateway = startGateway();
    await waitForHealth(base);
    const events = await receiver.waitFor(keys.length, 30_000);
    const seen = events.map((e) => (e.body.Records as { s3: { object: { key: string } } }[])[0]!.s3.object.key).sort();
    expect(seen).toEqual([...keys].sort());
    expect(events.every((e) => e.signed && e.name === "s3:ObjectCreated:Put")).toBe(true);
    // After dedupe exactly once per id, and no more ids than acknowledged writes (no event twice under two ids).
    expect(new Set(receiver.received.map((e) => e.id)).size).toBe(keys.length);
  } finally {
    gateway.child.kill("SIGKILL");
  }
});
