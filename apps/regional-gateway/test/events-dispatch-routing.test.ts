import { describe, expect, it } from "vitest";
import { fanOut, liveTargets } from "../src/services/events/dispatch/fan-out.ts";
import { insertComplianceEvent } from "../src/services/events/outbox.ts";
import { register } from "./harness.ts";
import { CUSTOMER, deliveriesOf, dispatcherOf, insertWebhookTarget, lastEventId, settle, startReceiver, useDispatchRegion, waitFor } from "./events-dispatch-helpers.ts";

const suite = useDispatchRegion();

async function complianceEvent(kind: "integrity.mismatch" | "gdpr.request.created" | "hold.placed", customerId: string | null): Promise<string> {
  await insertComplianceEvent(suite.region.deps.db, {
    customerId,
    kind,
    payload: { severity: "critical", description: `${kind} test`, data: { expected: "aa", calculated: "bb" }, recommended_action: "quarantine" },
    now: new Date(),
  });
  return lastEventId(suite.region.deps.db);
}

/** Waits until the events have `count` deliveries, none of them pending. */
async function finished(eventIds: string[], count: number) {
  return waitFor(`${count} finished deliveries`, async () => {
    const rows = (await Promise.all(eventIds.map((id) => deliveriesOf(suite.region.deps.db, id)))).flat();
    return rows.length === count && rows.every((r) => r.status !== "pending") ? rows : undefined;
  });
}

describe("event routing", () => {
  it("refuses a strict customer's events to a target in another country: recorded, never sent", async () => {
    const fiReceiver = await startReceiver();
    const deReceiver = await startReceiver();
    try {
      const fiTarget = await insertWebhookTarget(suite.region, { url: fiReceiver.url, country: "FI", complianceEvents: ["*"] });
      const deTarget = await insertWebhookTarget(suite.region, { url: deReceiver.url, country: "DE", complianceEvents: ["*"] });
      const objectEvent = await suite.putEvent([fiTarget.targetId, deTarget.targetId]);
      const compliance = await complianceEvent("integrity.mismatch", CUSTOMER);
      suite.started(dispatcherOf(suite.region));
      const rows = await finished([objectEvent, compliance], 4);
      for (const eventId of [objectEvent, compliance]) {
        expect(rows.find((r) => r.eventId === eventId && r.targetId === fiTarget.targetId)).toMatchObject({ status: "delivered" });
        const refused = rows.find((r) => r.eventId === eventId && r.targetId === deTarget.targetId);
        expect(refused).toMatchObject({ status: "refused", attempts: 0, lastError: "strict residency: events must stay in FI, the target is in DE" });
      }
      await settle();
      expect(deReceiver.received).toHaveLength(0);
      expect(fiReceiver.received.map((r) => r.eventId).sort()).toEqual([objectEvent, compliance].sort());
    } finally {
      await fiReceiver.close();
      await deReceiver.close();
    }
  });

  it("lets a jurisdiction customer's events go inside its legal zone only; an unknown customer's nowhere", async () => {
    expect((await register(suite.region.url, "h-dispatch-eu", { data_residency_requirement: "jurisdiction" })).status).toBe(201);
    const receiver = await startReceiver();
    try {
      const de = await insertWebhookTarget(suite.region, { url: receiver.url, country: "DE" });
      const us = await insertWebhookTarget(suite.region, { url: receiver.url, country: "US" });
      const eu = await suite.putEvent([de.targetId, us.targetId], "eu-key", "h-dispatch-eu");
      const ghost = await suite.putEvent([de.targetId], "ghost-key", "h-dispatch-nobody");
      suite.started(dispatcherOf(suite.region));
      const rows = await finished([eu, ghost], 3);
      expect(rows.find((r) => r.eventId === eu && r.targetId === de.targetId)?.status).toBe("delivered");
      expect(rows.find((r) => r.eventId === eu && r.targetId === us.targetId)).toMatchObject({ status: "refused", lastError: expect.stringContaining("jurisdiction residency") });
      expect(rows.find((r) => r.eventId === ghost)).toMatchObject({ status: "refused", lastError: expect.stringContaining("customer is unknown") });
      await settle();
      expect(receiver.received.map((r) => r.eventId)).toEqual([eu]);
    } finally {
      await receiver.close();
    }
  });

  it("sends compliance kinds only to the targets subscribed to them; region-wide events anywhere", async () => {
    const receivers = await Promise.all([0, 1, 2, 3].map(() => startReceiver()));
    try {
      const integrity = await insertWebhookTarget(suite.region, { url: receivers[0]!.url, complianceEvents: ["integrity.*"] });
      const gdpr = await insertWebhookTarget(suite.region, { url: receivers[1]!.url, complianceEvents: ["gdpr.request.created"], country: "US" });
      const all = await insertWebhookTarget(suite.region, { url: receivers[2]!.url, complianceEvents: ["*"] });
      await insertWebhookTarget(suite.region, { url: receivers[3]!.url, complianceEvents: [] });
      const mismatch = await complianceEvent("integrity.mismatch", null);
      const gdprCreated = await complianceEvent("gdpr.request.created", null);
      const hold = await complianceEvent("hold.placed", null);
      suite.started(dispatcherOf(suite.region));
      const rows = await finished([mismatch, gdprCreated, hold], 5);
      const targetsOf = (eventId: string) => rows.filter((r) => r.eventId === eventId).map((r) => r.targetId).sort();
      expect(targetsOf(mismatch)).toEqual([integrity.targetId, all.targetId].sort());
      // A region-wide event has no customer whose residency applies: it goes to the US subscriber too.
      expect(targetsOf(gdprCreated)).toEqual([gdpr.targetId, all.targetId].sort());
      expect(targetsOf(hold)).toEqual([all.targetId]);
      expect(rows.every((r) => r.status === "delivered")).toBe(true);
      expect(receivers[3]!.received).toHaveLength(0);
      const body = JSON.parse(receivers[0]!.received[0]!.body);
      expect(body).toMatchObject({ schema: "s3gw.compliance/v1", id: mismatch, type: "integrity.mismatch", severity: "critical", recommended_action: "quarantine", customer_id: null });
      expect(receivers[0]!.received[0]!.headers["x-s3gw-event-name"]).toBe("integrity.mismatch");
    } finally {
      await Promise.all(receivers.map((r) => r.close()));
    }
  });

  it("two fan-outs at once (a lease changing hands mid-tick) create each delivery once", async () => {
    const db = suite.region.deps.db;
    const { targetId } = await insertWebhookTarget(suite.region, { url: "http://127.0.0.1:9/unused" });
    const events: string[] = [];
    for (let i = 0; i < 30; i++) events.push(await suite.putEvent([targetId], `race-${i}`));
    const targets = await liveTargets(db);
    const [x, y] = await Promise.all([fanOut(db, targets), fanOut(db, targets)]);
    expect(x.events + y.events).toBe(30);
    const rows = (await Promise.all(events.map((id) => deliveriesOf(db, id)))).flat();
    expect(rows).toHaveLength(30);
    expect(new Set(rows.map((r) => r.eventId)).size).toBe(30);
  });
});
