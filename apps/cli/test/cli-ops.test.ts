// Operator views and one-off actions through the CLI: dashboards, presigned URLs, crypto-shred, master key.
import { afterAll, beforeAll, expect, it } from "vitest";
import { s3 } from "../../regional-gateway/test/harness.ts";
import { ADMIN_TOKEN, type CliStack, runCli, startCliStack } from "./stack.ts";

let stack: CliStack;
let env: Record<string, string>;
const C = "ops-co";

beforeAll(async () => {
  stack = await startCliStack();
  env = { S3GW_ENDPOINT: stack.global.url, S3GW_REGION_URL: stack.fi.url, S3GW_TOKEN: ADMIN_TOKEN, HOME: "/nonexistent" };
  const created = await runCli(["customers", "create", C, "--home", "FI-HEL", "--name", "Ops", "--country", "FI", "--residency", "flexible", "--contact-email", "a@o.example", "--officer-email", "b@o.example"], env);
  expect(created.code, created.err).toBe(0);
  const put = s3(stack.fi.url, C);
  expect((await put("/reports", { method: "PUT" })).status).toBe(200);
  expect((await put("/reports/q3.txt", { method: "PUT", body: "quarter three" })).status).toBe(200);
}, 120_000);
afterAll(async () => {
  await stack?.close();
});

it("prints the regional and the global ops dashboards as text, and their data with --json", async () => {
  const text = await runCli(["dashboard"], env);
  expect(text.code, text.err).toBe(0);
  expect(text.out).toContain("FI-HEL");
  expect(() => JSON.parse(text.out)).toThrow();
  const json = await runCli(["--json", "dashboard"], env);
  expect(json.code, json.err).toBe(0);
  expect(typeof JSON.parse(json.out)).toBe("object");
  const global = await runCli(["dashboard", "--global"], env);
  expect(global.code, global.err).toBe(0);
  expect(global.out.length).toBeGreaterThan(0);
  expect((await runCli(["dashboard", "--global", "--token", "nope-0000"], env)).code).toBe(1);
});

it("issues a presigned GET URL that works on the global endpoint once the customer has an access key", async () => {
  const none = await runCli(["presign", "--customer", C, "--bucket", "reports", "--key", "q3.txt"], env);
  expect(none.code).toBe(1);
  expect((await runCli(["access-keys", "create", C], env)).code).toBe(0);
  const r = await runCli(["presign", "--customer", C, "--bucket", "reports", "--key", "q3.txt", "--expires-in", "60"], env);
  expect(r.code, r.err).toBe(0);
  const url = r.out.trim();
  expect(url.startsWith(stack.global.url)).toBe(true);
  const res = await fetch(url);
  expect(res.status).toBe(200);
  expect(await res.text()).toBe("quarter three");
  expect((await runCli(["presign", "--customer", C, "--bucket", "reports", "--key", "q3.txt", "--method", "DELETE"], env)).code).toBe(1);
});

it("schedules, shows and cancels a crypto-shred, and rotates the master key", async () => {
  expect((await runCli(["crypto-shred", "schedule", C], env)).code).toBe(2);
  const scheduled = await runCli(["--json", "crypto-shred", "schedule", C, "--reason", "customer asked"], env);
  expect(scheduled.code, scheduled.err).toBe(0);
  const { request_id } = JSON.parse(scheduled.out) as { request_id: string };
  expect((await runCli(["crypto-shred", "get", C], env)).out).toContain(request_id);
  expect((await runCli(["crypto-shred", "cancel", C], env)).code).toBe(0);
  const rotated = await runCli(["--json", "rotate-master-key"], env);
  expect(rotated.code, rotated.err).toBe(0);
});

it("lists the registry's regions and providers", async () => {
  const r = await runCli(["regions"], env);
  expect(r.code, r.err).toBe(0);
  // Each gateway of the region with its probe and circuit.
  expect(r.out).toMatch(new RegExp(`^FI-HEL\\s+.+\\s+FI\\s+EU\\s+\\S+\\s+${stack.fi.url.replace(/[.]/g, "\\.")} up/closed$`, "m"));
  expect(r.out).toMatch(/^fi-hel-fs\s+fs\s+FI-HEL\s+FI\s/m);
  expect(r.out).not.toMatch(/^US-EAST/m);
});

it("shows and removes a bucket policy the customer set through S3", async () => {
  const put = s3(stack.fi.url, C);
  const doc = { Version: "2012-10-17", Statement: [{ Sid: "NoDeletes", Effect: "Deny", Principal: "*", Action: ["s3:DeleteObject"], Resource: ["arn:aws:s3:::reports/*"] }] };
  expect((await put("/reports?policy", { method: "PUT", body: JSON.stringify(doc) })).status).toBe(204);
  const got = await runCli(["bucket-policy", "get", C, "reports"], env);
  expect(got.code, got.err).toBe(0);
  expect(got.out).toContain('"Sid": "NoDeletes"');
  expect((await runCli(["bucket-policy", "delete", C, "reports"], env)).code).toBe(0);
  expect((await put("/reports?policy")).status).toBe(404);
  expect((await runCli(["bucket-policy", "get", C, "reports"], env)).code).toBe(1);
});
