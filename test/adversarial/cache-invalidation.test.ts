import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestDatabase } from "@s3gw/db/testing";
import type postgres from "postgres";
import { postgresClient } from "@s3gw/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Credentials } from "../support/s3-clients.ts";
import { freePort, REPO_ROOT, spawnNode, waitForHealth } from "../support/processes.ts";
import { rawSigned, type RawAnswer } from "./signing.ts";

/**
 * Two gateway processes of one region on one Postgres database: a change made through A (or
 * straight in SQL) must take effect on B, whose cache holds the old row. The cache's bound is a
 * notified change within milliseconds, anything else within the 5 s safety TTL; each check here
 * warms B's cache right before the change and requires B to converge well before that entry
 * could have expired (so it was the notification, not the TTL).
 */
const CACHE_TTL_MS = 5_000; // apps/regional-gateway/src/services/cache/regional-cache.ts
const NOTIFIED_DEADLINE_MS = 3_000;
const ADMIN_TOKEN = "cache-test-admin-token-0123456789";
const MASTER_KEYS = `cache-k1:${Buffer.alloc(32, 9).toString("base64")}`;
const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" };
const CUSTOMER = "cache-co";

let dbUrl: string;
let drop: () => Promise<void>;
let storageDir: string;
let sql: postgres.Sql;
let a: Gateway;
let b: Gateway;
let creds: Credentials;

interface Gateway { url: string; pid: number; output: () => string; stop: () => Promise<void> }

async function startGateway(): Promise<Gateway> {
  const port = await freePort();
  const spawned = spawnNode("apps/regional-gateway/src/server.ts", {
    REGION_ID: "FI-HEL",
    PORT: String(port),
    HOST: "127.0.0.1",
    DATABASE_URL: dbUrl,
    STORAGE_DIR: storageDir,
    TOPOLOGY_FILE: join(REPO_ROOT, "infra/topology.local.json"),
    ADMIN_TOKEN,
    MASTER_KEYS,
    ALLOW_STANDALONE_REGISTRATION: "true",
    // The test plays the deployment's edge proxy: its x-source-country header is believed.
    TRUSTED_PROXIES: "127.0.0.1,::ffff:127.0.0.1",
    LOG_LEVEL: "warn",
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForHealth(url);
  return {
    url,
    pid: spawned.child.pid!,
    output: spawned.output,
    stop: async () => {
      if (spawned.child.exitCode !== null) return;
      const exited = new Promise((r) => spawned.child.once("exit", r));
      spawned.child.kill("SIGTERM");
      await exited;
    },
  };
}

const code = (r: RawAnswer) => /<Code>([^<]+)<\/Code>/.exec(r.text)?.[1] ?? String(r.status);
const get = (g: Gateway, path: string, headers: Record<string, string> = {}) => rawSigned(g.url, { method: "GET", path: `/s3${path}`, creds, headers });
const put = (g: Gateway, path: string, body = "", headers: Record<string, string> = {}) => rawSigned(g.url, { method: "PUT", path: `/s3${path}`, creds, body, headers });
const api = (g: Gateway, method: string, path: string, body?: unknown) =>
  fetch(`${g.url}/api${path}`, { method, headers: admin, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

/** Polls until `check` holds; returns when it first did (ms since `since`), or fails at the deadline. */
async function until(what: string, since: number, deadlineMs: number, check: () => Promise<boolean>): Promise<number> {
  for (;;) {
    if (await check()) return performance.now() - since;
    if (performance.now() - since > deadlineMs) throw new Error(`${what}: not within ${deadlineMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** B answers `expected` (an S3 error code or "200") for `request`, converging after a change made at `warmedAt`. */
async function convergesOnB(what: string, warmedAt: number, expected: string, request: () => Promise<RawAnswer>): Promise<void> {
  const elapsed = await until(what, warmedAt, NOTIFIED_DEADLINE_MS, async () => code(await request()) === expected);
  // B's entry was loaded at `warmedAt` and would live until warmedAt + TTL: it was invalidated.
  expect(elapsed).toBeLessThan(CACHE_TTL_MS);
}

const rules = (over: Record<string, unknown> = {}) => ({
  allowed_content_types: null,
  max_object_size_bytes: null,
  reject_duplicate_content: false,
  block_cross_border_access: false,
  unknown_source_country: "allow",
  anomaly_threshold_per_hour: 1_000_000,
  ...over,
});

beforeAll(async () => {
  ({ url: dbUrl, drop } = await createTestDatabase("cache"));
  storageDir = await mkdtemp(join(tmpdir(), "s3gw-cache-"));
  // A migrates the database first; B then starts on the same, migrated database.
  a = await startGateway();
  b = await startGateway();
  sql = postgresClient(dbUrl, { max: 1 });
  const registered = await api(a, "POST", `/customers/${CUSTOMER}/register`, {
    customer_name: "Cache Co", country: "FI", data_residency_requirement: "strict",
    primary_contact_email: "ops@cache.example", compliance_officer_email: "dpo@cache.example",
  });
  expect(registered.status).toBe(201);
  expect((await api(a, "PUT", `/customers/${CUSTOMER}/rules`, rules())).status).toBe(200);
  const key = await api(a, "POST", `/customers/${CUSTOMER}/access-keys`, { permission: "read-write" });
  expect(key.status).toBe(201);
  const k = (await key.json()) as { access_key_id: string; secret_access_key: string };
  creds = { accessKeyId: k.access_key_id, secretAccessKey: k.secret_access_key };
  expect((await put(a, "/docs")).status).toBe(200);
  expect((await put(a, "/docs/hello.txt", "hello", { "content-type": "text/plain" })).status).toBe(200);
}, 120_000);

afterAll(async () => {
  await sql?.end();
  await Promise.all([a?.stop(), b?.stop()]);
  await drop?.();
  await rm(storageDir, { recursive: true, force: true });
});

describe("cache invalidation across two gateways of one region", () => {
  it("B caches: a change whose notification is lost still takes effect, within the TTL", async () => {
    // Proof that B serves from its cache at all: with the trigger off, the change is not notified.
    await sql`alter table customers disable trigger customers_cache_notify`;
    try {
      expect(code(await get(b, "/docs/hello.txt"))).toBe("200");
      const warmedAt = performance.now();
      await sql`update customers set status = 'suspended' where customer_id = ${CUSTOMER}`;
      expect(code(await get(b, "/docs/hello.txt"))).toBe("200"); // the cached, active profile
      const elapsed = await until("suspension without a notification", warmedAt, CACHE_TTL_MS + 2_000, async () => code(await get(b, "/docs/hello.txt")) === "AccessDenied");
      expect(elapsed).toBeGreaterThan(CACHE_TTL_MS - 1_000);
    } finally {
      await sql`alter table customers enable trigger customers_cache_notify`;
      await sql`update customers set status = 'active' where customer_id = ${CUSTOMER}`;
    }
    await convergesOnB("reactivated customer", performance.now(), "200", () => get(b, "/docs/hello.txt"));
  });

  it("a key disabled on A is refused by B; re-enabled, B accepts it again", async () => {
    expect(code(await get(b, "/docs/hello.txt"))).toBe("200");
    const warmedAt = performance.now();
    expect((await api(a, "PATCH", `/customers/${CUSTOMER}/access-keys/${creds.accessKeyId}`, { status: "disabled" })).status).toBe(200);
    await convergesOnB("disabled key", warmedAt, "InvalidAccessKeyId", () => get(b, "/docs/hello.txt"));
    expect((await api(a, "PATCH", `/customers/${CUSTOMER}/access-keys/${creds.accessKeyId}`, { status: "active" })).status).toBe(200);
    await convergesOnB("re-enabled key", performance.now(), "200", () => get(b, "/docs/hello.txt"));
  });

  it("a customer suspended in SQL (no API involved) is refused by B", async () => {
    expect(code(await get(b, "/docs/hello.txt"))).toBe("200");
    const warmedAt = performance.now();
    await sql`update customers set status = 'suspended' where customer_id = ${CUSTOMER}`;
    try {
      await convergesOnB("suspended customer", warmedAt, "AccessDenied", () => get(b, "/docs/hello.txt"));
    } finally {
      await sql`update customers set status = 'active' where customer_id = ${CUSTOMER}`;
    }
    await convergesOnB("reactivated customer", performance.now(), "200", () => get(b, "/docs/hello.txt"));
  });

  it("rules changed on A are enforced by B: the cross-border block and a content-type rule", async () => {
    const fromUS = { "x-source-country": "US" };
    expect(code(await get(b, "/docs/hello.txt", fromUS))).toBe("200");
    expect(code(await put(b, "/docs/blob.bin", "x", { "content-type": "application/octet-stream" }))).toBe("200");
    const warmedAt = performance.now();
    expect((await api(a, "PUT", `/customers/${CUSTOMER}/rules`, rules({ block_cross_border_access: true, allowed_content_types: ["text/plain"] }))).status).toBe(200);
    await convergesOnB("cross-border block", warmedAt, "AccessDenied", () => get(b, "/docs/hello.txt", fromUS));
    expect(code(await put(b, "/docs/blob.bin", "x", { "content-type": "application/octet-stream" }))).toBe("ContentTypeNotAllowed");
    expect(code(await get(b, "/docs/hello.txt", { "x-source-country": "FI" }))).toBe("200");
    expect((await api(a, "PUT", `/customers/${CUSTOMER}/rules`, rules())).status).toBe(200);
    await convergesOnB("rules lifted", performance.now(), "200", () => get(b, "/docs/hello.txt", fromUS));
  });

  it("customer storage turned unhealthy in SQL makes B refuse new writes; removed, B writes to hosted storage again", async () => {
    // B's write path has cached "no customer storage: hosted" for this customer.
    expect(code(await put(b, "/docs/before.txt", "x", { "content-type": "text/plain" }))).toBe("200");
    const warmedAt = performance.now();
    await sql`insert into storage_targets (target_id, customer_id, provider_label, region, country, bucket, access_key_id, secret_ciphertext, secret_fingerprint)
      values ('cache-co-bucket', ${CUSTOMER}, 'test', 'eu-north-1', 'FI', 'their-bucket', 'AKIDCACHETEST', 'not-a-real-ciphertext', 'fp')`;
    await sql`insert into customer_storage (customer_id, target_id, enabled, status, last_error_class)
      values (${CUSTOMER}, 'cache-co-bucket', true, 'unhealthy', 'unreachable')`;
    try {
      // Never silently written to hosted storage once the customer's own bucket is configured.
      await convergesOnB("unhealthy customer storage", warmedAt, "CustomerStorageUnavailable", () => put(b, "/docs/during.txt", "x", { "content-type": "text/plain" }));
    } finally {
      await sql`delete from customer_storage where customer_id = ${CUSTOMER}`;
      await sql`delete from storage_targets where target_id = 'cache-co-bucket'`;
    }
    await convergesOnB("customer storage removed", performance.now(), "200", () => put(b, "/docs/after.txt", "x", { "content-type": "text/plain" }));
  });

  it("lifecycle rules put on A are announced by B (x-amz-expiration on PUT); deleted on A, B stops announcing them", async () => {
    const expiration = async () => (await put(b, "/docs/expiring.txt", "x", { "content-type": "text/plain" })).headers["x-amz-expiration"];
    expect(await expiration()).toBeUndefined(); // B has cached "no rules" for the bucket
    const lifecycle = `<LifecycleConfiguration><Rule><ID>tmp</ID><Filter><Prefix></Prefix></Filter><Status>Enabled</Status><Expiration><Days>3</Days></Expiration></Rule></LifecycleConfiguration>`;
    const warmedAt = performance.now();
    expect((await rawSigned(a.url, { method: "PUT", path: "/s3/docs?lifecycle", creds, body: lifecycle })).status).toBe(200);
    const elapsed = await until("lifecycle rules on B", warmedAt, NOTIFIED_DEADLINE_MS, async () => String(await expiration()).includes('rule-id="tmp"'));
    expect(elapsed).toBeLessThan(CACHE_TTL_MS);
    const removedAt = performance.now();
    expect((await rawSigned(a.url, { method: "DELETE", path: "/s3/docs?lifecycle", creds })).status).toBe(204);
    expect(await until("lifecycle rules gone on B", removedAt, NOTIFIED_DEADLINE_MS, async () => (await expiration()) === undefined)).toBeLessThan(CACHE_TTL_MS);
  });

  it("a bucket deleted on A is NoSuchBucket on B; recreated on A, B finds it at once", async () => {
    expect((await put(a, "/scratch")).status).toBe(200);
    expect(code(await get(b, "/scratch?location"))).toBe("200");
    const warmedAt = performance.now();
    expect((await rawSigned(a.url, { method: "DELETE", path: "/s3/scratch", creds })).status).toBe(204);
    // A stale bucket row would answer NoSuchKey here: the object lookup would run on its old id.
    await convergesOnB("deleted bucket", warmedAt, "NoSuchBucket", () => get(b, "/scratch/anything"));
    // Absent buckets are never cached: the new one is found by B without waiting.
    expect((await put(a, "/scratch")).status).toBe(200);
    expect((await put(a, "/scratch/new.txt", "new", { "content-type": "text/plain" })).status).toBe(200);
    const answer = await get(b, "/scratch/new.txt");
    expect(answer.status).toBe(200);
    expect(answer.text).toBe("new");
  });

  it("after B's LISTEN connection is killed, B reconnects, starts from an empty cache, and converges", async () => {
    const listenerOf = async (pid: number) =>
      (await sql`select pid from pg_stat_activity where datname = current_database() and application_name = ${`s3gw-cache-listener ${pid}`}`).map((r) => r.pid as number);
    const [before] = await listenerOf(b.pid);
    expect(before).toBeDefined();
    expect(code(await get(b, "/docs/hello.txt"))).toBe("200");
    const warmedAt = performance.now();
    await sql`select pg_terminate_backend(${before!})`;
    // Changed while B's listener may be down: the notification can be missed; B must still see it.
    expect((await api(a, "PATCH", `/customers/${CUSTOMER}/access-keys/${creds.accessKeyId}`, { status: "disabled" })).status).toBe(200);
    await convergesOnB("disabled key after a lost LISTEN connection", warmedAt, "InvalidAccessKeyId", () => get(b, "/docs/hello.txt"));
    await until("B listening again", warmedAt, NOTIFIED_DEADLINE_MS, async () => {
      const now = await listenerOf(b.pid);
      return now.length === 1 && now[0] !== before;
    });
    expect(b.output()).toContain("LISTEN connection lost");
    // Listening again: notifications take effect as before.
    expect((await api(a, "PATCH", `/customers/${CUSTOMER}/access-keys/${creds.accessKeyId}`, { status: "active" })).status).toBe(200);
    await convergesOnB("re-enabled key", performance.now(), "200", () => get(b, "/docs/hello.txt"));
    expect(code(await get(b, "/docs/hello.txt"))).toBe("200");
    const warmedAgain = performance.now();
    await sql`update customers set status = 'suspended' where customer_id = ${CUSTOMER}`;
    try {
      await convergesOnB("suspended customer after the reconnect", warmedAgain, "AccessDenied", () => get(b, "/docs/hello.txt"));
    } finally {
      await sql`update customers set status = 'active' where customer_id = ${CUSTOMER}`;
    }
  });
});
