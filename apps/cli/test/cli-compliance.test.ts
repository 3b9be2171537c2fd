// Compliance, audit, keys and storage through the CLI, checked against what the gateway then holds.
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { adminAuth, s3 } from "../../regional-gateway/test/harness.ts";
import { ADMIN_TOKEN, type CliStack, runCli, startCliStack } from "./stack.ts";

let stack: CliStack;
let env: Record<string, string>;
let dir: string;
const C = "nordic-co";

beforeAll(async () => {
  stack = await startCliStack();
  dir = await mkdtemp(join(tmpdir(), "s3gw-cli-"));
  env = { S3GW_ENDPOINT: stack.global.url, S3GW_REGION_URL: stack.fi.url, S3GW_TOKEN: ADMIN_TOKEN, HOME: dir };
  const created = await runCli(["customers", "create", C, "--home", "FI-HEL", "--name", "Nordic", "--country", "FI", "--residency", "strict", "--contact-email", "a@n.example", "--officer-email", "dpo@n.example"], env);
  expect(created.code, created.err).toBe(0);
  const put = s3(stack.fi.url, C);
  expect((await put("/docs", { method: "PUT" })).status).toBe(200);
  expect((await put("/docs/cv.pdf", { method: "PUT", body: "cv", headers: { "content-type": "application/pdf", "x-amz-meta-data-subject-id": "subject-7" } })).status).toBe(200);
}, 120_000);
afterAll(async () => {
  await stack?.close();
  await rm(dir, { recursive: true, force: true });
});

it("replaces rules from a file or standard input and shows them", async () => {
  const rules = { allowed_content_types: ["application/pdf"], max_object_size_bytes: 1000, reject_duplicate_content: false, block_cross_border_access: false, anomaly_threshold_per_hour: 50 };
  await writeFile(join(dir, "rules.json"), JSON.stringify(rules));
  expect((await runCli(["rules", "put", C, "--file", join(dir, "rules.json")], env)).code).toBe(0);
  expect((await runCli(["rules", "get", C], env)).out).toMatch(/^max_object_size_bytes:\s+1000$/m);
  const stdin = await runCli(["rules", "put", C, "--file", "-"], env, JSON.stringify({ ...rules, max_object_size_bytes: 2000 }));
  expect(stdin.code, stdin.err).toBe(0);
  const api = (await (await fetch(`${stack.fi.url}/api/customers/${C}/rules`, { headers: adminAuth })).json()) as { rules: { max_object_size_bytes: number } };
  expect(api.rules.max_object_size_bytes).toBe(2000);
  const bad = await runCli(["rules", "put", C, "--file", "-"], env, JSON.stringify({ ...rules, anomaly_threshold_per_hour: -1 }));
  expect(bad.code).toBe(1);
  expect(bad.err).toMatch(/400 BAD_REQUEST/);
});

it("places, lists and lifts a legal hold; a hold on a missing object is refused", async () => {
  const placed = await runCli(["holds", "place", "--customer", C, "--bucket", "docs", "--key", "cv.pdf", "--reason", "case 17"], env);
  expect(placed.code, placed.err).toBe(0);
  expect((await runCli(["holds", "list", "--customer", C], env)).out).toMatch(/^nordic-co\s+docs\s+cv\.pdf\s+null\s+yes\s+case 17\s/m);
  expect((await runCli(["holds", "place", "--customer", C, "--bucket", "docs", "--key", "nope", "--reason", "x"], env)).code).toBe(1);
  expect((await runCli(["holds", "lift", "--customer", C, "--bucket", "docs", "--key", "cv.pdf", "--reason", "closed"], env)).code).toBe(0);
  expect((await runCli(["holds", "list", "--customer", C], env)).out).toBe("(none)\n");
});

it("places and lifts a hold on one noncurrent version with --version-id, leaving the current one free", async () => {
  const put = s3(stack.fi.url, C);
  expect((await put("/vdocs", { method: "PUT" })).status).toBe(200);
  expect((await put("/vdocs?versioning", { method: "PUT", body: "<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>" })).status).toBe(200);
  // The customer's rules (the first test) allow PDFs only.
  const version = async (body: string) => {
    const res = await put("/vdocs/memo.pdf", { method: "PUT", body, headers: { "content-type": "application/pdf" } });
    expect(res.status).toBe(200);
    return res.headers.get("x-amz-version-id")!;
  };
  const old = await version("v1");
  const current = await version("v2");
  const placed = await runCli(["holds", "place", "--customer", C, "--bucket", "vdocs", "--key", "memo.pdf", "--version-id", old, "--reason", "case 18"], env);
  expect(placed.code, placed.err).toBe(0);
  expect(placed.out).toContain(`version ${old}`);
  const listed = (await runCli(["holds", "list", "--customer", C, "--bucket", "vdocs"], env)).out;
  expect(listed).toContain(old);
  expect(listed).not.toContain(current);
  // The current version is not held: deleting it by id works, the held one's delete is refused.
  expect((await put(`/vdocs/memo.pdf?versionId=${current}`, { method: "DELETE" })).status).toBe(204);
  expect((await put(`/vdocs/memo.pdf?versionId=${old}`, { method: "DELETE" })).status).toBe(403);
  const bad = await runCli(["holds", "place", "--customer", C, "--bucket", "vdocs", "--key", "memo.pdf", "--version-id", "../etc", "--reason", "x"], env);
  expect([bad.code, bad.err]).toEqual([1, expect.stringMatching(/400 BAD_REQUEST.*version_id/)]);
  expect((await runCli(["holds", "lift", "--customer", C, "--bucket", "vdocs", "--key", "memo.pdf", "--version-id", old, "--reason", "closed"], env)).code).toBe(0);
  expect((await put(`/vdocs/memo.pdf?versionId=${old}`, { method: "DELETE" })).status).toBe(204);
});

it("creates, lists, executes and exports a GDPR access request", async () => {
  const created = await runCli(["--json", "gdpr", "create", "--customer", C, "--subject", "subject-7", "--type", "access"], env);
  expect(created.code, created.err).toBe(0);
  const id = (JSON.parse(created.out) as { request_id: string }).request_id;
  expect((await runCli(["gdpr", "list", "--customer", C], env)).out).toMatch(new RegExp(`^${id}\\s+${C}\\s+access\\s+pending\\s`, "m"));
  const early = await runCli(["gdpr", "export", id, "--out", join(dir, "early.json")], env);
  expect(early.code).toBe(1);
  expect(early.err).toMatch(/409/);
  expect((await runCli(["gdpr", "execute", id], env)).code).toBe(0);
  expect((await runCli(["gdpr", "get", id], env)).out).toMatch(/^status:\s+completed$/m);
  const out = join(dir, "dsr.json");
  const exported = await runCli(["gdpr", "export", id, "--out", out], env);
  expect(exported.code, exported.err).toBe(0);
  expect(JSON.stringify(JSON.parse(await readFile(out, "utf8")))).toContain("cv.pdf");
  expect((await stat(out)).mode & 0o777).toBe(0o600);
});

it("signs, lists and verifies audit checkpoints and exports the log", async () => {
  const cp = await runCli(["--json", "audit", "checkpoints", "create"], env);
  expect(cp.code, cp.err).toBe(0);
  const { id, last_id } = JSON.parse(cp.out) as { id: number; last_id: number };
  expect((await runCli(["audit", "checkpoints", "list"], env)).out).toMatch(new RegExp(`^${id}\\s+${last_id}\\s`, "m"));
  const verify = await runCli(["audit", "verify"], env);
  expect(verify.code, verify.err).toBe(0);
  expect(verify.out).toMatch(/^intact\n/);
  const exported = await runCli(["audit", "export", "--from-id", "1", "--to-id", String(last_id)], env);
  expect(exported.code, exported.err).toBe(0);
  const lines = exported.out.trim().split("\n").map((l) => JSON.parse(l) as { type: string });
  expect(lines.filter((l) => l.type === "row")).toHaveLength(last_id);
  expect(lines.at(-1)!.type).toBe("summary");
  expect((await runCli(["audit", "public-key"], env)).out).toMatch(/^-----BEGIN PUBLIC KEY-----/);
});

it("creates, rotates and disables a customer key", async () => {
  const created = await runCli(["--json", "keys", "create", C, "--description", "docs"], env);
  expect(created.code, created.err).toBe(0);
  const key = JSON.parse(created.out) as { key_id: string; current_version: number };
  expect((await runCli(["keys", "rotate", C, key.key_id], env)).out).toMatch(new RegExp(`^current_version:\\s+${key.current_version + 1}$`, "m"));
  expect((await runCli(["keys", "disable", C, key.key_id], env)).out).toMatch(/^state:\s+Disabled$/m);
  expect((await runCli(["keys", "list", C], env)).out).toMatch(new RegExp(`^${key.key_id}\\s+Disabled\\s+${key.current_version + 1}\\s`, "m"));
  expect((await runCli(["keys", "get", C, "00000000-0000-4000-8000-000000000000"], env)).code).toBe(1);
});

it("configures customer storage from a file and never prints its secret", async () => {
  expect((await runCli(["storage", "get", C], env)).code).toBe(1);
  const secret = "not-a-real-secret-0123456789abcdef";
  const body = { provider_label: "minio", endpoint: "http://127.0.0.1:9", bucket: "nordic-data", region: "eu-north-1", country: "FI", access_key_id: "AKIDEXAMPLE", secret_access_key: secret };
  await writeFile(join(dir, "storage.json"), JSON.stringify(body));
  const put = await runCli(["storage", "put", C, "--file", join(dir, "storage.json")], env);
  expect(put.code, put.err).toBe(0);
  const got = await runCli(["--json", "storage", "get", C], env);
  expect(got.code).toBe(0);
  expect((JSON.parse(got.out) as { target_id: string }).target_id).toMatch(/^cust-/);
  for (const r of [put, got]) expect(r.out + r.err).not.toContain(secret);
  expect((await runCli(["migrations", "list"], env)).out).toBe("(none)\n");
});

it("shows the compliance summary, verifies stored bytes, validates residency and lists the operations log", async () => {
  const summary = await runCli(["--json", "compliance", "summary", C], env);
  expect(summary.code, summary.err).toBe(0);
  expect(JSON.parse(summary.out)).toMatchObject({ total_objects: 1 });
  const verified = await runCli(["--json", "compliance", "verify-objects", "--customer", C, "--bucket", "docs"], env);
  expect(verified.code, verified.err).toBe(0);
  expect(JSON.parse(verified.out)).toMatchObject({ checked: 1, ok: 1 });
  expect((await runCli(["compliance", "verify-objects", "--customer", C, "--key", "cv.pdf"], env)).code).toBe(1);
  const residency = await runCli(["--json", "compliance", "validate-residency", "--customer", C], env);
  expect(residency.code, residency.err).toBe(0);
  expect(JSON.parse(residency.out)).toMatchObject({ customer_id: C, checked: 1, violation_count: 0 });
  const ops = await runCli(["audit", "operations", "--customer", C, "--operation", "PutObject"], env);
  expect(ops.code, ops.err).toBe(0);
  expect(ops.out).toMatch(new RegExp(`^\\d+\\s+\\S+\\s+${C}\\s+PutObject\\s+docs\\s+cv\\.pdf\\s+success\\s+200$`, "m"));
});

it("lists the alert that bytes changed behind the gateway's back raise, and resolves it once", async () => {
  // Tamper with the stored bytes of the customer's objects; verification marks them and raises a critical event.
  const tenant = join(stack.fi.storageDir, `tenant-${C}`);
  for (const f of await readdir(tenant, { recursive: true, withFileTypes: true })) if (f.isFile()) await writeFile(join(f.parentPath, f.name), "tampered");
  const verified = await runCli(["--json", "compliance", "verify-objects", "--customer", C], env);
  expect(verified.code, verified.err).toBe(0);
  expect(JSON.parse(verified.out)).toMatchObject({ checked: 1, ok: 0 });
  const alerts = await runCli(["--json", "compliance", "alerts", "--customer", C], env);
  expect(alerts.code, alerts.err).toBe(0);
  const items = (JSON.parse(alerts.out) as { items: { event_id: string; event_type: string; severity: string }[] }).items;
  const mismatch = items.find((e) => e.event_type === "integrity_mismatch");
  expect(mismatch?.severity).toBe("critical");
  const id = mismatch!.event_id;
  expect((await runCli(["compliance", "alerts", "--customer", C, "--severity", "critical"], env)).out).toMatch(new RegExp(`^${id}\\s+${C}\\s+integrity_mismatch\\s+critical\\s`, "m"));
  expect((await runCli(["compliance", "resolve", id, "--note", "checked by the DPO"], env)).code).toBe(0);
  const again = await runCli(["compliance", "resolve", id, "--note", "again"], env);
  expect(again.code).toBe(1);
  expect(again.err).toMatch(/409/);
});
