import { describe, expect, it } from "vitest";
import { adminAuth, allPages, bearer } from "./harness.ts";
import { ACME, DELTA, GLOBEX, INITECH, useSubscriptionSuite, type ErrorBody, type Subscription } from "./compliance-subscriptions-helpers.ts";

/** The compliance subscriptions API: who may subscribe whom, residency at creation, input, listing and deletion, audit rows. */

const suite = useSubscriptionSuite();
const { call, lastAudit, receiver, subscribe, target, tokens } = suite;

describe("a customer's compliance officer", () => {
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
    expect(await suite.sql`select 1 from compliance_subscriptions`).toHaveLength(0);
  });

  it("sees and deletes only its customer's subscriptions", async () => {
    const t = await target((await receiver()).url, "FI");
    const acme = await subscribe(bearer(tokens.acmeOfficer!), { target_id: t.id, events: ["hold.*"] });
    const globex = await subscribe(bearer(tokens.globexOfficer!), { target_id: t.id, events: ["hold.*"] });
    const regionWide = await subscribe(adminAuth, { target_id: t.id, events: ["audit.checkpoint"] });

    const listed = await allPages<Subscription>(suite.url, "/api/compliance/subscriptions", bearer(tokens.acmeOfficer!));
    expect(listed.flat().map((s) => s.subscription_id)).toEqual([acme.subscription_id]);
    expect((await call("GET", `/api/compliance/subscriptions?customer_id=${GLOBEX}`, bearer(tokens.acmeOfficer!))).status).toBe(403);

    for (const id of [globex.subscription_id, regionWide.subscription_id]) {
      expect((await call("DELETE", `/api/compliance/subscriptions/${id}`, bearer(tokens.acmeOfficer!))).status).toBe(404);
    }
    expect(await suite.sql`select 1 from compliance_subscriptions`).toHaveLength(3);
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
    expect(await suite.sql`select 1 from compliance_subscriptions`).toHaveLength(1);
  });

  it("without a token nothing is created", async () => {
    const t = await target((await receiver()).url, "FI");
    expect((await call("POST", "/api/compliance/subscriptions", {}, { target_id: t.id, events: ["*"] })).status).toBe(401);
    expect((await call("POST", "/api/compliance/subscriptions", bearer("not-a-token"), { target_id: t.id, events: ["*"] })).status).toBe(401);
    expect(await suite.sql`select 1 from compliance_subscriptions`).toHaveLength(0);
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
    expect(await suite.sql`select 1 from compliance_subscriptions`).toHaveLength(0);
    // Within the zone, and for a flexible customer anywhere, the subscription is made.
    await subscribe(adminAuth, { target_id: de.id, customer_id: DELTA, events: ["gdpr.*"] });
    await subscribe(adminAuth, { target_id: us.id, customer_id: INITECH, events: ["gdpr.*"] });
  });
});

describe("input", () => {
  it("refuses malformed bodies, unknown or deleted targets and customers, and a second subscription of one target and customer", async () => {
    const t = await target((await receiver()).url, "FI");
    const bad = async (body: unknown, status = 400) => {
      const res = await fetch(`${suite.url}/api/compliance/subscriptions`, { method: "POST", headers: { "content-type": "application/json", ...adminAuth }, body: typeof body === "string" ? body : JSON.stringify(body) });
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
    const listed = (await allPages<Subscription>(suite.url, `/api/compliance/subscriptions?target_id=${t.id}`)).flat();
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
    expect(await suite.sql`select 1 from compliance_subscriptions where target_id = ${t.id}`).toHaveLength(1);
  });

  it("lists in pages, oldest first", async () => {
    const ids: string[] = [];
    for (const customer of [ACME, GLOBEX, INITECH]) {
      const t = await target((await receiver()).url, "FI");
      ids.push((await subscribe(adminAuth, { target_id: t.id, customer_id: customer, events: ["*"] })).subscription_id);
    }
    const pages = await allPages<Subscription>(suite.url, "/api/compliance/subscriptions?limit=2");
    expect(pages.map((p) => p.length)).toEqual([2, 1]);
    expect(pages.flat().map((s) => s.subscription_id)).toEqual(ids);
  });
});
