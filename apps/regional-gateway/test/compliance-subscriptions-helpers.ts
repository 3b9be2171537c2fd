import type postgres from "postgres";
import { postgresClient } from "@s3gw/db";
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import { EVENT_DISPATCHER_DEFAULTS } from "../src/services/events/dispatch/settings.ts";
import { startReceiver, waitFor } from "./events-dispatch-helpers.ts";
import { adminAuth, bearer, mintToken, register, startTestRegion, type TestRegion } from "./harness.ts";

export const ACME = "h-subs-acme"; // strict, Finland
export const GLOBEX = "h-subs-globex"; // strict, Finland
export const DELTA = "h-subs-delta"; // jurisdiction, Germany (EU)
export const INITECH = "h-subs-initech"; // flexible, Finland

export interface Subscription { subscription_id: string; target_id: string; target_arn: string; target_live: boolean; customer_id: string | null; region_wide: boolean; events: string[]; created_by: string; created_at: string }
export interface ErrorBody { error: { code: string; message: string; requestId: string } }
type Receiver = Awaited<ReturnType<typeof startReceiver>>;

export const eventIds = (r: Receiver) => r.received.map((x) => x.eventId);

/**
 * One FI-HEL region for a test file, running its own event dispatcher (quick ticks), with four
 * customers of different residency rules and their tokens. After each test every subscription
 * is deleted, every target too, and the receivers are closed: no test receives another's events.
 */
export function useSubscriptionSuite() {
  let region: TestRegion | undefined;
  let db: postgres.Sql | undefined;
  const tokens: Record<string, string> = {};
  const receivers: Receiver[] = [];

  beforeAll(async () => {
    region = await startTestRegion("FI-HEL", { eventDispatcher: { ...EVENT_DISPATCHER_DEFAULTS, pollMs: 50, leaseTtlMs: 10_000, retryBaseMs: 20, retryMaxMs: 100 } });
    db = postgresClient(region.databaseUrl, { max: 1 });
    expect((await register(region.url, ACME)).status).toBe(201);
    expect((await register(region.url, GLOBEX, { customer_name: "Globex" })).status).toBe(201);
    expect((await register(region.url, DELTA, { customer_name: "Delta", country: "DE", data_residency_requirement: "jurisdiction" })).status).toBe(201);
    expect((await register(region.url, INITECH, { customer_name: "Initech", data_residency_requirement: "flexible" })).status).toBe(201);
    tokens.acmeOfficer = await mintToken(region.url, "h-subs acme dpo", "compliance_officer", ACME);
    tokens.globexOfficer = await mintToken(region.url, "h-subs globex dpo", "compliance_officer", GLOBEX);
    tokens.acmeAuditor = await mintToken(region.url, "h-subs acme auditor", "auditor", ACME);
    tokens.officer = await mintToken(region.url, "h-subs region dpo", "compliance_officer");
  });
  afterEach(async () => {
    await db!`delete from compliance_subscriptions`;
    await db!`update notification_targets set deleted_at = now() where deleted_at is null`;
    await Promise.all(receivers.splice(0).map((r) => r.close()));
  });
  afterAll(async () => {
    await db?.end();
    await region?.destroy();
  });

  const call = (method: string, path: string, auth: Record<string, string>, body?: unknown) =>
    fetch(`${region!.url}${path}`, { method, headers: { "content-type": "application/json", ...auth }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

  return {
    get url(): string {
      return region!.url;
    },
    get sql(): postgres.Sql {
      return db!;
    },
    tokens,
    call,
    /** A real HTTP receiver on loopback, closed after the test. */
    async receiver(): Promise<Receiver> {
      const r = await startReceiver();
      receivers.push(r);
      return r;
    },
    /** A webhook target registered by the admin through the API, with no compliance events of its own unless given. */
    async target(url: string, country: string, complianceEvents: string[] = []): Promise<{ id: string; secret: string }> {
      const res = await call("POST", "/api/notification-targets", adminAuth, { name: `h-subs ${country} ${Math.random().toString(36).slice(2)}`, kind: "webhook", country, webhook: { url }, compliance_events: complianceEvents });
      expect(res.status).toBe(201);
      const body = (await res.json()) as { target_id: string; secret: string };
      return { id: body.target_id, secret: body.secret };
    },
    async subscribe(auth: Record<string, string>, body: Record<string, unknown>): Promise<Subscription> {
      const res = await call("POST", "/api/compliance/subscriptions", auth, body);
      expect(res.status, await res.clone().text()).toBe(201);
      return (await res.json()) as Subscription;
    },
    /** Opens a GDPR request for `customerId` through the API; returns the id of the gdpr.request.created event it emitted. */
    async gdprEvent(customerId: string): Promise<string> {
      const res = await call("POST", "/api/gdpr/requests", bearer(tokens.officer!), { customer_id: customerId, data_subject_id: "subject-1", request_type: "access" });
      expect(res.status).toBe(201);
      const { request_id } = (await res.json()) as { request_id: string };
      const [row] = await db!`select event_id from event_outbox where event_name = 'gdpr.request.created' and payload -> 'subject' ->> 'request_id' = ${request_id}`;
      return String(row!.event_id);
    },
    /** Waits until the dispatcher has fanned the event out; answers its deliveries by target. */
    async fannedOut(eventId: string): Promise<Map<string, { status: string; last_error: string | null }>> {
      await waitFor(`fan-out of ${eventId}`, async () => (await db!`select 1 from event_outbox where event_id = ${eventId} and fanned_out_at is not null`).length > 0);
      const rows = await db!`select target_id, status, last_error from notification_deliveries where event_id = ${eventId}`;
      return new Map(rows.map((r) => [String(r.target_id), { status: String(r.status), last_error: r.last_error as string | null }]));
    },
    /** The newest operations_log row of `operation`. */
    async lastAudit(operation: string) {
      const [row] = await db!`select customer_id, status_code, result, principal, compliance_info from operations_log where operation_type = ${operation} order by id desc limit 1`;
      return row!;
    },
  };
}
