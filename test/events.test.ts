import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { postgresClient } from "@s3gw/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EVENT_DISPATCHER_DEFAULTS } from "../apps/regional-gateway/src/services/events/dispatch/settings.ts";
import { createTarget, notificationXml, webhookBody } from "../apps/regional-gateway/test/notification-helpers.ts";
import { adminAuth } from "../apps/regional-gateway/test/harness.ts";
import { onboard, startStack, type TestStack } from "./support/stack.ts";
import { WebhookReceiver } from "./support/webhook-receiver.ts";

// Issue 12 end to end: S3 requests through the global endpoint, the region's own dispatcher,
// a real HTTP receiver and a real JetStream stream on the machine's NATS server.
const STREAM = `S3GW_E2E_${process.pid}`;
const SUBJECT = `s3gw-e2e.${process.pid}.events`;
const settings = { ...EVENT_DISPATCHER_DEFAULTS, pollMs: 50, leaseTtlMs: 1000, retryBaseMs: 50, retryMaxMs: 200, maxAgeSeconds: 3 };

let stack: TestStack;
let nc: NatsConnection;
let jsm: JetStreamManager;
const hook = new WebhookReceiver();
const flaky = new WebhookReceiver();
const foreign = new WebhookReceiver();
let fi: string;

const s3 = (customerId: string) => (path: string, init: RequestInit & { headers?: Record<string, string> } = {}) =>
  fetch(`${stack.global.url}/s3${path}`, { ...init, headers: { "x-customer-id": customerId, ...(init.headers ?? {}) } });
const acme = s3("acme-corp");

async function deliveries(query: string) {
  const res = await fetch(`${fi}/api/notification-deliveries?${query}`, { headers: adminAuth });
  expect(res.status).toBe(200);
  return ((await res.json()) as { items: { delivery_id: string; event_id: string; event_name: string; status: string; attempts: number; last_error: string | null }[] }).items;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  stack = await startStack({ regionConfig: { eventDispatcher: settings } });
  fi = stack.regions["FI-HEL"].url;
  await onboard(stack, "acme-corp", "FI-HEL", { customer_name: "Acme", country: "Finland", data_residency_requirement: "strict" });
  await onboard(stack, "nordic-flex", "FI-HEL", { customer_name: "Nordic", country: "Finland", data_residency_requirement: "jurisdiction" });
  nc = await connect({ servers: "127.0.0.1:4222" });
  jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: STREAM, subjects: [SUBJECT] });
  for (const r of [hook, flaky, foreign]) await r.start();
});
afterAll(async () => {
  await jsm?.streams.delete(STREAM).catch(() => undefined);
  await nc?.close();
  await stack?.close();
  for (const r of [hook, flaky, foreign]) await r.close();
});

describe("events through the global endpoint", () => {
  let hookArn: string;
  let natsArn: string;
  let hookTarget: string;

  it("a PUT produces exactly one ObjectCreated event at the webhook and one on the JetStream subject", async () => {
    const created = await createTarget(fi, webhookBody({ country: "FI", webhook: { url: hook.url }, compliance_events: ["integrity.*"] }));
    hook.secret = created.secret!;
    hookArn = created.arn;
    hookTarget = created.target_id;
    natsArn = (await createTarget(fi, { name: `nats-${process.pid}`, kind: "nats", country: "FI", nats: { servers: ["127.0.0.1:4222"], stream: STREAM, subject: SUBJECT } })).arn;
    expect((await acme("/docs", { method: "PUT" })).status).toBe(200);
    const config = notificationXml([
      { arn: hookArn, events: ["s3:ObjectCreated:*"], prefix: "in/", id: "hook-in" },
      { arn: natsArn, events: ["s3:ObjectCreated:Put"], id: "all-puts" },
    ]);
    expect((await acme("/docs?notification", { method: "PUT", body: config })).status).toBe(200);

    const put = await acme("/docs/in/a%20b.txt", { method: "PUT", body: "hello events" });
    expect(put.status).toBe(200);
    const [event] = await hook.waitFor(1);
    expect(event!.signed).toBe(true);
    expect(event!.name).toBe("s3:ObjectCreated:Put");
    const record = (event!.body.Records as Record<string, any>[])[0]!;
    expect(event!.body).toMatchObject({ id: event!.id, region: "FI-HEL", customer_id: "acme-corp" });
    expect(record.eventName).toBe("ObjectCreated:Put");
    expect(record.s3.configurationId).toBe("hook-in");
    expect(record.s3.bucket.name).toBe("docs");
    expect(record.s3.object).toMatchObject({ key: "in/a+b.txt", size: 12, eTag: put.headers.get("etag")!.replaceAll('"', "") });
    expect(record.s3.object.sequencer).toMatch(/^[0-9A-F]{16}$/);

    const stream = await until("the JetStream message", async () => ((await jsm.streams.info(STREAM)).state.messages >= 1 ? true : undefined));
    expect(stream).toBe(true);
    const msg = await jsm.streams.getMessage(STREAM, { seq: 1 });
    expect(msg!.header.get("Nats-Msg-Id")).toBe(event!.id);
    expect((msg!.json() as { Records: { s3: { configurationId: string } }[] }).Records[0]!.s3.configurationId).toBe("all-puts");
    expect((await jsm.streams.info(STREAM)).state.messages).toBe(1);
    expect(hook.received.length).toBe(1);
  });

  it("filters apply: a key outside the prefix and an event the rule does not name reach only the targets that ask", async () => {
    await acme("/docs/out/b.txt", { method: "PUT", body: "b" });
    await acme("/docs/in/c.txt", { method: "PUT", body: "c" });
    await acme("/docs/in/c.txt", { method: "DELETE" });
    await hook.waitFor(2);
    // Fan-out takes rows in commit order, so once in/c is at the webhook every earlier event was fanned out.
    const toHook = await deliveries(`target_id=${hookTarget}`);
    expect(toHook.map((d) => d.event_name).sort()).toEqual(["s3:ObjectCreated:Put", "s3:ObjectCreated:Put"]);
    const keys = hook.unique().map((e) => ((e.body.Records as any[])[0].s3.object.key as string));
    expect(keys).toEqual(["in/a+b.txt", "in/c.txt"]);
    await until("out/b.txt on the stream", async () => ((await jsm.streams.info(STREAM)).state.messages >= 3 ? true : undefined));
    expect((await jsm.streams.info(STREAM)).state.messages).toBe(3); // a.txt, out/b.txt, c.txt; the DELETE matches no rule
  });

  it("a failing webhook is retried with backoff, then dead-lettered; replay delivers it once", async () => {
    flaky.mode = "fail";
    const created = await createTarget(fi, webhookBody({ webhook: { url: flaky.url } }));
    flaky.secret = created.secret!;
    expect((await acme("/flaky", { method: "PUT" })).status).toBe(200);
    expect((await acme("/flaky?notification", { method: "PUT", body: notificationXml([{ arn: created.arn, events: ["s3:ObjectCreated:*"] }]) })).status).toBe(200);
    expect((await acme("/flaky/x.txt", { method: "PUT", body: "x" })).status).toBe(200);
    const dead = await until("a dead delivery", async () => (await deliveries(`target_id=${created.target_id}&status=dead`))[0], 20_000);
    expect(dead.attempts).toBeGreaterThan(1);
    expect(dead.last_error).toBe("HTTP 503");
    expect(flaky.received).toEqual([]);

    flaky.mode = "ok";
    const replay = await fetch(`${fi}/api/notification-deliveries/replay`, { method: "POST", headers: { ...adminAuth, "content-type": "application/json" }, body: JSON.stringify({ target_id: created.target_id }) });
    expect(replay.status).toBe(200);
    const [event] = await flaky.waitFor(1);
    expect(event!.id).toBe(dead.event_id);
    expect(event!.signed).toBe(true);
    await until("the delivery marked delivered", async () => ((await deliveries(`target_id=${created.target_id}`))[0]?.status === "delivered" ? true : undefined));
  });

  it("an integrity mismatch produces the CRITICAL compliance event with both hashes and a recommended action", async () => {
    await acme("/docs/ledger.csv", { method: "PUT", body: "amount,100\n" });
    const sql = postgresClient(stack.regions["FI-HEL"].databaseUrl, { max: 1 });
    try {
      const [row] = await sql`select storage_key, sha256 from object_metadata where customer_id = 'acme-corp' and bucket_name = 'docs' and object_key = 'ledger.csv'`;
      const path = join(stack.regions["FI-HEL"].storageDir, row!.storage_key as string);
      const sealed = await readFile(path);
      sealed.writeUInt8(sealed.readUInt8(sealed.length - 20) ^ 0x01, sealed.length - 20); // one flipped bit inside the ciphertext
      await writeFile(path, sealed);
      const verify = await fetch(`${fi}/api/objects/verify`, { method: "POST", headers: { ...adminAuth, "content-type": "application/json" }, body: JSON.stringify({ customer_id: "acme-corp", bucket: "docs", key: "ledger.csv" }) });
      expect(verify.status).toBe(200);
      const alert = await until("integrity.mismatch", async () => hook.unique().find((e) => e.name === "integrity.mismatch"));
      expect(alert.signed).toBe(true);
      expect(alert.body).toMatchObject({ schema: "s3gw.compliance/v1", type: "integrity.mismatch", severity: "critical", region: "FI-HEL", customer_id: "acme-corp", subject: { bucket: "docs", key: "ledger.csv" } });
      expect((alert.body.data as Record<string, unknown>).expected_sha256).toBe(row!.sha256);
      expect(alert.body.recommended_action).toEqual(expect.any(String));
      expect(alert.body.sequence).toEqual(expect.any(Number));
    } finally {
      await sql.end();
    }
  });

  it("a residency-restricted customer's events never go to a target outside its zone", async () => {
    const de = await createTarget(fi, webhookBody({ country: "DE", webhook: { url: foreign.url }, compliance_events: ["gdpr.*"] }));
    foreign.secret = de.secret!;
    // strict (Finland only): refused at configuration time, in S3's terms.
    const refused = await acme("/docs?notification", { method: "PUT", body: notificationXml([{ arn: de.arn, events: ["s3:ObjectCreated:*"] }]) });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toMatch(/<Code>InvalidArgument<\/Code>[\s\S]*residency/);
    // Compliance events: the strict customer's GDPR request is refused for the German target, the
    // jurisdiction customer's (EU zone) is delivered there.
    for (const customer of ["acme-corp", "nordic-flex"]) {
      const res = await fetch(`${fi}/api/gdpr/requests`, { method: "POST", headers: { ...adminAuth, "content-type": "application/json" }, body: JSON.stringify({ customer_id: customer, data_subject_id: `subject-${customer}`, request_type: "access" }) });
      expect(res.status, await res.clone().text()).toBe(201);
    }
    const [delivered] = await foreign.waitFor(1);
    expect(delivered!.body).toMatchObject({ type: "gdpr.request.created", customer_id: "nordic-flex" });
    const rows = await until("both deliveries decided", async () => {
      const all = await deliveries(`target_id=${de.target_id}`);
      return all.length === 2 && all.every((d) => d.status !== "pending") ? all : undefined;
    });
    expect(rows.map((d) => d.status).sort()).toEqual(["delivered", "refused"]);
    expect(rows.find((d) => d.status === "refused")!.last_error).toMatch(/strict residency/);
    expect(foreign.received.map((e) => e.body.customer_id)).toEqual(["nordic-flex"]);
  });
});

