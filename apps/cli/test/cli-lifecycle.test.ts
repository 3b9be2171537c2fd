// A customer's lifecycle through the CLI: the routing map, profile changes, suspension, offboarding, moves.
import { afterAll, beforeAll, expect, it } from "vitest";
import { s3 } from "../../regional-gateway/test/harness.ts";
import { ADMIN_TOKEN, type CliStack, runCli, startCliStack } from "./stack.ts";

let stack: CliStack;
let env: Record<string, string>;
const common = ["--country", "FI", "--residency", "jurisdiction", "--contact-email", "a@x.example", "--officer-email", "b@x.example"];

beforeAll(async () => {
  stack = await startCliStack();
  env = { S3GW_ENDPOINT: stack.global.url, S3GW_REGION_URL: stack.fi.url, S3GW_TOKEN: ADMIN_TOKEN, HOME: "/nonexistent" };
  for (const [id, home] of [["life-a", "FI-HEL"], ["life-b", "FI-HEL"], ["life-c", "DE-FRA"], ["life-m", "FI-HEL"]] as const) {
    const r = await runCli(["customers", "create", id, "--home", home, "--name", id, ...common], env);
    expect(r.code, r.err).toBe(0);
  }
}, 120_000);
afterAll(async () => {
  await stack?.close();
});

it("lists the routing map, by region too, and refuses an unknown region", async () => {
  const all = await runCli(["routing", "list"], env);
  expect(all.code, all.err).toBe(0);
  expect(all.out).toMatch(/^life-a\s+FI-HEL\s/m);
  expect(all.out).toMatch(/^life-c\s+DE-FRA\s/m);
  const de = await runCli(["--json", "routing", "list", "--home", "DE-FRA"], env);
  expect((JSON.parse(de.out) as { items: { customer_id: string }[] }).items.map((i) => i.customer_id)).toEqual(["life-c"]);
  expect((await runCli(["routing", "list", "--home", "XX-NOPE"], env)).code).toBe(1);
});

it("changes profile fields and says which", async () => {
  const r = await runCli(["--json", "customers", "update", "life-a", "--name", "Life A Oy", "--requirement", "GDPR", "--requirement", "NIS2"], env);
  expect(r.code, r.err).toBe(0);
  expect((JSON.parse(r.out) as { changed_fields: string[] }).changed_fields.sort()).toEqual(["compliance_requirements", "customer_name"]);
  expect((await runCli(["customers", "get", "life-a"], env)).out).toMatch(/^customer_name:\s+Life A Oy$/m);
  expect((await runCli(["customers", "update", "life-a"], env)).code).toBe(2);
  expect((await runCli(["customers", "update", "life-a", "--contact-email", "not-an-email"], env)).code).toBe(1);
});

it("suspends a customer (S3 writes refused, reads refused on request) and resumes it", async () => {
  const put = s3(stack.fi.url, "life-b");
  expect((await put("/bkt1", { method: "PUT" })).status).toBe(200);
  const suspended = await runCli(["customers", "suspend", "life-b", "--reason", "unpaid invoice", "--reads", "refused"], env);
  expect(suspended.code, suspended.err).toBe(0);
  expect((await put("/bkt1/k", { method: "PUT", body: "x" })).status).toBe(403);
  expect((await put("/bkt1", { method: "GET" })).status).toBe(403);
  expect((await runCli(["customers", "suspend", "life-b", "--reason", "x", "--reads", "sometimes"], env)).code).toBe(1);
  expect((await runCli(["customers", "resume", "life-b"], env)).code).toBe(0);
  expect((await put("/bkt1/k", { method: "PUT", body: "x" })).status).toBe(200);
});

it("offboards a customer: afterwards it is no longer routed", async () => {
  expect((await runCli(["customers", "offboard", "life-b"], env)).code).toBe(2);
  const off = await runCli(["--json", "customers", "offboard", "life-b", "--reason", "contract ended"], env);
  expect(off.code, off.err).toBe(0);
  const state = await runCli(["--json", "customers", "offboarding", "life-b"], env);
  expect(state.code, state.err).toBe(0);
  expect(JSON.parse(state.out)).toMatchObject({ status: "completed" });
  const route = await runCli(["routing", "get", "life-b"], env);
  expect(route.code).toBe(1);
  expect(route.err).toMatch(/404/);
});

it("unroutes a customer at the global router", async () => {
  expect((await runCli(["routing", "unroute", "life-c"], env)).code).toBe(0);
  expect((await runCli(["routing", "get", "life-c"], env)).code).toBe(1);
  expect((await runCli(["routing", "unroute", "life-c"], env)).code).toBe(1);
});

it("moves a customer to another region, says where the move is, and refuses a bad target", async () => {
  const fi = s3(stack.fi.url, "life-m");
  expect((await fi("/bkt-m", { method: "PUT" })).status).toBe(200);
  expect((await fi("/bkt-m/k", { method: "PUT", body: "moved bytes" })).status).toBe(200);
  expect((await runCli(["customers", "move", "life-m"], env)).code).toBe(2);
  const same = await runCli(["customers", "move", "life-m", "--to", "FI-HEL"], env);
  expect(same.code).toBe(1);
  expect(same.err).toMatch(/already in region FI-HEL/);
  expect((await runCli(["customers", "move-status", "life-m"], env)).code).toBe(1);
  const moved = await runCli(["--json", "customers", "move", "life-m", "--to", "DE-FRA"], env);
  expect(moved.code, moved.err).toBe(0);
  expect(JSON.parse(moved.out)).toMatchObject({ status: "completed", step: "done", to_region: "DE-FRA", versions_copied: 1 });
  const state = await runCli(["customers", "move-status", "life-m"], env);
  expect(state.code, state.err).toBe(0);
  expect(state.out).toMatch(/^status:\s+completed$/m);
  expect((await runCli(["routing", "get", "life-m"], env)).out).toMatch(/DE-FRA/);
  expect(await (await s3(stack.de.url, "life-m")("/bkt-m/k")).text()).toBe("moved bytes");
  expect((await fi("/bkt-m/k")).status).toBe(403);
});
