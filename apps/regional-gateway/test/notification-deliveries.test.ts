import { postgresClient } from "@s3gw/db";
import type postgres from "postgres";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { adminAuth, allPages, bearer, mintToken, register, startTestRegion, type TestRegion } from "./harness.ts";
import { api, createTarget, refusal, type TargetBody } from "./notification-helpers.ts";

let fi: TestRegion;
let sql: postgres.Sql;
let hookA: TargetBody;
let hookB: TargetBody;
const DELIVERIES = "/api/notification-deliveries";

interface Delivery {
  delivery_id: string;
  event_id: string;
  event_name: string;
  target_id: string;
  customer_id: string | null;
  status: string;
  attempts: number;
  last_error: string | null;
  next_attempt_at: string;
  delivered_at: string | null;
  created_at: string;
}

beforeAll(async () => {
  fi = await startTestRegion("FI-HEL");
  sql = postgresClient(fi.databaseUrl, { max: 1 });
  expect((await register(fi.url, "alpha-co")).status).toBe(201);
  expect((await register(fi.url, "beta-co")).status).toBe(201);
  hookA = await createTarget(fi.url);
  hookB = await createTarget(fi.url);
});
afterAll(async () => {
  await sql?.end();
  await fi?.destroy();
});
beforeEach(async () => {
  await sql`delete from event_outbox`;
});

const OLD = new Date("2026-01-01T00:00:00Z");

/** An outbox event and its delivery in the given state, as the dispatcher would have left them. */
async function delivery(d: { target: TargetBody; customer: string | null; status: string; eventName?: string; createdAt?: Date; attempts?: number; lastError?: string | null }): Promise<Delivery & { deliveryId: string }> {
  const eventName = d.eventName ?? "s3:ObjectCreated:Put";
  const [event] = await sql`insert into event_outbox (category, event_name, customer_id, ordering_key, target_ids, payload, created_at, fanned_out_at)
    values (${eventName.startsWith("s3:") ? "s3" : "compliance"}, ${eventName}, ${d.customer}, ${`b/${Math.random()}`}, ${sql.json([d.target.target_id])}, ${sql.json({})}, ${d.createdAt ?? OLD}, ${d.createdAt ?? OLD})
    returning seq, event_id`;
  const [row] = await sql`insert into notification_deliveries (event_seq, event_id, target_id, customer_id, event_name, ordering_key, status, attempts, next_attempt_at, last_error, delivered_at, created_at)
    values (${event!.seq}, ${event!.event_id}, ${d.target.target_id}, ${d.customer}, ${eventName}, 'k', ${d.status}, ${d.attempts ?? 7}, ${OLD}, ${d.lastError === undefined ? "HTTP 500" : d.lastError}, ${d.status === "delivered" ? OLD : null}, ${d.createdAt ?? OLD})
    returning *`;
  return { ...(row as unknown as Delivery), deliveryId: row!.delivery_id };
}

async function list(query = "", auth?: Record<string, string>): Promise<Delivery[]> {
  return (await allPages<Delivery>(fi.url, `${DELIVERIES}?limit=500${query}`, auth)).flat();
}

async function statusOf(id: string) {
  const [r] = await sql`select status, attempts, next_attempt_at, created_at, last_error from notification_deliveries where delivery_id = ${id}`;
  return r!;
}

describe("notification deliveries API", () => {
  it("lists deliveries newest first with each filter, paged", async () => {
    const a = await delivery({ target: hookA, customer: "alpha-co", status: "dead", createdAt: new Date("2026-02-01T00:00:00Z") });
    const b = await delivery({ target: hookB, customer: "beta-co", status: "pending", eventName: "s3:ObjectRemoved:Delete", createdAt: new Date("2026-03-01T00:00:00Z") });
    const c = await delivery({ target: hookA, customer: null, status: "delivered", eventName: "audit.checkpoint", createdAt: new Date("2026-04-01T00:00:00Z"), lastError: null });
    const r = await delivery({ target: hookB, customer: "alpha-co", status: "refused", createdAt: new Date("2026-05-01T00:00:00Z"), lastError: "strict residency" });
    const ids = (items: Delivery[]) => items.map((i) => i.delivery_id);
    expect(ids(await list())).toEqual([r, c, b, a].map((x) => x.deliveryId));
    expect(ids(await list("&status=dead"))).toEqual([a.deliveryId]);
    expect(ids(await list(`&target_id=${hookB.target_id}`))).toEqual([r.deliveryId, b.deliveryId]);
    expect(ids(await list("&customer_id=alpha-co"))).toEqual([r.deliveryId, a.deliveryId]);
    expect(ids(await list("&event_name=audit.checkpoint"))).toEqual([c.deliveryId]);
    expect(ids(await list("&since=2026-03-01T00:00:00Z"))).toEqual([r.deliveryId, c.deliveryId, b.deliveryId]);
    expect(ids(await list(`&status=refused&customer_id=alpha-co&target_id=${hookB.target_id}`))).toEqual([r.deliveryId]);
    const pages = await allPages<Delivery>(fi.url, `${DELIVERIES}?limit=1`);
    expect(pages.flat().map((d) => d.delivery_id)).toEqual([r, c, b, a].map((x) => x.deliveryId));
    const [shown] = await list("&status=dead");
    expect(shown).toEqual({
      delivery_id: a.deliveryId,
      event_id: a.event_id,
      event_name: "s3:ObjectCreated:Put",
      target_id: hookA.target_id,
      customer_id: "alpha-co",
      status: "dead",
      attempts: 7,
      last_error: "HTTP 500",
      next_attempt_at: OLD.toISOString(),
      last_attempt_at: null,
      delivered_at: null,
      created_at: "2026-02-01T00:00:00.000Z",
    });
    for (const bad of ["status=lost", "target_id=nope", "since=yesterday", "customer_id=UPPER", "limit=501", "extra=1", `cursor=${Buffer.from("{}").toString("base64url")}`]) {
      expect(await refusal(await api(fi.url, `${DELIVERIES}?${bad}`)), bad).toBe("400 BAD_REQUEST");
    }
  });

  it("lets every read role list; a customer-scoped token sees only its customer's deliveries", async () => {
    await delivery({ target: hookA, customer: "alpha-co", status: "dead" });
    await delivery({ target: hookA, customer: "beta-co", status: "dead" });
    await delivery({ target: hookA, customer: null, status: "dead", eventName: "audit.checkpoint" });
    for (const role of ["auditor", "compliance_officer", "admin"]) {
      expect(await list("", bearer(await mintToken(fi.url, `reader-${role}`, role)))).toHaveLength(3);
    }
    const scoped = bearer(await mintToken(fi.url, "alpha-auditor", "auditor", "alpha-co"));
    const seen = await list("", scoped);
    expect(seen.map((d) => d.customer_id)).toEqual(["alpha-co"]);
    expect(await refusal(await api(fi.url, `${DELIVERIES}?customer_id=beta-co`, { auth: scoped }))).toBe("403 FORBIDDEN");
    expect((await api(fi.url, DELIVERIES, { auth: {} })).status).toBe(401);
  });

  it("replays only dead deliveries, as new ones due now, and says how many", async () => {
    const dead = await delivery({ target: hookA, customer: "alpha-co", status: "dead" });
    const pending = await delivery({ target: hookA, customer: "alpha-co", status: "pending", attempts: 2 });
    const delivered = await delivery({ target: hookA, customer: "alpha-co", status: "delivered", lastError: null });
    const refused = await delivery({ target: hookA, customer: "alpha-co", status: "refused", lastError: "strict residency" });
    const before = Date.now();
    const res = await api(fi.url, `${DELIVERIES}/replay`, { body: { delivery_ids: [dead, pending, delivered, refused].map((d) => d.deliveryId) } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ replayed: 1 });
    const replayed = await statusOf(dead.deliveryId);
    expect(replayed).toMatchObject({ status: "pending", attempts: 0, last_error: "HTTP 500" });
    for (const t of [replayed.next_attempt_at as Date, replayed.created_at as Date]) expect(t.getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(await statusOf(pending.deliveryId)).toMatchObject({ status: "pending", attempts: 2 });
    expect((await statusOf(pending.deliveryId)).created_at).toEqual(OLD);
    expect((await statusOf(delivered.deliveryId)).status).toBe("delivered");
    expect((await statusOf(refused.deliveryId)).status).toBe("refused");
    // Replaying again finds nothing dead.
    expect(await (await api(fi.url, `${DELIVERIES}/replay`, { body: { delivery_ids: [dead.deliveryId] } })).json()).toEqual({ replayed: 0 });
    const logged = await sql`select compliance_info from operations_log where operation_type = 'ReplayNotificationDeliveries' and status_code = 200 order by created_at`;
    expect(logged.map((r) => r.compliance_info.replayed)).toEqual([1, 0]);
  });

  it("replays a target's dead letters, or all of them, and a customer-scoped admin only its customer's", async () => {
    const a1 = await delivery({ target: hookA, customer: "alpha-co", status: "dead" });
    const b1 = await delivery({ target: hookB, customer: "alpha-co", status: "dead" });
    const b2 = await delivery({ target: hookB, customer: "beta-co", status: "dead" });
    const scopedAdmin = bearer(await mintToken(fi.url, "beta-admin", "admin", "beta-co"));
    expect(await (await api(fi.url, `${DELIVERIES}/replay`, { body: {}, auth: scopedAdmin })).json()).toEqual({ replayed: 1 });
    expect((await statusOf(b2.deliveryId)).status).toBe("pending");
    expect((await statusOf(b1.deliveryId)).status).toBe("dead");
    expect(await (await api(fi.url, `${DELIVERIES}/replay`, { body: { target_id: hookB.target_id } })).json()).toEqual({ replayed: 1 });
    expect((await statusOf(b1.deliveryId)).status).toBe("pending");
    expect((await statusOf(a1.deliveryId)).status).toBe("dead");
    const all = await fetch(`${fi.url}${DELIVERIES}/replay`, { method: "POST", headers: adminAuth });
    expect(await all.json()).toEqual({ replayed: 1 });
    expect((await statusOf(a1.deliveryId)).status).toBe("pending");
  });

  it("refuses replay to non-admins and malformed bodies, moving nothing", async () => {
    const dead = await delivery({ target: hookA, customer: "alpha-co", status: "dead" });
    for (const role of ["auditor", "compliance_officer"]) {
      const auth = bearer(await mintToken(fi.url, `replayer-${role}`, role));
      expect(await refusal(await api(fi.url, `${DELIVERIES}/replay`, { body: { delivery_ids: [dead.deliveryId] }, auth }))).toBe("403 FORBIDDEN");
    }
    for (const body of [{ delivery_ids: ["not-a-uuid"] }, { delivery_ids: [] }, { target_id: "x" }, { status: "dead" }, "[]", "{"]) {
      expect(await refusal(await api(fi.url, `${DELIVERIES}/replay`, { body })), JSON.stringify(body)).toBe("400 BAD_REQUEST");
    }
    expect((await statusOf(dead.deliveryId)).status).toBe("dead");
    const denied = await sql`select count(*)::int as n from operations_log where operation_type = 'ReplayNotificationDeliveries' and status_code = 403`;
    expect(denied[0]!.n).toBe(2);
  });
});
