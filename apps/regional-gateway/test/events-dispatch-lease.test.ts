import pino from "pino";
import { eventOutbox, notificationDeliveries, notificationTargets, workerLeases } from "@s3gw/schema-regional";
import { eq, inArray, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { scrapeMetrics } from "../../../test/support/prometheus.ts";
import { fanOut, liveTargets } from "../src/services/events/dispatch/fan-out.ts";
import { WorkerLease } from "../src/services/events/dispatch/lease.ts";
import { DISPATCHER_LEASE } from "../src/services/events/dispatch/event-dispatcher.ts";
import { startRegionalGateway } from "../src/start.ts";
import { deliveriesOf, dispatcherOf, insertWebhookTarget, settle, startReceiver, TEST_DISPATCH, useDispatchRegion, waitFor } from "./events-dispatch-helpers.ts";

const suite = useDispatchRegion();
const leaseRow = async () => (await suite.region.deps.db.select().from(workerLeases).where(eq(workerLeases.name, DISPATCHER_LEASE)))[0];
const delivered = (eventId: string) => waitFor(`${eventId} delivered`, async () => {
  const [d] = await deliveriesOf(suite.region.deps.db, eventId);
  return d?.status === "delivered" ? d : undefined;
});

describe("one dispatcher per region", () => {
  it("two instances on one database: one holder delivers; when it stops, the other takes over", async () => {
    const receiver = await startReceiver();
    const a = suite.started(dispatcherOf(suite.region));
    await waitFor("a holds the lease", () => a.lease.isHeld);
    // A second gateway on the same database, its dispatcher started by the composition root.
    const b = await startRegionalGateway({ ...suite.region.deps.config, eventDispatcher: TEST_DISPATCH }, { logger: pino({ level: "silent" }) });
    try {
      const { targetId } = await insertWebhookTarget(suite.region, { url: receiver.url });
      const first = await suite.putEvent([targetId], "one");
      await delivered(first);
      await settle();
      expect((await leaseRow())?.holder).toBe(a.lease.holder);
      expect(receiver.received.map((r) => r.eventId)).toEqual([first]);

      await a.stop();
      const takenOver = await waitFor("b holds the lease", async () => {
        const row = await leaseRow();
        return row && row.holder !== a.lease.holder ? row : undefined;
      });
      const second = await suite.putEvent([targetId], "two");
      await delivered(second);
      await settle();
      expect((await leaseRow())?.holder).toBe(takenOver.holder);
      expect(receiver.received.map((r) => r.eventId)).toEqual([first, second]);
    } finally {
      await b.close();
      await receiver.close();
    }
    // A gateway that closes gives the lease up.
    expect(await leaseRow()).toBeUndefined();
  });

  it("waits for another holder's lease to expire, then takes it over", async () => {
    const receiver = await startReceiver();
    try {
      await suite.region.deps.db.insert(workerLeases).values({ name: DISPATCHER_LEASE, holder: "crashed-instance", expiresAt: sql`now() + interval '1500 milliseconds'` });
      const { expiresAt } = (await leaseRow())!;
      const { targetId } = await insertWebhookTarget(suite.region, { url: receiver.url });
      const eventId = await suite.putEvent([targetId]);
      const d = suite.started(dispatcherOf(suite.region));
      const row = await delivered(eventId);
      expect(row.deliveredAt!.getTime()).toBeGreaterThanOrEqual(expiresAt.getTime());
      expect((await leaseRow())?.holder).toBe(d.lease.holder);
    } finally {
      await receiver.close();
    }
  });

  it("a holder that stops renewing counts itself out once its TTL passed, before anyone may take over", async () => {
    // A TTL long enough that the second instance's first try lands inside it on a loaded machine.
    const lease = new WorkerLease(suite.region.deps.db, "h-dispatch-stall", 2000);
    const other = new WorkerLease(suite.region.deps.db, "h-dispatch-stall", 2000);
    try {
      expect(await lease.acquireOrRenew()).toBe(true);
      expect(await other.acquireOrRenew()).toBe(false);
      await new Promise((r) => setTimeout(r, 2100));
      expect(lease.isHeld).toBe(false);
      expect(await other.acquireOrRenew()).toBe(true);
      expect(await lease.acquireOrRenew()).toBe(false);
    } finally {
      await other.release();
    }
  });

  it("a holder whose lease was taken stops sending", async () => {
    const receiver = await startReceiver();
    try {
      const d = suite.started(dispatcherOf(suite.region));
      await waitFor("holds the lease", () => d.lease.isHeld);
      // Another instance took it (this one was paused past its TTL, say).
      await suite.region.deps.db.update(workerLeases).set({ holder: "usurper", expiresAt: sql`now() + interval '1 hour'` }).where(eq(workerLeases.name, DISPATCHER_LEASE));
      await waitFor("lost the lease", () => !d.lease.isHeld);
      const { targetId } = await insertWebhookTarget(suite.region, { url: receiver.url });
      const eventId = await suite.putEvent([targetId]);
      await settle(20);
      expect(receiver.received).toHaveLength(0);
      expect(await suite.region.deps.db.select().from(eventOutbox).where(eq(eventOutbox.eventId, eventId))).toMatchObject([{ fannedOutAt: null }]);
    } finally {
      await suite.region.deps.db.delete(workerLeases).where(eq(workerLeases.holder, "usurper"));
      await receiver.close();
    }
  });
});

describe("housekeeping and metrics", () => {
  it("forgets finished events after the retention, keeps dead ones and recent ones", async () => {
    const receiver = await startReceiver();
    try {
      const db = suite.region.deps.db;
      const { targetId } = await insertWebhookTarget(suite.region, { url: receiver.url });
      const oldDelivered = await suite.putEvent([targetId], "h1");
      const oldDead = await suite.putEvent([targetId], "h2");
      const recent = await suite.putEvent([targetId], "h3");
      const first = suite.started(dispatcherOf(suite.region));
      for (const id of [oldDelivered, oldDead, recent]) await delivered(id);
      await first.stop();
      await db.update(notificationDeliveries).set({ status: "dead" }).where(eq(notificationDeliveries.eventId, oldDead));
      await db.update(eventOutbox).set({ createdAt: sql`now() - interval '2 hours'` }).where(inArray(eventOutbox.eventId, [oldDelivered, oldDead]));
      // An old event fanned out to no target at all.
      await db.insert(eventOutbox).values({ category: "compliance", eventName: "hold.placed", customerId: null, orderingKey: "x", targetIds: null, payload: {}, createdAt: sql`now() - interval '2 hours'`, fannedOutAt: sql`now()` });
      const [orphan] = await db.select({ id: eventOutbox.eventId }).from(eventOutbox).where(eq(eventOutbox.orderingKey, "x"));
      // A new dispatcher tidies up on its first tick.
      suite.started(dispatcherOf(suite.region, { retentionHours: 1 }));
      await waitFor("old delivered event gone", async () => (await db.select().from(eventOutbox).where(eq(eventOutbox.eventId, oldDelivered))).length === 0);
      const left = (await db.select({ id: eventOutbox.eventId }).from(eventOutbox).where(inArray(eventOutbox.eventId, [oldDelivered, oldDead, recent, orphan!.id]))).map((r) => r.id);
      expect(left.sort()).toEqual([oldDead, recent].sort());
      expect(await deliveriesOf(db, oldDelivered)).toHaveLength(0);
    } finally {
      await receiver.close();
    }
  });

  it("dead-letters the pending deliveries of a deleted target", async () => {
    const receiver = await startReceiver(() => 500);
    try {
      const db = suite.region.deps.db;
      const { targetId } = await insertWebhookTarget(suite.region, { url: receiver.url });
      const eventId = await suite.putEvent([targetId]);
      await fanOut(db, await liveTargets(db));
      await db.update(notificationTargets).set({ deletedAt: new Date() }).where(eq(notificationTargets.targetId, targetId));
      suite.started(dispatcherOf(suite.region));
      const dead = await waitFor("dead", async () => {
        const [d] = await deliveriesOf(db, eventId);
        return d?.status === "dead" ? d : undefined;
      });
      expect(dead).toMatchObject({ attempts: 0, lastError: "the target was deleted" });
      expect(receiver.received).toHaveLength(0);
    } finally {
      await receiver.close();
    }
  });

  it("exposes lag, backlog, dead letters and outcomes by target on /metrics", async () => {
    const db = suite.region.deps.db;
    const receiver = await startReceiver(() => 503);
    try {
      const { targetId } = await insertWebhookTarget(suite.region, { url: receiver.url });
      const eventId = await suite.putEvent([targetId]);
      const d = suite.started(dispatcherOf(suite.region, { maxAgeSeconds: 1 }));
      await waitFor("dead", async () => (await deliveriesOf(db, eventId))[0]?.status === "dead");
      await d.stop();
      // One delivery pending for a minute, one event not fanned out yet.
      const waiting = await suite.putEvent([targetId], "waiting");
      await fanOut(db, await liveTargets(db));
      await db.update(notificationDeliveries).set({ createdAt: sql`now() - interval '60 seconds'` }).where(eq(notificationDeliveries.eventId, waiting));
      await suite.putEvent([targetId], "not-fanned-out");
      const m = await scrapeMetrics(suite.region.url);
      expect(m.types.get("s3gw_event_deliveries_total")).toBe("counter");
      expect(m.types.get("s3gw_event_lag_seconds")).toBe("gauge");
      expect(m.types.get("s3gw_event_outbox_backlog")).toBe("gauge");
      expect(m.value("s3gw_event_dead_letters", { target_id: targetId })).toBe(1);
      expect(m.value("s3gw_event_deliveries_total", { target_id: targetId, outcome: "dead" })).toBe(1);
      expect(m.value("s3gw_event_deliveries_total", { target_id: targetId, outcome: "failed" })).toBeGreaterThanOrEqual(2);
      expect(m.value("s3gw_event_lag_seconds", {})).toBeGreaterThanOrEqual(60);
      expect(m.value("s3gw_event_outbox_backlog", {})).toBe(1);
    } finally {
      await receiver.close();
    }
  });
});
