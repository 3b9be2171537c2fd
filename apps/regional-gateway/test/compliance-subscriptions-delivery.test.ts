import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { waitFor } from "./events-dispatch-helpers.ts";
import { adminAuth, bearer } from "./harness.ts";
import { ACME, DELTA, GLOBEX, INITECH, eventIds, useSubscriptionSuite } from "./compliance-subscriptions-helpers.ts";

/**
 * Compliance subscriptions delivered by the region's own dispatcher to real HTTP receivers;
 * events come from real API calls (a GDPR request emits gdpr.request.created).
 */

const suite = useSubscriptionSuite();
const { call, fannedOut, gdprEvent, lastAudit, receiver, subscribe, target, tokens } = suite;

describe("delivery", () => {
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
    await suite.sql`update customers set data_residency_requirement = 'strict' where customer_id = ${INITECH}`;
    try {
      const event = await gdprEvent(INITECH);
      expect((await fannedOut(event)).get(de.id)).toMatchObject({ status: "refused", last_error: expect.stringMatching(/strict residency/) });
      expect(hook.received).toHaveLength(0);
    } finally {
      await suite.sql`update customers set data_residency_requirement = 'flexible' where customer_id = ${INITECH}`;
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
    expect(await suite.sql`select 1 from notification_deliveries where event_id in (${acme}, ${globex}) and target_id = ${t.id}`).toHaveLength(2);
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
