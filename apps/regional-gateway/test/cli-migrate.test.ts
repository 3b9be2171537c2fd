import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { adminAuth, register, s3, startTestRegion, TEST_MASTER_KEYS, TEST_TOPOLOGY, type TestRegion } from "./harness.ts";

const run = promisify(execFile);
const CLI = fileURLToPath(new URL("../src/cli/s3gw.ts", import.meta.url));
let fi: TestRegion;
let targetId: string;

beforeAll(async () => {
  fi = await startTestRegion("FI-HEL");
  await register(fi.url, "cli-co", { country: "FI", data_residency_requirement: "jurisdiction" });
  const c = s3(fi.url, "cli-co");
  await c("/files", { method: "PUT" });
  for (let i = 0; i < 5; i++) await c(`/files/f${i}`, { method: "PUT", body: `file ${i}` });
  // A customer bucket configured but not activated: a valid destination for a dry run.
  const res = await fetch(`${fi.url}/api/customers/cli-co/storage`, {
    method: "PUT",
    headers: { "content-type": "application/json", ...adminAuth },
    body: JSON.stringify({ provider_label: "minio", endpoint: "http://127.0.0.1:9", bucket: "cli-co-data", region: "eu-central-1", country: "DE", access_key_id: "AKIDEXAMPLE", secret_access_key: "not-a-real-secret-0123456789" }),
  });
  expect(res.status, await res.clone().text()).toBe(200);
  targetId = ((await res.json()) as { target_id: string }).target_id;
});
afterAll(() => fi?.destroy());

function cli(args: string[]) {
  const env = {
    ...process.env,
    REGION_ID: "FI-HEL",
    DATABASE_URL: fi.databaseUrl,
    STORAGE_DIR: fi.storageDir,
    TOPOLOGY_JSON: JSON.stringify(TEST_TOPOLOGY),
    MASTER_KEYS: TEST_MASTER_KEYS,
    LOG_LEVEL: "warn",
  };
  return run(process.execPath, [CLI, ...args], { env }).then(
    (r) => ({ code: 0, out: r.stdout, err: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout, err: e.stderr }),
  );
}

it("reports a dry run with the gateway's own configuration and moves nothing", async () => {
  const r = await cli(["migrate-storage", "--customer", "cli-co", "--from", "fi-hel-fs", "--to", targetId, "--dry-run", "--batch-size", "2"]);
  expect(r.code, r.err).toBe(0);
  expect(r.out).toContain("dry run: would migrate 5 of 5 objects");
  expect(JSON.parse(r.out.trim().split("\n").at(-1)!)).toMatchObject({ total: 5, migrated: 5, skipped: 0, failed: 0, dry_run: true });
  expect(await (await s3(fi.url, "cli-co")("/files/f3")).text()).toBe("file 3");
});

it("explains its usage and refuses unknown customers", async () => {
  expect((await cli(["migrate-storage", "--customer", "cli-co"])).code).toBe(2);
  const unknown = await cli(["migrate-storage", "--customer", "nobody", "--from", "fi-hel-fs", "--to", targetId]);
  expect(unknown.code).toBe(1);
  expect(unknown.err).toMatch(/not registered/);
});
