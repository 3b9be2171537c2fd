import { createHmac } from "node:crypto";
import type postgres from "postgres";
import { postgresClient } from "@s3gw/db";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { EVENT_DISPATCHER_DEFAULTS } from "../src/services/events/dispatch/settings.ts";
import { startReceiver, waitFor } from "./events-dispatch-helpers.ts";
import { adminAuth, allPages, bearer, mintToken, register, startTestRegion, type TestRegion } from "./harness.ts";

/**
 * Compliance subscriptions through the API, delivered by the region's own dispatcher to real
 * HTTP receivers; events come from real API calls (a GDPR request emits gdpr.request.created).
 */

const ACME = "h-subs-acme"; // strict, Finland
const GLOBEX = "h-subs-globex"; // strict, Finland
const DELTA = "h-subs-delta"; // jurisdiction, Germany (EU)
const INITECH = "h-subs-initech"; // flexible, Finland

let fi: TestRegion;
let sql: postgres.Sql;
const tokens: Record<string, string> = {};
const receivers: Awaited<ReturnType<typeof startReceiver>>[] = [];

interface Subscription { subscription_id: string; target_id: string; target_arn: string; target_live: boolean; customer_id: string | null; region_wide: boolean; events: string[]; created_by: string; created_at: string }
interface ErrorBody { error: { code: string; message: string; requestId: string } }

beforeAll(async () => {
  fi = await startTestRegion("FI-HEL", { eventDispatcher: { ...EVENT_DISPATCHER_DEFAULTS, pollMs: 50, leaseTtlMs: 10_000, retryBaseMs: 20, retryMaxMs: 100 } });
  sql = postgresClient(fi.databaseUrl, { max: 1 });
  expect((await register(fi.url, ACME)).status).toBe(201);
  expect((await register(fi.url, GLOBEX, { customer_name: "Globex" })).status).toBe(201);
  expect((await register(fi.url, DELTA, { customer_name: "Delta", country: "DE", data_residency_requirement: "jurisdiction" })).status).toBe(201);
  expect((await register(fi.url, INITECH, { customer_name: "Initech", data_residency_requirement: "flexible" })).status).toBe(201);
  tokens.acmeOfficer = await mintToken(fi.url, "h-subs acme dpo", "compliance_officer", ACME);
  tokens.globexOfficer = await mintToken(fi.url, "h-subs globex dpo", "compliance_officer", GLOBEX);
  tokens.acmeAuditor = await mintToken(fi.url, "h-subs acme auditor", "auditor", ACME);
  tokens.officer = await mintToken(fi.url, "h-subs region dpo", "compliance_officer");
});
afterEach(async () => {
  // No test's subscriptions or targets receive the next test's events.
  await sql`delete from compliance_subscriptions`;
  await sql`update notification_targets set deleted_at = now() where deleted_at is null`;
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});
afterAll(async () => {
  await sql?.end();
  await fi?.destroy();
});

const call = (method: string, path: string, auth: Record<string, string>, body?: unknown) =>
  fetch(`${fi.url}${path}`, { method, headers: { "content-type": "application/json", ...auth }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

async function receiver() {
  const r = await startReceiver();
  receivers.push(r);
  return r;
}

/** A webhook target registered by the admin through the API, with no compliance events of its own unless given. */
async function target(url: string, country: string, complianceEvents: string[] = []): Promise<{ id: string; secret: string }> {
  const res = await call("POST", "/api/notification-targets", adminAuth, { name: `h-subs ${country} ${Math.random().toString(36).slice(2)}`, kind: "webhook", country, webhook: { url }, compliance_events: complianceEvents });
  expect(res.status).toBe(201);
  const body = (await res.json()) as { target_id: string; secret: string };
  return { id: body.target_id, secret: body.secret };
}

async function subscribe(auth: Record<string, string>, body: Record<string, unknown>, status = 201): Promise<Subscription> {
  const res = await call("POST", "/api/compliance/subscriptions", auth, body);
  expect(res.status, await res.clone().text()).toBe(status);
  return (await res.json()) as Subscription;
}

/** Opens a GDPR request for `customerId` through the API; returns the id of the gdpr.request.created event it emitted. */
async function gdprEvent(customerId: string): Promise<string> {
  const res = await call("POST", "/api/gdpr/requests", bearer(tokens.officer!), { customer_id: customerId, data_subject_id: "subject-1", request_type: "access" });
  expect(res.status).toBe(201);
  const { request_id } = (await res.json()) as { request_id: string };
  const [row] = await sql`select event_id from event_outbox where event_name = 'gdpr.request.created' and payload -> 'subject' ->> 'request_id' = ${request_id}`;
  return String(row!.event_id);
}

/** Waits until the dispatcher has fanned the event out; answers its deliveries by target. */
async function fannedOut(eventId: string): Promise<Map<string, { status: string; last_error: string | null }>> {
  await waitFor(`fan-out of ${eventId}`, async () => (await sql`select 1 from event_outbox where event_id = ${eventId} and fanned_out_at is not null`).length > 0);
  const rows = await sql`select target_id, status, last_error from notification_deliveries where event_id = ${eventId}`;
  return new Map(rows.map((r) => [String(r.target_id), { status: String(r.status), last_error: r.last_error as string | null }]));
}

const eventIds = (r: Awaited<ReturnType<typeof startReceiver>>) => r.received.map((x) => x.eventId);

async function lastAudit(operation: string) {
  const [row] = await sql`select customer_id, status_code, result, principal, compliance_info from operations_log where operation_type = ${operation} order by id desc limit 1`;
  return row!;
}

describe("a customer's compliance officer", () => {
  it("subscribes a target to its customer's events and receives that customer's events only, signed", async () => {
    const hook = await receiver();
    const t = await target(hook.url, "FI");
    const sub = await subscribe(bearer(tokens.acmeOfficer!), { target_id: t.id, events: ["gdpr.*"] });
    expect(sub).toMatchObject({ target_id: t.id, target_arn: `arn:s3gw:events:FI-HEL::${t.id}`, target_live: true, customer_id: ACME, region_wide: false, events: ["gdpr.*"] });
    expect(await lastAudit("CreateComplianceSubscription")).toMatchObject({ customer_id: ACME, status_code: 201, compliance_info: { subscription_id: sub.subscription_id, target_id: t.id, region_wide: false } });

    const globex = await gdprEvent(GLOBEX);
    const acme = await gdprEvent(ACME);
    await waitFor("acme's event at the receiver", () => eventIds(hook).includes(acme));
    expect((await fannedOut(globex)).has(t.id)).toBe(false);
    expect(eventIds(hook)).toEqual([acme]);

    const got = hook.received[0]!;
    const message = JSON.parse(got.body) as { schema: string; type: string; customer_id: string; id: string };
    expect(message).toMatchObject({ schema: "s3gw.compliance/v1", type: "gdpr.request.created", customer_id: ACME, id: acme });
    const signature = createHmac("sha256", t.secret).update(`${got.headers["x-s3gw-timestamp"]}.${got.body}`).digest("hex");
    expect(got.headers["x-s3gw-signature"]).toBe(`v1=${signature}`);
  });

  it("cannot subscribe another customer or region-wide, and the refusals are audited", async () => {
    const t = await target((await receiver()).url, "FI");
    const other = await call("POST", "/api/compliance/subscriptions", bearer(tokens.acmeOfficer!), { target_id: t.id, customer_id: GLOBEX, events: ["*"] });
    expect(other.status).toBe(403);
    expect(((await other.json()) as ErrorBody).error.code).toBe("FORBIDDEN");
    expect(await lastAudit("CreateComplianceSubscription")).toMatchObject({ customer_id: GLOBEX, status_code: 403, result: "denied" });
    const regionWide = await call("POST", "/api/compliance/subscriptions", bearer(tokens.acmeOfficer!), { target_id: t.id, customer_id: null, events: ["*"] });
    expect(regionWide.status).toBe(403);
    expect(((await regionWide.json()) as ErrorBody).error.message).toMatch(/region-wide/);
    expect(await lastAudit("CreateComplianceSubscription")).toMatchObject({ customer_id: null, status_code: 403, compliance_info: { region_wide: true } });
    expect(await sql`select 1 from compliance_subscriptions`).toHaveLength(0);
  });

  it("sees and deletes only its customer's subscriptions", async () => {
    const t = await target((await receiver()).url, "FI");
    const acme = await subscribe(bearer(tokens.acmeOfficer!), { target_id: t.id, events: ["hold.*"] });
    const globex = await subscribe(bearer(tokens.globexOfficer!), { target_id: t.id, events: ["hold.*"] });
    const regionWide = await subscribe(adminAuth, { target_id: t.id, events: ["audit.checkpoint"] });

    const listed = await allPages<Subscription>(fi.url, "/api/compliance/subscriptions", bearer(tokens.acmeOfficer!));
    expect(listed.flat().map((s) => s.subscription_id)).toEqual([acme.subscription_id]);
    expect((await call("GET", `/api/compliance/subscriptions?customer_id=${GLOBEX}`, bearer(tokens.acmeOfficer!))).status).toBe(403);

    for (const id of [globex.subscription_id, regionWide.subscription_id]) {
      expect((await call("DELETE", `/api/compliance/subscriptions/${id}`, bearer(tokens.acmeOfficer!))).status).toBe(404);
    }
    expect(await sql`select 1 from compliance_subscriptions`).toHaveLength(3);
    const removed = await call("DELETE", `/api/compliance/subscriptions/${acme.subscription_id}`, bearer(tokens.acmeOfficer!));
    expect(removed.status).toBe(200);
    expect(await lastAudit("DeleteComplianceSubscription")).toMatchObject({ customer_id: ACME, status_code: 200, compliance_info: { subscription_id: acme.subscription_id, target_id: t.id } });
    expect((await call("DELETE", `/api/compliance/subscriptions/${acme.subscription_id}`, bearer(tokens.acmeOfficer!))).status).toBe(404);
  });
});

describe("who may subscribe", () => {
  it("an auditor may list but not create or delete", async () => {
    const t = await target((await receiver()).url, "FI");
    const denied = await call("POST", "/api/compliance/subscriptions", bearer(tokens.acmeAuditor!), { target_id: t.id, events: ["*"] });
    expect(denied.status).toBe(403);
    expect(await lastAudit("CreateComplianceSubscription")).toMatchObject({ status_code: 403, result: "denied" });
    const sub = await subscribe(bearer(tokens.acmeOfficer!), { target_id: t.id, events: ["*"] });
    expect((await call("DELETE", `/api/compliance/subscriptions/${sub.subscription_id}`, bearer(tokens.acmeAuditor!))).status).toBe(403);
    const listed = await call("GET", "/api/compliance/subscriptions", bearer(tokens.acmeAuditor!));
    expect(listed.status).toBe(200);
    expect(((await listed.json()) as { items: Subscription[] }).items.map((s) => s.subscription_id)).toEqual([sub.subscription_id]);
    expect(await sql`select 1 from compliance_subscriptions`).toHaveLength(1);
  });

  it("without a token nothing is created", async () => {
    const t = await target((await receiver()).url, "FI");
    expect((await call("POST", "/api/compliance/subscriptions", {}, { target_id: t.id, events: ["*"] })).status).toBe(401);
    expect((await call("POST", "/api/compliance/subscriptions", bearer("not-a-token"), { target_id: t.id, events: ["*"] })).status).toBe(401);
    expect(await sql`select 1 from compliance_subscriptions`).toHaveLength(0);
  });
});

describe("residency at creation", () => {
  it("refuses a target outside a strict or jurisdiction customer's zone, naming the reason", async () => {
    const de = await target((await receiver()).url, "DE");
    const us = await target((await receiver()).url, "US");
    const strict = await call("POST", "/api/compliance/subscriptions", bearer(tokens.acmeOfficer!), { target_id: de.id, events: ["gdpr.*"] });
    expect(strict.status).toBe(400);
    expect(((await strict.json()) as ErrorBody).error.message).toMatch(/strict residency: events must stay in FI, the target is in DE/);
    const jurisdiction = await call("POST", "/api/compliance/subscriptions", adminAuth, { target_id: us.id, customer_id: DELTA, events: ["gdpr.*"] });
    expect(jurisdiction.status).toBe(400);
    expect(((await jurisdiction.json()) as ErrorBody).error.message).toMatch(/jurisdiction residency: .*legal zone EU.*US/);
    expect(await sql`select 1 from compliance_subscriptions`).toHaveLength(0);
    // Within the zone, and for a flexible customer anywhere, the subscription is made.
    await subscribe(adminAuth, { target_id: de.id, customer_id: DELTA, events: ["gdpr.*"] });
    await subscribe(adminAuth, { target_id: us.id, customer_id: INITECH, events: ["gdpr.*"] });
  });
});

describe("input", () => {
  it("refuses malformed bodies, unknown or deleted targets and customers, and a second subscription of one target and customer", async () => {
    const t = await target((await receiver()).url, "FI");
    const bad = async (body: unknown, status = 400) => {
      const res = await fetch(`${fi.url}/api/compliance/subscriptions`, { method: "POST", headers: { "content-type": "application/json", ...adminAuth }, body: typeof body === "string" ? body : JSON.stringify(body) });
      expect(res.status, JSON.stringify(body)).toBe(status);
      return ((await res.json()) as ErrorBody).error.message;
    };
    await bad("{not json");
    await bad({ target_id: t.id, events: [] });
    expect(await bad({ target_id: t.id, events: ["s3:ObjectCreated:*"] })).toMatch(/not a compliance event kind/);
    await bad({ target_id: t.id, events: ["gdpr.request.created"], extra: 1 });
    await bad({ target_id: "tgt_nope", events: ["*"] });
    await bad({ target_id: t.id, customer_id: "Not A Customer!", events: ["*"] });
    await bad({ target_id: `tgt_${"0".repeat(24)}`, events: ["*"] }, 404);
    await bad({ target_id: t.id, customer_id: "h-subs-nobody", events: ["*"] }, 404);

    const first = await subscribe(adminAuth, { target_id: t.id, customer_id: ACME, events: ["gdpr.*", "gdpr.*"] });
    expect(first.events).toEqual(["gdpr.*"]);
    expect(await bad({ target_id: t.id, customer_id: ACME, events: ["hold.*"] }, 409)).toContain(first.subscription_id);
    const regionWide = await subscribe(adminAuth, { target_id: t.id, events: ["*"] });
    expect(regionWide.region_wide).toBe(true);
    expect(await bad({ target_id: t.id, customer_id: null, events: ["hold.*"] }, 409)).toContain(regionWide.subscription_id);

    expect((await call("DELETE", `/api/notification-targets/${t.id}`, adminAuth)).status).toBe(200);
    await bad({ target_id: t.id, customer_id: GLOBEX, events: ["*"] }, 409);
    const listed = (await allPages<Subscription>(fi.url, `/api/compliance/subscriptions?target_id=${t.id}`)).flat();
    expect(listed.map((s) => s.target_live)).toEqual([false, false]);

    expect((await call("DELETE", "/api/compliance/subscriptions/not-a-uuid", adminAuth)).status).toBe(400);
    expect((await call("GET", "/api/compliance/subscriptions?cursor=garbage", adminAuth)).status).toBe(400);
    expect((await call("GET", "/api/compliance/subscriptions?limit=0", adminAuth)).status).toBe(400);
  });

  it("concurrent subscriptions of one target and customer: exactly one is made", async () => {
    const t = await target((await receiver()).url, "FI");
    const statuses = await Promise.all(
      Array.from({ length: 6 }, (_, i) => call("POST", "/api/compliance/subscriptions", i % 2 ? adminAuth : bearer(tokens.acmeOfficer!), { target_id: t.id, customer_id: ACME, events: ["*"] }).then((r) => r.status)),
    );
    expect(statuses.sort()).toEqual([201, 409, 409, 409, 409, 409]);
    expect(await sql`select 1 from compliance_subscriptions where target_id = ${t.id}`).toHaveLength(1);
  });

  it("lists in pages, oldest first", async () => {
    const ids: string[] = [];
    for (const customer of [ACME, GLOBEX, INITECH]) {
      const t = await target((await receiver()).url, "FI");
      ids.push((await subscribe(adminAuth, { target_id: t.id, customer_id: customer, events: ["*"] })).subscription_id);
    }
    const pages = await allPages<Subscription>(fi.url, "/api/compliance/subscriptions?limit=2");
    expect(pages.map((p) => p.length)).toEqual([2, 1]);
    expect(pages.flat().map((s) => s.subscription_id)).toEqual(ids);
  });
});

describe("delivery", () => {
  it("deleting a subscription stops its deliveries", async () => {
    const hook = await receiver();
    const control = await receiver();
    const t = await target(hook.url, "FI");
    // A target that always receives acme's GDPR events proves the dispatcher handled each event.
    const c = await target(control.url, "FI", ["gdpr.request.created"]);
    const sub = await subscribe(bearer(tokens.acmeOfficer!), { target_id: t.id, events: ["gdpr.request.created"] });
    const before = await gdprEvent(ACME);
    await waitFor("the subscribed delivery", () => eventIds(hook).includes(before));

    expect((await call("DELETE", `/api/compliance/subscriptions/${sub.subscription_id}`, bearer(tokens.acmeOfficer!))).status).toBe(200);
    const after = await gdprEvent(ACME);
    await waitFor("the control delivery", () => eventIds(control).includes(after));
    expect([...(await fannedOut(after)).keys()]).toEqual([c.id]);
    expect(eventIds(hook)).toEqual([before]);
  });

  it("a region-wide subscription receives every customer's events its residency allows; the others are refused per event", async () => {
    const deHook = await receiver();
    const usHook = await receiver();
    const de = await target(deHook.url, "DE");
    const us = await target(usHook.url, "US");
    await subscribe(adminAuth, { target_id: de.id, events: ["gdpr.request.created"] });
    await subscribe(bearer(tokens.officer!), { target_id: us.id, customer_id: null, events: ["gdpr.*"] });

    const acme = await gdprEvent(ACME); // strict FI: neither
    const delta = await gdprEvent(DELTA); // jurisdiction EU: DE only
    const initech = await gdprEvent(INITECH); // flexible: both
    await waitFor("DE deliveries", () => eventIds(deHook).length >= 2);
    await waitFor("US delivery", () => eventIds(usHook).length >= 1);

    expect(new Set(eventIds(deHook))).toEqual(new Set([delta, initech]));
    expect(eventIds(usHook)).toEqual([initech]);
    const acmeDeliveries = await fannedOut(acme);
    expect(acmeDeliveries.get(de.id)).toMatchObject({ status: "refused", last_error: expect.stringMatching(/strict residency/) });
    expect(acmeDeliveries.get(us.id)).toMatchObject({ status: "refused" });
    expect((await fannedOut(delta)).get(us.id)).toMatchObject({ status: "refused", last_error: expect.stringMatching(/jurisdiction residency/) });
  });

  it("a per-customer subscription is checked again per event: a customer whose rule tightened is refused", async () => {
    const hook = await receiver();
    const de = await target(hook.url, "DE");
    await subscribe(adminAuth, { target_id: de.id, customer_id: INITECH, events: ["gdpr.*"] });
    await sql`update customers set data_residency_requirement = 'strict' where customer_id = ${INITECH}`;
    try {
      const event = await gdprEvent(INITECH);
      expect((await fannedOut(event)).get(de.id)).toMatchObject({ status: "refused", last_error: expect.stringMatching(/strict residency/) });
      expect(hook.received).toHaveLength(0);
    } finally {
      await sql`update customers set data_residency_requirement = 'flexible' where customer_id = ${INITECH}`;
    }
  });

  it("a target reached by its own compliance_events, a customer subscription and a region-wide one receives each event once", async () => {
    const hook = await receiver();
    const t = await target(hook.url, "FI", ["gdpr.*"]);
    await subscribe(bearer(tokens.acmeOfficer!), { target_id: t.id, events: ["gdpr.request.created"] });
    await subscribe(adminAuth, { target_id: t.id, events: ["*"] });
    const acme = await gdprEvent(ACME);
    const globex = await gdprEvent(GLOBEX);
    await waitFor("both events", () => eventIds(hook).includes(acme) && eventIds(hook).includes(globex));
    expect((await fannedOut(acme)).size).toBe(1);
    expect(await sql`select 1 from notification_deliveries where event_id in (${acme}, ${globex}) and target_id = ${t.id}`).toHaveLength(2);
    await new Promise((r) => setTimeout(r, 300));
    expect(eventIds(hook).sort()).toEqual([acme, globex].sort());
  });

  it("a deleted target's subscriptions deliver nothing", async () => {
    const hook = await receiver();
    const control = await receiver();
    const t = await target(hook.url, "FI");
    await target(control.url, "FI", ["gdpr.request.created"]);
    await subscribe(bearer(tokens.acmeOfficer!), { target_id: t.id, events: ["*"] });
    expect((await call("DELETE", `/api/notification-targets/${t.id}`, adminAuth)).status).toBe(200);
    const event = await gdprEvent(ACME);
    await waitFor("the control delivery", () => eventIds(control).includes(event));
    expect((await fannedOut(event)).has(t.id)).toBe(false);
    expect(hook.received).toHaveLength(0);
  });

  it("a subscription's events are matched by kind: other kinds of its customer do not go there", async () => {
    const hook = await receiver();
    const control = await receiver();
    const t = await target(hook.url, "FI");
    await target(control.url, "FI", ["gdpr.request.created"]);
    await subscribe(bearer(tokens.acmeOfficer!), { target_id: t.id, events: ["gdpr.request.completed", "hold.*"] });
    const event = await gdprEvent(ACME);
    await waitFor("the control delivery", () => eventIds(control).includes(event));
    expect((await fannedOut(event)).has(t.id)).toBe(false);
    expect(hook.received).toHaveLength(0);
  });
});
