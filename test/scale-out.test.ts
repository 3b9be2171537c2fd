import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { postgresClient } from "@s3gw/db";
import { createTestDatabase } from "@s3gw/db/testing";
import type { RunningGlobalRouter } from "@s3gw/global-router";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestRouter } from "./support/stack.ts";
import { ADMIN_TOKEN, TEST_TOPOLOGY } from "../apps/regional-gateway/test/harness.ts";
import { notificationXml } from "../apps/regional-gateway/test/notification-helpers.ts";
import { createAccessKey, sdkClient } from "../apps/regional-gateway/test/sdk-client.ts";
import { freePort, spawnNode, waitForHealth } from "./support/processes.ts";
import { WebhookReceiver } from "./support/webhook-receiver.ts";

// Two regional gateway PROCESSES of FI-HEL on one Postgres database and one shared `fs`
// storage directory, behind one global router that lists both as the region's endpoints.
const SHARED_SECRET = "scale-out-shared-secret-0123456789abcdef";
const CUSTOMER = "scale-co";
const auth = { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" };
const asCustomer = { "x-customer-id": CUSTOMER };
const sha = (b: Buffer | Uint8Array) => createHash("sha256").update(b).digest("hex");

interface Instance {
  name: "A" | "B";
  url: string;
  kill(): Promise<void>;
  /** pino lines about background workers (leases, lifecycle runs), whatever else it logged. */
  workerLines: string[];
  output(): string;
}

let regionDb: { url: string; drop: () => Promise<void> };
let closeRouter: () => Promise<void>;
let storageDir: string;
let topologyFile: string;
let router: RunningGlobalRouter;
let a: Instance;
let b: Instance;
const receiver = new WebhookReceiver();

function spawnInstance(name: "A" | "B", port: number): Instance {
  const proc = spawnNode("apps/regional-gateway/src/server.ts", {
    REGION_ID: "FI-HEL", PORT: String(port), HOST: "127.0.0.1", DATABASE_URL: regionDb.url, STORAGE_DIR: storageDir,
    TOPOLOGY_FILE: topologyFile, TRUSTED_CUSTOMER_HEADER: "true", ADMIN_TOKEN, GATEWAY_SHARED_SECRET: SHARED_SECRET,
    GLOBAL_ROUTER_URL: router.url, MASTER_KEYS: `scale-k1:${Buffer.alloc(32, 9).toString("base64")}`, LOG_LEVEL: "info",
    EVENT_POLL_MS: "50", EVENT_LEASE_TTL_MS: "1000", EVENT_RETRY_BASE_MS: "50", EVENT_RETRY_MAX_MS: "200",
    LIFECYCLE_INTERVAL_MS: "1000",
  });
  const workerLines: string[] = [];
  let partial = "";
  proc.child.stdout!.on("data", (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) if (/lease|lifecycle run/.test(line)) workerLines.push(line);
  });
  const exited = new Promise((r) => proc.child.once("exit", r));
  return {
    name,
    url: `http://127.0.0.1:${port}`,
    workerLines,
    output: proc.output,
    kill: async () => {
      if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill("SIGKILL");
      await exited;
    },
  };
}

beforeAll(async () => {
  regionDb = await createTestDatabase("scale-out");
  storageDir = await mkdtemp(join(tmpdir(), "s3gw-scale-out-"));
  const [portA, portB] = [await freePort(), await freePort()];
  const topology = {
    regions: TEST_TOPOLOGY.regions.map(({ endpoint, ...r }) => (r.region_id === "FI-HEL" ? { ...r, endpoints: [`http://127.0.0.1:${portA}`, `http://127.0.0.1:${portB}`] } : { ...r, endpoint })),
  };
  topologyFile = join(tmpdir(), `s3gw-scale-out-topology-${process.pid}.json`);
  await writeFile(topologyFile, JSON.stringify(topology));
  ({ router, close: closeRouter } = await startTestRouter(topology, {
    upstream: { connectTimeoutMs: 1000, headersTimeoutMs: 10_000, bodyTimeoutMs: 60_000 },
    gatewaySharedSecret: SHARED_SECRET, trustedCustomerHeader: true,
  }));
  await receiver.start();
  // One after the other, so A is up, and holds the workers' leases, before B starts.
  a = spawnInstance("A", portA);
  await waitForHealth(a.url, 20_000).catch((err: Error) => Promise.reject(new Error(`${err.message}\nA: ${a.output().slice(-3000)}`)));
  b = spawnInstance("B", portB);
  await waitForHealth(b.url, 20_000).catch((err: Error) => Promise.reject(new Error(`${err.message}\nB: ${b.output().slice(-3000)}`)));
  expect((await fetch(`${router.url}/routing/customers/${CUSTOMER}?region_id=FI-HEL`, { method: "POST", headers: auth })).status).toBe(201);
  const registered = await fetch(`${a.url}/api/customers/${CUSTOMER}/register`, {
    method: "POST", headers: auth,
    body: JSON.stringify({ customer_name: "Scale Oy", country: "Finland", data_residency_requirement: "strict", primary_contact_email: "a@scale.fi", compliance_officer_email: "d@scale.fi" }),
  });
  expect(registered.status, await registered.clone().text()).toBe(201);
  for (const bucket of ["bkt", "events", "expiring"]) expect((await viaRouter(`/${bucket}`, { method: "PUT" })).status).toBe(200);
}, 60_000);

afterAll(async () => {
  await Promise.all([a?.kill(), b?.kill()]);
  await closeRouter?.();
  await receiver.close();
  await regionDb?.drop();
  await rm(storageDir, { recursive: true, force: true });
  await rm(topologyFile, { force: true });
});

const viaRouter = (path: string, init: RequestInit = {}) => fetch(`${router.url}/s3${path}`, { ...init, headers: { ...asCustomer, ...(init.headers as Record<string, string>) } });
const direct = (i: Instance, path: string, init: RequestInit = {}) => fetch(`${i.url}/s3${path}`, { ...init, headers: { ...asCustomer, ...(init.headers as Record<string, string>) } });
const readSha = async (i: Instance, path: string) => {
  const res = await direct(i, path);
  return res.status === 200 ? sha(Buffer.from(await res.arrayBuffer())) : res.status;
};
/** S3 requests this instance answered so far (its own Prometheus counter). */
const servedBy = async (i: Instance) => {
  const text = await (await fetch(`${i.url}/metrics`)).text();
  return text.split("\n").filter((l) => l.startsWith("s3gw_requests_total{")).reduce((sum, l) => sum + Number(l.split(" ").pop()), 0);
};
const lines = (i: Instance, msg: string) => i.workerLines.filter((l) => l.includes(`"msg":"${msg}"`));

describe("one region, two gateway processes, one database, one storage directory", () => {
  it("serves concurrent PUT/GET/DELETE through the router, every acknowledged write readable from both instances", async () => {
    const before = await Promise.all([servedBy(a), servedBy(b)]);
    const written = new Map<string, string>();
    const deleted = new Set<string>();
    await Promise.all(
      Array.from({ length: 4 }, async (_, w) => {
        for (let i = 0; i < 12; i++) {
          const key = `w${w}-${i}`;
          const body = randomBytes(1024 + ((w * 7919 + i * 104_729) % 65_536));
          const put = await viaRouter(`/bkt/${key}`, { method: "PUT", body });
          expect(put.status, key).toBe(200);
          written.set(key, sha(body));
          const got = await viaRouter(`/bkt/${key}`);
          expect(sha(Buffer.from(await got.arrayBuffer())), key).toBe(sha(body));
          if (i % 3 === 2) {
            expect((await viaRouter(`/bkt/${key}`, { method: "DELETE" })).status).toBe(204);
            deleted.add(key);
          }
        }
      }),
    );
    // The router spread the 48 PUT/GET/DELETE rounds over both instances (least in flight, ties round-robin).
    const after = await Promise.all([servedBy(a), servedBy(b)]);
    const share = [after[0]! - before[0]!, after[1]! - before[1]!];
    console.log(`scale-out: requests served through the router: A=${share[0]} B=${share[1]}`);
    expect(Math.min(...share)).toBeGreaterThan(20);
    for (const [key, digest] of written) {
      for (const i of [a, b]) expect(await readSha(i, `/bkt/${key}`), `${key} on ${i.name}`).toBe(deleted.has(key) ? 404 : digest);
    }
    for (const i of [a, b]) {
      const verify = await fetch(`${i.url}/api/audit/verify`, { headers: auth });
      expect(await verify.json(), `audit verify on ${i.name}`).toMatchObject({ intact: true });
    }
  }, 60_000);

  it("assembles a multipart upload whose parts went to different instances", async () => {
    const created = await direct(a, "/bkt/big?uploads", { method: "POST" });
    expect(created.status).toBe(200);
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(await created.text())![1]!;
    const parts = [randomBytes(5 * 1024 * 1024), randomBytes(300_000)];
    const etags: string[] = [];
    for (const [n, at] of [[1, a], [2, b]] as const) {
      const res = await direct(at, `/bkt/big?partNumber=${n}&uploadId=${encodeURIComponent(uploadId)}`, { method: "PUT", body: parts[n - 1] });
      expect(res.status, `part ${n} on ${at.name}`).toBe(200);
      etags.push(res.headers.get("etag")!);
    }
    const xml = `<CompleteMultipartUpload>${etags.map((e, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${e}</ETag></Part>`).join("")}</CompleteMultipartUpload>`;
    const done = await direct(b, `/bkt/big?uploadId=${encodeURIComponent(uploadId)}`, { method: "POST", body: xml });
    expect(done.status, await done.clone().text()).toBe(200);
    const whole = sha(Buffer.concat(parts));
    expect(await readSha(a, "/bkt/big")).toBe(whole);
    expect(await readSha(b, "/bkt/big")).toBe(whole);
  }, 60_000);

  it("dispatches events from one instance only: each acknowledged write's event arrives once, one lease holder", async () => {
    const target = await fetch(`${a.url}/api/notification-targets`, { method: "POST", headers: auth, body: JSON.stringify({ name: "scale-hook", kind: "webhook", country: "FI", webhook: { url: receiver.url, timeout_ms: 10_000 } }) });
    expect(target.status).toBe(201);
    const { arn, secret } = (await target.json()) as { arn: string; secret: string };
    receiver.secret = secret;
    expect((await viaRouter("/events?notification", { method: "PUT", body: notificationXml([{ arn, events: ["s3:ObjectCreated:*"] }]) })).status).toBe(200);
    const keys = Array.from({ length: 16 }, (_, i) => `e${i}`);
    // Written through both instances alternately (the router balances) and directly to each.
    await Promise.all(keys.map((key, i) => (i % 4 === 0 ? direct(i % 8 === 0 ? a : b, `/events/${key}`, { method: "PUT", body: key }) : viaRouter(`/events/${key}`, { method: "PUT", body: key })).then((r) => expect(r.status).toBe(200))));
    const events = await receiver.waitFor(keys.length, 20_000);
    expect(events.map((e) => (e.body.Records as Array<{ s3: { object: { key: string } } }>)[0]!.s3.object.key).sort()).toEqual([...keys].sort());
    // Not one delivery twice: two dispatchers working at once would each send the same rows.
    await new Promise((r) => setTimeout(r, 500));
    expect(receiver.received.length).toBe(keys.length);
    const acquired = [a, b].map((i) => lines(i, "event dispatcher lease acquired").length);
    expect(acquired.filter((n) => n > 0), `lease acquisitions A=${acquired[0]} B=${acquired[1]}`).toHaveLength(1);
    const sql = postgresClient(regionDb.url, { max: 1 });
    try {
      expect(await sql`select name from worker_leases where name = 'event-dispatcher'`).toHaveLength(1);
    } finally {
      await sql.end();
    }
  }, 60_000);

  it("runs the lifecycle on one instance only, and its expirations are seen by both", async () => {
    const DAY = 86_400_000;
    const today = new Date(Math.floor(Date.now() / DAY) * DAY).toISOString().replace(".000Z", "Z");
    const rules = `<LifecycleConfiguration><Rule><ID>old</ID><Filter><Prefix>tmp/</Prefix></Filter><Status>Enabled</Status><Expiration><Date>${today}</Date></Expiration></Rule></LifecycleConfiguration>`;
    for (const key of ["tmp/1", "tmp/2", "keep/1"]) expect((await viaRouter(`/expiring/${key}`, { method: "PUT", body: key })).status).toBe(200);
    expect((await viaRouter("/expiring?lifecycle", { method: "PUT", body: rules })).status).toBe(200);
    const deadline = Date.now() + 15_000;
    while ((await readSha(a, "/expiring/tmp/1")) !== 404 || (await readSha(b, "/expiring/tmp/2")) !== 404) {
      if (Date.now() > deadline) throw new Error("lifecycle did not expire tmp/ within 15 s");
      await new Promise((r) => setTimeout(r, 250));
    }
    for (const i of [a, b]) {
      expect(await readSha(i, "/expiring/tmp/1")).toBe(404);
      expect(await readSha(i, "/expiring/tmp/2")).toBe(404);
      expect(await readSha(i, "/expiring/keep/1")).toBe(sha(Buffer.from("keep/1")));
    }
    // Both instances tick every second; only the lease holder runs.
    const runs = [a, b].map((i) => lines(i, "lifecycle run by the lease holder").length);
    expect(runs.filter((n) => n > 0), `lifecycle runs A=${runs[0]} B=${runs[1]}`).toHaveLength(1);
    expect(Math.max(...runs)).toBeGreaterThan(1);
  }, 30_000);

  it("erases a data subject's objects (GDPR) from both instances' view", async () => {
    const subject = { "x-amz-meta-data-subject-id": "jane@scale.fi" };
    for (const key of ["jane/1", "jane/2"]) expect((await viaRouter(`/bkt/${key}`, { method: "PUT", body: key, headers: subject })).status).toBe(200);
    const created = await fetch(`${a.url}/api/gdpr/requests`, { method: "POST", headers: auth, body: JSON.stringify({ customer_id: CUSTOMER, data_subject_id: "jane@scale.fi", request_type: "erasure" }) });
    expect(created.status).toBe(201);
    const { request_id } = (await created.json()) as { request_id: string };
    const executed = await fetch(`${b.url}/api/gdpr/requests/${request_id}/execute`, { method: "POST", headers: auth });
    expect(executed.status, await executed.clone().text()).toBe(200);
    for (const i of [a, b]) for (const key of ["jane/1", "jane/2"]) expect(await readSha(i, `/bkt/${key}`), `${key} on ${i.name}`).toBe(404);
  }, 30_000);

  it("refuses a revoked access key on the other instance within the cache bound (notification, else the 5 s TTL)", async () => {
    const key = await createAccessKey(a.url, CUSTOMER);
    expect((await viaRouter("/bkt/signed", { method: "PUT", body: "signed" })).status).toBe(200);
    const onB = sdkClient(b.url, key);
    // B caches the key (with its secret) on first use.
    const first = await onB.send(new GetObjectCommand({ Bucket: "bkt", Key: "signed" }));
    expect(await first.Body!.transformToString()).toBe("signed");
    const revoked = await fetch(`${a.url}/api/customers/${CUSTOMER}/access-keys/${key.access_key_id}`, { method: "DELETE", headers: auth });
    expect(revoked.status).toBeLessThan(300);
    const started = Date.now();
    let refusedAfter: number | undefined;
    while (Date.now() - started < 6_000) {
      const outcome = await onB.send(new GetObjectCommand({ Bucket: "bkt", Key: "signed" })).then(() => "ok", (e: { name?: string; $metadata?: { httpStatusCode?: number } }) => `${e.$metadata?.httpStatusCode} ${e.name}`);
      if (outcome !== "ok") {
        expect(outcome).toMatch(/^403 (InvalidAccessKeyId|AccessDenied)/);
        refusedAfter = Date.now() - started;
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(refusedAfter, "refused on B within 5 s (+1 s slack)").toBeDefined();
    console.log(`scale-out: revoked key refused on the other instance after ${refusedAfter} ms`);
  }, 30_000);

  it("keeps serving through the router when one instance is killed with -9 mid-traffic, losing nothing acknowledged", async () => {
    const acked = new Map<string, string>();
    let failed = 0;
    let okAfterKill = 0;
    let killedAt: number | undefined;
    const started = Date.now();
    const writer = async (w: number) => {
      for (let i = 0; i < 150 && Date.now() - started < 6_000; i++) {
        const key = `kill-${w}-${i}`;
        const body = randomBytes(2048 + i);
        const status = await viaRouter(`/bkt/${key}`, { method: "PUT", body }).then((r) => r.status, () => 0);
        if (status === 200) {
          acked.set(key, sha(body));
          if (killedAt !== undefined) okAfterKill++;
        } else failed++;
        if (killedAt !== undefined && Date.now() - killedAt > 2_500) return;
      }
    };
    const writers = Array.from({ length: 3 }, (_, w) => writer(w));
    await new Promise((r) => setTimeout(r, 800));
    await a.kill();
    killedAt = Date.now();
    await Promise.all(writers);
    console.log(`scale-out: kill -9 of A: ${acked.size} PUTs acknowledged (${okAfterKill} after the kill), ${failed} failed`);
    expect(okAfterKill, `failed: ${failed}`).toBeGreaterThan(10);
    // Only requests in flight on A when it died may fail (at most one per writer, plus the circuit's few).
    expect(failed).toBeLessThanOrEqual(6);
    // Every acknowledged PUT has its committed audit row...
    const sql = postgresClient(regionDb.url, { max: 1 });
    try {
      const rows = await sql<{ object_key: string }[]>`select distinct object_key from operations_log where customer_id = ${CUSTOMER} and bucket_name = 'bkt' and object_key like 'kill-%' and result = 'success'`;
      const audited = new Set(rows.map((r) => r.object_key));
      for (const key of acked.keys()) expect(audited.has(key), `audit row for ${key}`).toBe(true);
    } finally {
      await sql.end();
    }
    // ...and is readable from the surviving instance, directly and through the router.
    for (const [key, digest] of acked) {
      expect(await readSha(b, `/bkt/${key}`), key).toBe(digest);
    }
    for (const key of [...acked.keys()].slice(0, 20)) expect((await viaRouter(`/bkt/${key}`)).status).toBe(200);
    const health = (await (await fetch(`${router.url}/health`)).json()) as { circuits: Array<{ region_id: string; state: string; endpoints: Array<{ state: string }> }> };
    const fi = health.circuits.find((c) => c.region_id === "FI-HEL")!;
    expect(fi.state).toBe("closed");
    // The event dispatcher goes on from the survivor (it takes over the lease once A's expires).
    const before = receiver.unique().length;
    expect((await viaRouter("/events/after-kill", { method: "PUT", body: "after" })).status).toBe(200);
    const events = await receiver.waitFor(before + 1, 15_000);
    expect(events.some((e) => (e.body.Records as Array<{ s3: { object: { key: string } } }>)[0]!.s3.object.key === "after-kill")).toBe(true);
    // The audit chain is intact after all of it (the survivor walks the whole chain).
    const verify = await fetch(`${b.url}/api/audit/verify`, { headers: auth });
    expect(verify.status).toBe(200);
    expect(await verify.json()).toMatchObject({ intact: true });
  }, 60_000);
});
