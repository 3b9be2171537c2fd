// The CLI as a process against a real two-layer stack: output, --json, exit codes, secrets.
import { createServer } from "node:http";
import { once } from "node:events";
import { afterAll, beforeAll, expect, it } from "vitest";
import { freePort } from "../../../test/support/processes.ts";
import { adminAuth } from "../../regional-gateway/test/harness.ts";
import { ADMIN_TOKEN, type CliStack, runCli, startCliStack, startRouter } from "./stack.ts";

let stack: CliStack;
let env: Record<string, string>;

beforeAll(async () => {
  stack = await startCliStack();
  env = { S3GW_ENDPOINT: stack.global.url, S3GW_REGION_URL: stack.fi.url, S3GW_TOKEN: ADMIN_TOKEN, HOME: "/nonexistent" };
}, 120_000);
afterAll(async () => {
  await stack?.close();
});

const profileArgs = ["--name", "Acme Oy", "--country", "FI", "--residency", "jurisdiction", "--contact-email", "it@acme.example", "--officer-email", "dpo@acme.example", "--requirement", "GDPR"];

it("creates a customer in both layers (route at the router, register in its home) and shows it", async () => {
  const created = await runCli(["customers", "create", "acme-oy", "--home", "FI-HEL", ...profileArgs], env);
  expect(created.code, created.err).toBe(0);
  expect(created.out).toMatch(/^registered acme-oy \(routed to FI-HEL\)/);
  const route = await runCli(["routing", "get", "acme-oy"], env);
  expect(route.code, route.err).toBe(0);
  expect(route.out).toMatch(/^primary_region:\s+FI-HEL$/m);
  // The router refuses a second routing: the API's 409 is exit 1, with its code and message.
  const again = await runCli(["customers", "create", "acme-oy", "--home", "DE-FRA", ...profileArgs], env);
  expect(again.code).toBe(1);
  expect(again.err).toMatch(/409/);
  const list = await runCli(["customers", "list"], env);
  expect(list.code).toBe(0);
  expect(list.out.split("\n")[0]).toMatch(/^ID\s+NAME\s+COUNTRY\s+ZONE\s+RESIDENCY\s+STATUS\s+BUCKETS$/);
  expect(list.out).toMatch(/^acme-oy\s+Acme Oy\s+FI\s+EU\s+jurisdiction\s+active\s+0$/m);
});

it("prints the API's JSON unchanged with --json", async () => {
  for (const [args, path] of [
    [["customers", "list"], "/api/customers"],
    [["customers", "get", "acme-oy"], "/api/customers/acme-oy/info"],
    [["rules", "get", "acme-oy"], "/api/customers/acme-oy/rules"],
  ] as const) {
    const r = await runCli(["--json", ...args], env);
    expect(r.code, r.err).toBe(0);
    const api = (await (await fetch(`${stack.fi.url}${path}`, { headers: adminAuth })).json()) as unknown;
    expect(JSON.parse(r.out)).toEqual(api);
  }
  const route = await runCli(["routing", "get", "acme-oy", "--json"], env);
  expect(JSON.parse(route.out)).toEqual(await (await fetch(`${stack.global.url}/routing/customers/acme-oy`, { headers: adminAuth })).json());
});

it("shows an access key's secret once, at creation, and never in lists", async () => {
  const created = await runCli(["access-keys", "create", "acme-oy", "--description", "laptop", "--permission", "read-only"], env);
  expect(created.code, created.err).toBe(0);
  const secret = /^secret_access_key:\s+(\S+)$/m.exec(created.out)?.[1];
  const akid = /^access_key_id:\s+(\S+)$/m.exec(created.out)?.[1];
  expect(secret).toMatch(/^.{30,}$/);
  expect(created.out).toContain("shown only this once");
  for (const args of [["access-keys", "list", "acme-oy"], ["--json", "access-keys", "list", "acme-oy"]]) {
    const list = await runCli(args, env);
    expect(list.code).toBe(0);
    expect(list.out).toContain(akid!);
    expect(list.out).not.toContain(secret!);
  }
  expect((await runCli(["access-keys", "disable", "acme-oy", akid!], env)).out).toBe(`${akid}: disabled\n`);
  expect((await runCli(["access-keys", "revoke", "acme-oy", akid!], env)).code).toBe(0);
  const gone = await runCli(["access-keys", "revoke", "acme-oy", akid!], env);
  expect(gone.code).toBe(1);
  expect(gone.err).toMatch(/404/);
});

it("shows a token once; lists carry no secret; a revoked or wrong token is refused (exit 1) and never echoed", async () => {
  const created = await runCli(["--json", "tokens", "create", "--name", "auditor", "--role", "auditor"], env);
  expect(created.code, created.err).toBe(0);
  const t = JSON.parse(created.out) as { token: string; token_id: string };
  expect(t.token).toMatch(/^s3gw_/);
  const list = await runCli(["tokens", "list"], env);
  expect(list.out).toMatch(new RegExp(`^${t.token_id}\\s+auditor\\s+auditor\\s`, "m"));
  expect(list.out).not.toContain(t.token);
  expect((await runCli(["--json", "tokens", "list"], env)).out).not.toContain(t.token);
  // The auditor reads, but may not create tokens: 403 → exit 1.
  expect((await runCli(["audit", "verify"], { ...env, S3GW_TOKEN: t.token })).code).toBe(0);
  const forbidden = await runCli(["tokens", "create", "--name", "x", "--role", "admin"], { ...env, S3GW_TOKEN: t.token });
  expect(forbidden.code).toBe(1);
  expect(forbidden.err).toMatch(/403/);
  expect(forbidden.err).not.toContain(t.token);
  expect((await runCli(["tokens", "revoke", t.token_id], env)).code).toBe(0);
  const revoked = await runCli(["customers", "list"], { ...env, S3GW_TOKEN: t.token });
  expect(revoked.code).toBe(1);
  expect(revoked.err).toMatch(/401/);
  const wrong = "wrong-token-5f1b0c9e";
  for (const args of [["customers", "list"], ["routing", "get", "acme-oy"]]) {
    const r = await runCli([...args, "--token", wrong], env);
    expect(r.code, args.join(" ")).toBe(1);
    expect(r.out).toBe("");
    expect(r.err).toMatch(/401/);
    expect(r.err).not.toContain(wrong);
  }
});

it("exits 3 when an endpoint does not answer or answers with a server error", async () => {
  const port = await freePort();
  const closed = await runCli(["customers", "list"], { ...env, S3GW_REGION_URL: `http://127.0.0.1:${port}` });
  expect(closed.code).toBe(3);
  expect(closed.err).toBe(`s3gw: cannot reach http://127.0.0.1:${port}: ECONNREFUSED\n`);
  const router = await runCli(["routing", "get", "acme-oy", "--endpoint", `http://127.0.0.1:${port}`], env);
  expect(router.code).toBe(3);
  // Something that answers 5xx (a proxy in front of a dead gateway): our side's failure, exit 3.
  const failing = createServer((_req, res) => res.writeHead(502, { "content-type": "application/json" }).end('{"error":{"code":"BAD_GATEWAY","message":"upstream down"}}'));
  failing.listen(0, "127.0.0.1");
  await once(failing, "listening");
  try {
    const r = await runCli(["customers", "list"], { ...env, S3GW_REGION_URL: `http://127.0.0.1:${(failing.address() as { port: number }).port}` });
    expect(r.code).toBe(3);
    expect(r.err).toBe("s3gw: GET /api/customers: 502 BAD_GATEWAY: upstream down\n");
    expect(r.err).not.toContain(ADMIN_TOKEN);
  } finally {
    failing.close();
  }
});

it("shows each region's health as the router and the region see it", async () => {
  const health = await runCli(["health"], env);
  expect(health.code, health.err).toBe(0);
  expect(health.out).toMatch(/^global router: healthy \(database ok\)$/m);
  expect(health.out).toMatch(/^FI-HEL\s+up\s+closed\s+healthy\s+ok\s+ok\s+1\s/m);
  expect(health.out).toMatch(/^DE-FRA\s+up\s+closed\s+healthy\s+ok\s+ok\s+0\s/m);
  const region = await runCli(["health", "--region-only", "--json"], { ...env, S3GW_REGION_URL: stack.de.url });
  expect(region.code).toBe(0);
  expect(JSON.parse(region.out)).toMatchObject({ status: "healthy", region: "DE-FRA" });
});

it("exits 3 from health when a region the registry names is down", async () => {
  const { router, close } = await startRouter({ "FI-HEL": stack.fi.url, "US-EAST": `http://127.0.0.1:${await freePort()}` });
  try {
    const r = await runCli(["health", "--endpoint", router.url], env);
    expect(r.code).toBe(3);
    expect(r.out).toMatch(/^global router: degraded \(database ok\)$/m);
    expect(r.out).toMatch(/^FI-HEL\s+up\s+closed\s+healthy\s/m);
    expect(r.out).toMatch(/^US-EAST\s+down\s+\S+\s+unreachable\s/m);
  } finally {
    await close();
  }
});
