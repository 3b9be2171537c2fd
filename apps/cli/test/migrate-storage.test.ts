import { execFile, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type Backend, closedPort, startBackend } from "../../regional-gateway/test/customer-storage-helpers.ts";
import { ADMIN_TOKEN, adminAuth, register, s3, startTestRegion, TEST_TOPOLOGY, type TestRegion } from "../../regional-gateway/test/harness.ts";
import { getMigration } from "../../regional-gateway/test/storage-migration-helpers.ts";

// s3gw migrate-storage is a client of the gateway's migration API: it never opens the
// database (a second process moving objects behind a live gateway once lost them).
const run = promisify(execFile);
const CLI = fileURLToPath(new URL("../src/main.ts", import.meta.url));
const MANY = 40;
let fi: TestRegion;
let backend: Backend;
let targetId: string;
let liveTarget: string;

const putStorage = async (customer: string, body: Record<string, unknown>) => {
  const res = await fetch(`${fi.url}/api/customers/${customer}/storage`, { method: "PUT", headers: { "content-type": "application/json", ...adminAuth }, body: JSON.stringify(body) });
  expect(res.status, await res.clone().text()).toBe(200);
  return ((await res.json()) as { target_id: string }).target_id;
};

beforeAll(async () => {
  fi = await startTestRegion("FI-HEL");
  backend = await startBackend(["cli-live"]);
  await register(fi.url, "cli-co", { country: "FI", data_residency_requirement: "jurisdiction" });
  await register(fi.url, "cli-live", { country: "FI", data_residency_requirement: "jurisdiction" });
  const c = s3(fi.url, "cli-co");
  await c("/files", { method: "PUT" });
  for (let i = 0; i < 5; i++) await c(`/files/f${i}`, { method: "PUT", body: `file ${i}` });
  const l = s3(fi.url, "cli-live");
  await l("/files", { method: "PUT" });
  for (let i = 0; i < MANY; i += 10) await Promise.all(Array.from({ length: 10 }, (_, j) => l(`/files/g${i + j}`, { method: "PUT", body: `live ${i + j}` })));
  // A customer bucket configured but not activated: a valid destination for a dry run.
  targetId = await putStorage("cli-co", { provider_label: "minio", endpoint: "http://127.0.0.1:9", bucket: "cli-co-data", region: "eu-central-1", country: "DE", access_key_id: "AKIDEXAMPLE", secret_access_key: "not-a-real-secret-0123456789" });
  liveTarget = await putStorage("cli-live", { provider_label: "aws", endpoint: backend.url, bucket: "cli-live", region: "eu-central-1", access_key_id: backend.key.access_key_id, secret_access_key: backend.key.secret_access_key });
}, 120_000);
afterAll(async () => {
  await fi?.destroy();
  backend?.sdk.destroy();
  await backend?.region.destroy();
});

// No database settings at all: the CLI needs only the gateway's URL and an admin token.
const env = () => ({ PATH: process.env.PATH ?? "", S3GW_TOKEN: ADMIN_TOKEN });

function cli(args: string[], extraEnv: Record<string, string> = {}) {
  return run(process.execPath, [CLI, ...args], { env: { ...env(), ...extraEnv } }).then(
    (r) => ({ code: 0, out: r.stdout, err: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout, err: e.stderr }),
  );
}

it("runs a dry run through the gateway's API and moves nothing", async () => {
  const r = await cli(["migrate-storage", "--url", fi.url, "--customer", "cli-co", "--from", "fi-hel-fs", "--to", targetId, "--dry-run", "--batch-size", "2", "--poll-ms", "20"]);
  expect(r.code, r.err).toBe(0);
  expect(r.out).toContain("completed: would migrate 5 of 5 objects");
  expect(JSON.parse(r.out.trim().split("\n").at(-1)!)).toMatchObject({ status: "completed", total: 5, migrated: 5, skipped: 0, failed: 0, dry_run: true });
  expect(await (await s3(fi.url, "cli-co")("/files/f3")).text()).toBe("file 3");
});

it("explains its usage, refuses unknown customers, and never falls back to opening a database", async () => {
  expect((await cli(["migrate-storage", "--url", fi.url, "--customer", "cli-co"])).code).toBe(2);
  const unknown = await cli(["migrate-storage", "--url", fi.url, "--customer", "nobody", "--from", "fi-hel-fs", "--to", targetId]);
  expect(unknown.code).toBe(1);
  expect(unknown.err).toMatch(/not registered/);
  // With the gateway's whole database configuration but no gateway to talk to, it stops: it does not migrate on its own.
  const port = await closedPort();
  const alone = await cli(["migrate-storage", "--url", `http://127.0.0.1:${port}`, "--customer", "cli-co", "--from", "fi-hel-fs", "--to", targetId], {
    REGION_ID: "FI-HEL", DATABASE_URL: fi.databaseUrl, STORAGE_DIR: fi.storageDir, TOPOLOGY_JSON: JSON.stringify(TEST_TOPOLOGY),
  });
  expect(alone.code).toBe(3);
  expect(alone.err).toBe(`s3gw: cannot reach http://127.0.0.1:${port}: ECONNREFUSED\n`);
  const runs = (await (await fetch(`${fi.url}/api/storage-migrations`, { headers: adminAuth })).json()) as { migrations: unknown[] };
  expect(runs.migrations).toHaveLength(1);
});

it("Ctrl-C cancels the run in the gateway: the current object is finished and the summary printed", async () => {
  const child = spawn(process.execPath, [CLI, "migrate-storage", "--url", fi.url, "--customer", "cli-live", "--from", "fi-hel-fs", "--to", liveTarget, "--batch-size", "5", "--poll-ms", "20"], { env: env() });
  let out = "";
  let err = "";
  child.stdout.on("data", (d) => (out += String(d)));
  const started = new Promise<void>((resolve) => child.stderr.on("data", (d) => ((err += String(d)), err.includes("started") && resolve())));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  await started;
  const id = /migration ([0-9a-f-]{36}) started/.exec(err)![1]!;
  for (let i = 0; i < 400 && (await getMigration(fi.url, id)).processed < 3; i++) await new Promise((r) => setTimeout(r, 10));
  child.kill("SIGINT");
  expect(await exited).toBe(130);
  expect(err).toContain("cancelling");
  const summary = JSON.parse(out.trim().split("\n").at(-1)!) as { status: string; processed: number; migrated: number; total: number };
  expect(summary.status).toBe("cancelled");
  expect(summary.total).toBe(MANY);
  expect(summary.migrated).toBeGreaterThanOrEqual(3);
  expect(summary.migrated).toBeLessThan(MANY);
  expect(out).toMatch(/^cancelled: migrated \d+ of 40 objects/m);
  expect((await backend.keys("cli-live")).length).toBe(summary.migrated);
});
