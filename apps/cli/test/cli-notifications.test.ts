// Notification targets, deliveries and compliance subscriptions through the CLI, checked against
// what the gateway then holds.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { postgresClient } from "@s3gw/db";
import { afterAll, beforeAll, expect, it } from "vitest";
import { closedPort } from "../../regional-gateway/test/customer-storage-helpers.ts";
import { adminAuth } from "../../regional-gateway/test/harness.ts";
import { ADMIN_TOKEN, type CliStack, runCli, startCliStack } from "./stack.ts";

let stack: CliStack;
let env: Record<string, string>;
let dir: string;
let sql: ReturnType<typeof postgresClient>;
const C = "notify-co";
const SECRET = "a-webhook-signing-secret-0123456789";

const apiGet = async <T>(path: string) => (await (await fetch(`${stack.fi.url}${path}`, { headers: adminAuth })).json()) as T;

beforeAll(async () => {
  stack = await startCliStack();
  dir = await mkdtemp(join(tmpdir(), "s3gw-cli-"));
  env = { S3GW_ENDPOINT: stack.global.url, S3GW_REGION_URL: stack.fi.url, S3GW_TOKEN: ADMIN_TOKEN, HOME: dir };
  sql = postgresClient(stack.fi.databaseUrl, { max: 1 });
  const created = await runCli(["customers", "create", C, "--home", "FI-HEL", "--name", "Notify", "--country", "FI", "--residency", "strict", "--contact-email", "a@n.example", "--officer-email", "dpo@n.example"], env);
  expect(created.code, created.err).toBe(0);
}, 120_000);
afterAll(async () => {
  await sql?.end();
  await stack?.close();
  await rm(dir, { recursive: true, force: true });
});

it("creates a webhook target: a generated secret is shown once, a given one (from standard input) never", async () => {
  const made = await runCli(["notification-targets", "create-webhook", "--name", "hook-a", "--country", "Finland", "--url", "http://127.0.0.1:9/hook"], env);
  expect(made.code, made.err).toBe(0);
  expect(made.out).toMatch(/^secret:\s+[0-9a-f]{32,}$/m);
  expect(made.out).toContain("shown only this once");
  const given = await runCli(["--json", "notification-targets", "create-webhook", "--name", "hook-b", "--country", "FI", "--url", "https://hooks.example/x", "--timeout-ms", "2000", "--secret-file", "-"], env, `${SECRET}\n`);
  expect(given.code, given.err).toBe(0);
  const body = JSON.parse(given.out) as { target_id: string; webhook: { timeout_ms: number }; secret?: string };
  expect(body.webhook.timeout_ms).toBe(2000);
  expect(given.out).not.toContain(SECRET);
  // Never in a list or a get either.
  const list = await runCli(["notification-targets", "list"], env);
  expect(list.code, list.err).toBe(0);
  expect(list.out).toMatch(/^tgt_[0-9a-f]{24}\s+hook-a\s+webhook\s+FI\s+http:\/\/127\.0\.0\.1:9\/hook\s+-$/m);
  expect(list.out).toMatch(/^tgt_[0-9a-f]{24}\s+hook-b\s+webhook\s+FI\s+https:\/\/hooks\.example\/x/m);
  const got = await runCli(["notification-targets", "get", body.target_id], env);
  expect(got.out).toMatch(/^name:\s+hook-b$/m);
  expect(list.out + got.out).not.toContain(SECRET);
});

it("creates a NATS target with credentials from a file (sealed, shown only as has_credentials)", async () => {
  const creds = join(dir, "nats.json");
  await writeFile(creds, JSON.stringify({ user: "events", pass: "nats-password-123" }));
  const made = await runCli(["--json", "notification-targets", "create-nats", "--name", "bus", "--country", "FI", "--server", "nats://127.0.0.1:4222", "--server", "127.0.0.1:4223", "--stream", "S3GW", "--subject", "s3gw.events", "--credentials-file", creds], env);
  expect(made.code, made.err).toBe(0);
  expect(made.out).not.toContain("nats-password-123");
  const t = JSON.parse(made.out) as { target_id: string; nats: { servers: string[]; has_credentials: boolean } };
  expect(t.nats).toMatchObject({ servers: ["nats://127.0.0.1:4222", "127.0.0.1:4223"], has_credentials: true });
  expect(await apiGet<{ nats: { has_credentials: boolean } }>(`/api/notification-targets/${t.target_id}`)).toMatchObject({ nats: { has_credentials: true } });
});

it("refuses bad input (exit 1, the API's 400), a missing flag or unreadable file (exit 2) and an unreachable gateway (exit 3)", async () => {
  const badUrl = await runCli(["notification-targets", "create-webhook", "--name", "bad", "--country", "FI", "--url", "file:///etc/passwd"], env);
  expect(badUrl.code).toBe(1);
  expect(badUrl.err).toMatch(/400 BAD_REQUEST/);
  const badCountry = await runCli(["notification-targets", "create-webhook", "--name", "bad", "--country", "Atlantis", "--url", "http://127.0.0.1:9/x"], env);
  expect(badCountry.code).toBe(1);
  expect((await runCli(["notification-targets", "get", "tgt_000000000000000000000000"], env)).code).toBe(1);
  expect((await runCli(["notification-targets", "create-webhook", "--name", "x", "--country", "FI"], env)).code).toBe(2);
  expect((await runCli(["notification-targets", "create-webhook", "--name", "x", "--country", "FI", "--url", "http://127.0.0.1:9/x", "--secret-file", join(dir, "missing")], env)).code).toBe(2);
  expect((await runCli(["notification-targets", "create-webhook", "--name", "x", "--country", "FI", "--url", "http://127.0.0.1:9/x", "--timeout-ms", "5"], env)).code).toBe(2);
  expect((await runCli(["deliveries", "list", "--limit", "0"], env)).code).toBe(2);
  const down = await runCli(["deliveries", "list"], { ...env, S3GW_REGION_URL: `http://127.0.0.1:${await closedPort()}` });
  expect(down.code).toBe(3);
  expect((await runCli(["deliveries", "list"], { ...env, S3GW_TOKEN: "s3gw_not-a-token" })).code).toBe(1);
  // Nothing was created by the refused calls.
  const names = (await apiGet<{ items: { name: string }[] }>("/api/notification-targets")).items.map((t) => t.name);
  expect(names.sort()).toEqual(["bus", "hook-a", "hook-b"]);
});

it("lists deliveries with filters and replays dead ones, by id and by target", async () => {
  const [target] = await sql`select target_id from notification_targets where name = 'hook-a'`;
  const dead: string[] = [];
  for (const status of ["dead", "dead", "delivered"]) {
    const [event] = await sql`insert into event_outbox (category, event_name, customer_id, ordering_key, target_ids, payload, fanned_out_at)
      values ('s3', 's3:ObjectCreated:Put', ${C}, ${`b/${Math.random()}`}, ${sql.json([target!.target_id])}, ${sql.json({})}, now()) returning seq, event_id`;
    const [row] = await sql`insert into notification_deliveries (event_seq, event_id, target_id, customer_id, event_name, ordering_key, status, attempts, next_attempt_at, last_error, delivered_at)
      values (${event!.seq}, ${event!.event_id}, ${target!.target_id}, ${C}, 's3:ObjectCreated:Put', 'k', ${status}, 7, now() + interval '1 hour', ${status === "dead" ? "HTTP 500" : null}, ${status === "delivered" ? new Date() : null}) returning delivery_id`;
    if (status === "dead") dead.push(row!.delivery_id as string);
  }
  const listed = await runCli(["deliveries", "list", "--status", "dead", "--target", target!.target_id as string], env);
  expect(listed.code, listed.err).toBe(0);
  for (const id of dead) expect(listed.out).toMatch(new RegExp(`^${id}\\s+dead\\s+7\\s+s3:ObjectCreated:Put\\s+${target!.target_id}\\s+${C}\\s`, "m"));
  expect(listed.out.trim().split("\n")).toHaveLength(3);
  const json = JSON.parse((await runCli(["--json", "deliveries", "list", "--customer", C], env)).out) as { items: unknown[] };
  expect(json.items).toHaveLength(3);

  const one = await runCli(["deliveries", "replay", "--delivery", dead[0]!], env);
  expect(one.code, one.err).toBe(0);
  expect(one.out).toBe("replayed 1 dead delivery\n");
  const rest = await runCli(["--json", "deliveries", "replay", "--target", target!.target_id as string], env);
  expect(JSON.parse(rest.out)).toEqual({ replayed: 1 });
  const states = await sql`select status from notification_deliveries where delivery_id in ${sql(dead)}`;
  expect(states.map((s) => s.status)).not.toContain("dead");
  expect((await runCli(["deliveries", "replay", "--delivery", "not-a-uuid"], env)).code).toBe(1);
});

it("subscribes a target to a customer's compliance events, lists and deletes the subscription; deletes targets", async () => {
  const [target] = await sql`select target_id from notification_targets where name = 'hook-b'`;
  const tid = target!.target_id as string;
  const made = await runCli(["--json", "compliance", "subscriptions", "create", "--target", tid, "--customer", C, "--event", "gdpr.*", "--event", "residency.*"], env);
  expect(made.code, made.err).toBe(0);
  const sub = JSON.parse(made.out) as { subscription_id: string; events: string[]; customer_id: string };
  expect(sub).toMatchObject({ customer_id: C, events: ["gdpr.*", "residency.*"] });
  const wide = await runCli(["compliance", "subscriptions", "create", "--target", tid, "--region-wide", "--event", "gdpr.*"], env);
  expect(wide.code, wide.err).toBe(0);
  expect(wide.out).toMatch(/^region_wide:\s+true$/m);
  expect((await runCli(["compliance", "subscriptions", "create", "--target", tid, "--customer", C, "--region-wide", "--event", "gdpr.*"], env)).code).toBe(2);
  expect((await runCli(["compliance", "subscriptions", "create", "--target", tid, "--customer", C, "--event", "not-an-event"], env)).code).toBe(1);
  const list = await runCli(["compliance", "subscriptions", "list", "--customer", C], env);
  expect(list.code, list.err).toBe(0);
  expect(list.out).toMatch(new RegExp(`^${sub.subscription_id}\\s+${tid}\\s+${C}\\s+gdpr\\.\\*,residency\\.\\*\\s`, "m"));
  expect((await runCli(["compliance", "subscriptions", "delete", sub.subscription_id], env)).out).toBe(`deleted subscription ${sub.subscription_id}\n`);
  expect((await runCli(["compliance", "subscriptions", "delete", sub.subscription_id], env)).code).toBe(1);

  const deleted = await runCli(["notification-targets", "delete", tid], env);
  expect(deleted.code, deleted.err).toBe(0);
  expect(deleted.out).toMatch(/^deleted tgt_[0-9a-f]{24} \(hook-b\)$/m);
  expect((await runCli(["notification-targets", "list"], env)).out).not.toContain("hook-b");
  expect((await runCli(["notification-targets", "list", "--include-deleted"], env)).out).toContain("hook-b");
});
