import { notificationDeliveries, workerLeases } from "@s3gw/schema-regional";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { DISPATCHER_LEASE } from "../src/services/events/dispatch/event-dispatcher.ts";
import { fanOut, liveTargets } from "../src/services/events/dispatch/fan-out.ts";
import { deliveriesOf, dispatcherOf, insertWebhookTarget, settle, startReceiver, useDispatchRegion, waitFor } from "./events-dispatch-helpers.ts";

const suite = useDispatchRegion();

describe("event dispatch lanes", () => {
  it("a hung target does not delay a healthy target's deliveries", async () => {
    const hung = await startReceiver(() => "hang");
    const healthy = await startReceiver();
    try {
      // The hung target's lane is full (two in flight, both hanging) for the whole test.
      const slow = await insertWebhookTarget(suite.region, { url: hung.url, timeoutMs: 30_000 });
      const fast = await insertWebhookTarget(suite.region, { url: healthy.url });
      const events: string[] = [];
      for (const key of ["a", "b", "c", "d"]) events.push(await suite.putEvent([slow.targetId, fast.targetId], key));
      suite.started(dispatcherOf(suite.region, { targetConcurrency: 2 }));
      await waitFor("the healthy target's deliveries", async () => {
        for (const id of events) {
          const rows = await deliveriesOf(suite.region.deps.db, id);
          if (rows.find((r) => r.targetId === fast.targetId)?.status !== "delivered") return false;
        }
        return true;
      });
      expect(healthy.received.map((r) => r.eventId).sort()).toEqual([...events].sort());
      // Meanwhile the hung target got its two requests and not a single answer.
      expect(hung.received.filter((r) => r.answered === "hung")).toHaveLength(2);
      for (const id of events) {
        const slowRow = (await deliveriesOf(suite.region.deps.db, id)).find((r) => r.targetId === slow.targetId)!;
        expect(slowRow).toMatchObject({ status: "pending", attempts: 0 });
      }
    } finally {
      await hung.close();
      await healthy.close();
    }
  });

  it("a hung target's attempt ends at its timeout and is retried", async () => {
    const hung = await startReceiver(() => "hang");
    try {
      const { targetId } = await insertWebhookTarget(suite.region, { url: hung.url, timeoutMs: 300 });
      const eventId = await suite.putEvent([targetId]);
      suite.started(dispatcherOf(suite.region));
      const failed = await waitFor("a timed-out attempt", async () => {
        const [d] = await deliveriesOf(suite.region.deps.db, eventId);
        return d?.lastError ? d : undefined;
      });
      expect(failed).toMatchObject({ status: "pending", lastError: "no answer within 300 ms" });
    } finally {
      await hung.close();
    }
  });

  it("sends a key's next event only once the one before it is delivered; other keys flow", async () => {
    // The first event of key `k` fails twice before the receiver takes it.
    let first = "";
    const receiver = await startReceiver((r, nth) => (r.eventId === first && nth < 2 ? 500 : 200));
    try {
      const { targetId } = await insertWebhookTarget(suite.region, { url: receiver.url });
      first = await suite.putEvent([targetId], "k");
      const second = await suite.putEvent([targetId], "k");
      const other = await suite.putEvent([targetId], "other");
      suite.started(dispatcherOf(suite.region, { retryBaseMs: 300, retryMaxMs: 600 }));
      await waitFor("both events of k delivered", async () => {
        const [d] = await deliveriesOf(suite.region.deps.db, second);
        return d?.status === "delivered";
      });
      await settle();
      const log = receiver.received.map((r) => `${r.eventId === first ? "k1" : r.eventId === second ? "k2" : "other"}:${r.answered}`);
      expect(log.filter((l) => l.startsWith("k1"))).toEqual(["k1:500", "k1:500", "k1:200"]);
      expect(log.filter((l) => l.startsWith("k2"))).toEqual(["k2:200"]);
      // k2 only after k1's success; the other key did not wait for k's retries.
      expect(log.indexOf("k2:200")).toBeGreaterThan(log.indexOf("k1:200"));
      expect(log.indexOf("other:200")).toBeLessThan(log.indexOf("k1:200"));
    } finally {
      await receiver.close();
    }
  });

  it("refills a lane as sends finish, in key order, without waiting for the next tick", async () => {
    const receiver = await startReceiver();
    try {
      const { targetId } = await insertWebhookTarget(suite.region, { url: receiver.url });
      const sameKey: string[] = [];
      for (let i = 0; i < 5; i++) sameKey.push(await suite.putEvent([targetId], "one-key"));
      const others: string[] = [];
      for (let i = 0; i < 10; i++) others.push(await suite.putEvent([targetId], `key-${i}`));
      // One tick only: everything after its first round comes from refills. The lease outlives the
      // test (renewed only by ticks), so a slow machine cannot make the holder count itself out.
      suite.started(dispatcherOf(suite.region, { pollMs: 60_000, leaseTtlMs: 180_000, targetConcurrency: 3 }));
      await waitFor("all delivered", async () => {
        const rows = (await Promise.all([...sameKey, ...others].map((id) => deliveriesOf(suite.region.deps.db, id)))).flat();
        return rows.length === 15 && rows.every((r) => r.status === "delivered");
      });
      expect(receiver.received.map((r) => r.eventId).filter((id) => sameKey.includes(id))).toEqual(sameKey);
      expect(receiver.received).toHaveLength(15);
    } finally {
      await receiver.close();
    }
  });

  it("stopping waits for the sends in flight and records them, then releases the lease", async () => {
    const receiver = await startReceiver(() => 200, { delayMs: 500 });
    try {
      const { targetId } = await insertWebhookTarget(suite.region, { url: receiver.url });
      const eventId = await suite.putEvent([targetId]);
      const d = suite.started(dispatcherOf(suite.region));
      await waitFor("the request in flight", () => receiver.received.length === 1);
      await d.stop();
      expect((await deliveriesOf(suite.region.deps.db, eventId))[0]).toMatchObject({ status: "delivered", attempts: 1 });
      // The dispatcher's lease is gone (the region's periodic workers hold leases of their own).
      expect(await suite.region.deps.db.select().from(workerLeases).where(eq(workerLeases.name, DISPATCHER_LEASE))).toEqual([]);
    } finally {
      await receiver.close();
    }
  });

  it("a dead or refused delivery does not hold up the next event of its key", async () => {
    const receiver = await startReceiver();
    try {
      const { targetId } = await insertWebhookTarget(suite.region, { url: receiver.url });
      const db = suite.region.deps.db;
      const dead = await suite.putEvent([targetId], "k3");
      const refused = await suite.putEvent([targetId], "k3");
      const next = await suite.putEvent([targetId], "k3");
      // Fanned out by hand, so the first two can be finished before any dispatcher runs.
      await fanOut(db, await liveTargets(db));
      await db.update(notificationDeliveries).set({ status: "dead" }).where(eq(notificationDeliveries.eventId, dead));
      await db.update(notificationDeliveries).set({ status: "refused" }).where(eq(notificationDeliveries.eventId, refused));
      suite.started(dispatcherOf(suite.region));
      await waitFor("the third event delivered", async () => (await deliveriesOf(db, next))[0]?.status === "delivered");
      await settle();
      expect(receiver.received.map((r) => r.eventId)).toEqual([next]);
    } finally {
      await receiver.close();
    }
  });
});
